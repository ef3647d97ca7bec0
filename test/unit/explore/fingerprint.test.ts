import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildAlphabet, withOps } from '../../../src/explore/alphabet.ts';
import { clientSymmetries, Fingerprinter, FpSet, pagesFp } from '../../../src/explore/fingerprint.ts';
import { BUILTIN_DESIGNS, builtinDesign } from '../../../src/model/designs/index.ts';
import { Kernel } from '../../../src/model/kernel.ts';
import type { Op } from '../../../src/model/ops.ts';
import { resolveProfile } from '../../../src/model/profile.ts';
import { opArb } from '../../helpers/random-ops.ts';

const KiB = 1024;
const tiny = resolveProfile('tiny');
const boot = (design = 'cma-direct') => Kernel.boot(tiny, builtinDesign(design)!);

function run(ops: readonly Op[], design = 'cma-direct'): Kernel {
  const k = boot(design);
  for (const op of ops) k.apply(op);
  return k;
}

const symmetric = new Fingerprinter(clientSymmetries(buildAlphabet(3)));
const plain = new Fingerprinter([]);
const same = (x: Kernel, y: Kernel, f: Fingerprinter) => {
  const [a, b] = [f.full(x).fp, f.full(y).fp];
  return a.a === b.a && a.b === b.b;
};

describe('fingerprints cover what Kernel.hash() covers', () => {
  it('the exact key is Kernel.hash when no renaming applies', () => {
    const k = run([
      { op: 'alloc', client: 1, heap: 'cma', len: 16 * KiB },
      { op: 'alloc', client: 2, heap: 'system', len: 16 * KiB },
      { op: 'share', client: 1, handle: 0 },
      { op: 'import', client: 2, fd: 0 },
      { op: 'mmap', fd: 0 },
      { op: 'driver-vmap', pages: 8 },
    ]);
    expect(plain.exactKey(k)).toBe(k.hash());
  });

  it("a child's incremental fingerprint equals the one computed from scratch, on random traces of every design", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...BUILTIN_DESIGNS.map((d) => d.id)),
        fc.array(opArb('tiny'), { minLength: 1, maxLength: 25 }),
        (design, ops) => {
          let parent = boot(design);
          let pages = pagesFp(parent.mm.pages);
          for (const [i, op] of ops.entries()) {
            // a sibling first, whose storage the child takes over (Kernel.clone(reuse), as the explorer does)
            const sibling = parent.clone();
            try {
              sibling.apply(ops[(i * 7 + 3) % ops.length]!);
            } catch {
              return;
            }
            const child = parent.clone(sibling);
            try {
              child.apply(op);
            } catch {
              return; // a malformed op (OpError) changes nothing; the rest of the trace is not needed
            }
            const inc = symmetric.child(parent, pages, child);
            const full = symmetric.full(child);
            expect(inc).toEqual(full);
            parent = child;
            pages = inc.pages;
          }
        },
      ),
      { numRuns: 60, seed: 1414 },
    );
  });

  it("a child takes its parent's kept parts only while the parent is as it was at the clone", () => {
    const f = new Fingerprinter([]);
    const parent = run([{ op: 'alloc', client: 1, heap: 'cma', len: 16 * KiB }]);
    f.full(parent);
    const child = parent.clone();
    // an op that fails and changes nothing: every part of the child is its parent's
    expect(child.apply({ op: 'free', client: 1, handle: 5 }).ok).toBe(false);
    const pages = pagesFp(child.mm.pages);
    expect(f.finish(child, pages, parent)).toEqual(f.full(child).fp);
    // the parent moves on (CMA bitmap, buddy, vmalloc, fixmap slot) and keeps its new parts
    parent.apply({ op: 'alloc', client: 1, heap: 'cma', len: 64 * KiB });
    f.full(parent);
    expect(f.finish(child, pages, parent)).toEqual(f.full(child).fp);
  });

  it("a child takes its parent's ION part only while the driver areas and heap pools are the parent's too", () => {
    // a failed system-heap alloc drains the deferred free list into the pool (ION-6 retry)
    const sys = { op: 'alloc', client: 1, heap: 'system', len: 16 * KiB } as const;
    const huge = { ...sys, len: 64 * 1024 * KiB };
    const parent = run([sys, { op: 'free', client: 1, handle: 0 }, huge], 'legacy-3.18');
    expect(parent.ion.heaps.some((h) => h.shrinkCount() > 0)).toBe(true);
    for (const op of [{ op: 'shrink' }, { op: 'driver-vmap', pages: 8 }] as const) {
      const f = new Fingerprinter(clientSymmetries(buildAlphabet(3)));
      f.full(parent);
      const child = parent.clone();
      expect(child.apply(op).ok).toBe(true);
      // the device's objects are as the parent's: only the pools or the areas tell the states apart
      expect(child.ion.changed).toBe(false);
      const pages = pagesFp(child.mm.pages);
      expect(f.finish(child, pages, parent)).toEqual(f.full(child).fp);
    }
  });

  it('fingerprints tell apart states that Kernel.hash() tells apart, and only those (random pairs)', () => {
    fc.assert(
      fc.property(
        fc.array(opArb('tiny'), { maxLength: 6 }),
        fc.array(opArb('tiny'), { maxLength: 6 }),
        (xs, ys) => {
          let x: Kernel;
          let y: Kernel;
          try {
            x = run(xs);
            y = run(ys);
          } catch {
            return;
          }
          expect(same(x, y, plain)).toBe(x.hash() === y.hash());
        },
      ),
      { numRuns: 150, seed: 1415 },
    );
  });
});

