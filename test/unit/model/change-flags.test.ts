/**
 * The change flags (issue 14): a reusing clone keeps a mapping table, vmap allocator, small table
 * or ION device that its run did not change, and the explorer reuses a parent's fingerprint part
 * for a structure whose flag is clear. Both are right only if every write sets the flag: a structure that reports
 * no change must equal its source's, whatever ops ran. A write path that forgets its flag fails
 * here (on the ops that take it).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_DESIGNS } from '../../../src/model/designs/index.ts';
import { Kernel } from '../../../src/model/kernel.ts';
import type { Op } from '../../../src/model/ops.ts';
import { resolveProfile } from '../../../src/model/profile.ts';
import { ionObjectsOf, mappingsOf, smallTablesOf } from '../../helpers/machine.ts';
import { opsArb } from '../../helpers/random-ops.ts';

/** Each flagged structure: its flag and its content. */
const parts = {
  normal: (k: Kernel) => [k.mm.normal.changed, k.mm.normal.stateKey()],
  highmem: (k: Kernel) => [k.mm.highmem?.changed ?? false, k.mm.highmem?.stateKey()],
  cma: (k: Kernel) => [
    k.mm.cma?.changed ?? false,
    k.mm.cma ? [Buffer.from(k.mm.cma.bits).toString('base64'), k.mm.cma.usedPages] : null,
  ],
  vmalloc: (k: Kernel) => [k.mm.vmalloc.changed, [k.mm.vmalloc.snapshot(), k.mm.vmalloc.largestFreeRun()]],
  mmu: (k: Kernel) => [k.mm.mmu.changed, mappingsOf(k)],
  small: (k: Kernel) => [k.mm.smallChanged, smallTablesOf(k)],
  ion: (k: Kernel) => [k.ion.changed, ionObjectsOf(k)],
} as const;

/** Per structure: whether it was seen changed, and seen unchanged after an op that ran. */
const seen = new Map<string, { changed: boolean; unchanged: boolean }>();

function expectFlagsHold(source: Kernel, k: Kernel, how: string): void {
  for (const [name, of] of Object.entries(parts)) {
    const [changed, content] = of(k);
    const s = seen.get(name) ?? { changed: false, unchanged: false };
    if (changed) s.changed = true;
    else {
      s.unchanged = true;
      expect(content, `${name} reports no change (${how})`).toEqual(of(source)[1]);
    }
    seen.set(name, s);
  }
}

describe('a structure whose change flag is clear equals the one it was copied from', () => {
  for (const design of ALL_DESIGNS)
    it(`tiny ${design.id}: after one op on a fresh, a reusing and a whole-copy clone`, () => {
      const boot = Kernel.boot(resolveProfile('tiny'), design);
      let spare: Kernel | null = null;
      fc.assert(
        fc.property(opsArb('tiny', 0, 25), opsArb('tiny', 1, 6), (path, ops) => {
          const parent = boot.clone();
          for (const op of path) parent.apply(op);
          for (const [i, op] of ops.entries()) {
            // the three ways a child is made: over a child of another state, over a sibling, fresh
            const child: Kernel =
              i === 0
                ? spare
                  ? parent.cloneOver(spare)
                  : parent.clone()
                : i % 3 === 1
                  ? parent.clone(spare!)
                  : parent.clone();
            for (const [, of] of Object.entries(parts)) expect(of(child)[0]).toBe(false);
            child.apply(op);
            expectFlagsHold(parent, child, `${JSON.stringify(op)} after ${path.length} ops`);
            spare = child;
          }
        }),
        { seed: 14, numRuns: 40 },
      );
    });

  it('the random ops took every structure both ways (changed and unchanged)', () => {
    for (const name of Object.keys(parts))
      expect(seen.get(name), name).toEqual({ changed: true, unchanged: true });
  });
});

/**
 * Each ION write path on its own (random ops reach some only rarely): the prefix builds the
 * state, the last op takes the path. A path that forgets to set `IonDevice.changed` leaves the
 * device reported unchanged but different from its source.
 */
const KiB = 1024;
const a1 = { op: 'alloc', client: 1, heap: 'cma', len: 16 * KiB } as const;
const sys1 = { op: 'alloc', client: 1, heap: 'system', len: 16 * KiB } as const;
const share = { op: 'share', client: 1, handle: 0 } as const;
const kmap1 = { op: 'kmap', client: 1, handle: 0 } as const;
const ionPaths: Record<string, readonly Op[]> = {
  'alloc by a new client': [sys1],
  'alloc by a known client': [a1, a1],
  'cached alloc (fault-mapped)': [{ ...a1, cached: true }],
  free: [a1, { op: 'free', client: 1, handle: 0 }],
  'free of a handle imported again': [
    a1,
    share,
    { op: 'import', client: 1, fd: 0 },
    { op: 'free', client: 1, handle: 0 },
  ],
  'free of a kmapped handle': [a1, kmap1, { op: 'free', client: 1, handle: 0 }],
  'free raced (B3)': [
    a1,
    { op: 'free', client: 1, handle: 0 },
    { op: 'free', client: 1, handle: 0, race: true },
  ],
  share: [a1, share],
  'import by another client': [a1, share, { op: 'import', client: 2, fd: 0 }],
  'import by the handle owner': [a1, share, { op: 'import', client: 1, fd: 0 }],
  'import by the owner, thrice (B4 wraps)': [
    a1,
    share,
    { op: 'import', client: 1, fd: 0 },
    { op: 'import', client: 1, fd: 0 },
    { op: 'import', client: 1, fd: 0 },
  ],
  close: [a1, share, { op: 'close', fd: 0 }],
  'close of the last reference': [a1, share, { op: 'free', client: 1, handle: 0 }, { op: 'close', fd: 0 }],
  kmap: [a1, kmap1],
  'kmap again': [a1, kmap1, kmap1],
  'kmap of a mapped buffer by another handle': [
    a1,
    share,
    { op: 'import', client: 2, fd: 0 },
    kmap1,
    { op: 'kmap', client: 2, handle: 1 },
  ],
  kunmap: [a1, kmap1, { op: 'kunmap', client: 1, handle: 0 }],
  'kunmap of two': [a1, kmap1, kmap1, { op: 'kunmap', client: 1, handle: 0 }],
  mmap: [a1, share, { op: 'mmap', fd: 0 }],
  munmap: [a1, share, { op: 'mmap', fd: 0 }, { op: 'munmap', vma: 0 }],
  'dma-map': [a1, share, { op: 'dma-map', fd: 0, device: 'gpu' }],
  'dma-unmap': [
    a1,
    share,
    { op: 'dma-map', fd: 0, device: 'gpu' },
    { op: 'dma-unmap', fd: 0, device: 'gpu' },
  ],
  'client-exit': [sys1, kmap1, { op: 'client-exit', client: 1 }],
  'shrink of a deferred buffer': [sys1, { op: 'free', client: 1, handle: 0 }, { op: 'shrink' }],
};

describe('every ION write path sets the device change flag', () => {
  const changedSomewhere = new Set<string>();
  for (const design of ALL_DESIGNS)
    it(`tiny ${design.id}: each path on a fresh and on a reusing clone`, () => {
      const boot = Kernel.boot(resolveProfile('tiny'), design);
      for (const [name, ops] of Object.entries(ionPaths)) {
        const parent = boot.clone();
        for (const op of ops.slice(0, -1)) parent.apply(op);
        const last = ops.at(-1)!;
        const sibling = parent.clone();
        sibling.apply(last);
        for (const child of [parent.clone(), parent.clone(sibling)]) {
          expect(child.ion.changed).toBe(false);
          child.apply(last);
          if (child.ion.changed) changedSomewhere.add(name);
          else expect(ionObjectsOf(child), `${name}: reported unchanged`).toEqual(ionObjectsOf(parent));
        }
      }
    });

  it('each path changed the device on some design (else it tests nothing)', () => {
    expect(Object.keys(ionPaths).filter((n) => !changedSomewhere.has(n))).toEqual([]);
  });
});