describe('symmetry reduction: client renamings that fix the alphabet', () => {
  it('the default alphabet has one (clients 1 and 2 swapped); an alphabet with a lone client op has none', () => {
    expect(clientSymmetries(buildAlphabet(3))).toEqual([
      new Map([
        [1, 2],
        [2, 1],
      ]),
    ]);
    const lopsided = withOps(buildAlphabet(3), [{ op: 'alloc', client: 1, heap: 'system', len: 8 * KiB }]);
    expect(clientSymmetries(lopsided)).toEqual([]);
    expect(clientSymmetries(buildAlphabet(3, { clients: [1] }))).toEqual([]);
    expect(clientSymmetries(buildAlphabet(2, { clients: [1, 2, 3] }))).toHaveLength(5);
  });

  it('three clients: every renamed trace reaches a state of the same fingerprint and full key', () => {
    const group = clientSymmetries(buildAlphabet(2, { clients: [1, 2, 3] }));
    const three = new Fingerprinter(group);
    fc.assert(
      fc.property(fc.array(opArb('tiny'), { minLength: 1, maxLength: 8 }), (ops) => {
        let x: Kernel;
        try {
          x = run(ops);
        } catch {
          return;
        }
        const [fp, key] = [three.full(x).fp, three.exactKey(x)];
        // the least over the whole group is the same from every state of the orbit
        for (const m of group) {
          const y = run(
            ops.map((op) => ('client' in op ? { ...op, client: m.get(op.client) ?? op.client } : op)),
          );
          expect(three.full(y).fp).toEqual(fp);
          expect(three.exactKey(y)).toBe(key);
        }
      }),
      { numRuns: 60, seed: 1416 },
    );
  });

  it('two states that differ only by swapping clients get the same fingerprint (and full key)', () => {
    const a = run([
      { op: 'alloc', client: 1, heap: 'cma', len: 16 * KiB },
      { op: 'alloc', client: 2, heap: 'system', len: 16 * KiB },
      { op: 'kmap', client: 1, handle: 0 },
    ]);
    const b = run([
      { op: 'alloc', client: 2, heap: 'cma', len: 16 * KiB },
      { op: 'alloc', client: 1, heap: 'system', len: 16 * KiB },
      { op: 'kmap', client: 2, handle: 0 },
    ]);
    expect(a.hash()).not.toBe(b.hash());
    expect(same(a, b, plain)).toBe(false);
    expect(same(a, b, symmetric)).toBe(true);
    expect(symmetric.exactKey(a)).toBe(symmetric.exactKey(b));
  });

  it('states that differ in something real keep different fingerprints under the reduction', () => {
    const base: Op = { op: 'alloc', client: 1, heap: 'cma', len: 16 * KiB };
    const pairs: [Op[], Op[]][] = [
      // a different size
      [[base], [{ ...base, len: 64 * KiB }]],
      // both buffers in one client against one in each
      [
        [base, { ...base, heap: 'system' }],
        [base, { ...base, client: 2, heap: 'system' }],
      ],
      // the same handles, a different client holding the mapping
      [
        [base, { op: 'share', client: 1, handle: 0 }, { op: 'import', client: 2, fd: 0 }],
        [base, { op: 'share', client: 1, handle: 0 }],
      ],
      // a page written
      [
        [base, { op: 'share', client: 1, handle: 0 }, { op: 'mmap', fd: 0 }],
        [base, { op: 'share', client: 1, handle: 0 }, { op: 'mmap', fd: 0 }, { op: 'write', vma: 0 }],
      ],
    ];
    for (const [xs, ys] of pairs) {
      const [x, y] = [run(xs), run(ys)];
      expect(same(x, y, symmetric), JSON.stringify(ys)).toBe(false);
      expect(symmetric.exactKey(x)).not.toBe(symmetric.exactKey(y));
    }
  });
});

describe('FpSet', () => {
  it('agrees with a Set of strings through growth', () => {
    const set = new FpSet();
    const ref = new Set<string>();
    let x = 12345;
    for (let i = 0; i < 20_000; i++) {
      // a small LCG: many repeats, both lanes varied
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const fp = { a: x % 7919, b: (x >>> 8) % 13 };
      const key = `${fp.a},${fp.b}`;
      expect(set.has(fp)).toBe(ref.has(key));
      expect(set.add(fp)).toBe(!ref.has(key));
      ref.add(key);
    }
    expect(set.size).toBe(ref.size);
  });
});
