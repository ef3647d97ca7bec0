/**
 * Kernel.clone(reuse): a clone that takes over an earlier clone's storage and copies back only what
 * that clone changed (issue 14) must be the same machine as a fresh clone: the same per-page
 * arrays, the same allocator state, mapping table and small tables, and the same results for
 * every later op; and nothing done to it afterwards may reach the kernel it was cloned from.
 * Kernel.cloneOver(spare) likewise, over the storage of a clone of another state.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_DESIGNS, BUILTIN_DESIGNS, builtinDesign } from '../../../src/model/designs/index.ts';
import { CarveoutHeap } from '../../../src/model/ion/heaps/carveout.ts';
import { Kernel } from '../../../src/model/kernel.ts';
import type { Op } from '../../../src/model/ops.ts';
import { resolveProfile } from '../../../src/model/profile.ts';
import { ModelBug } from '../../../src/model/types.ts';
import { ionObjectsOf, mappingsOf, smallTablesOf } from '../../helpers/machine.ts';
import { opsArb } from '../../helpers/random-ops.ts';

/** Every per-page array, the buddy zones' lists, the vmalloc window and the small tables, side by side. */
function machineOf(k: Kernel): unknown {
  const p = k.mm.pages;
  // the count the lowmem-type-twice goal trusts, against the array it counts
  expect(p.pagesTypeChangedTwice).toBe(p.typeChanges.filter((n) => n >= 2).length);
  return {
    pages: [
      p.zone,
      p.ownerKind,
      p.ownerId,
      p.claims,
      p.writer,
      p.linearType,
      ...p.live,
      ...p.stale,
      p.classes,
      p.doubleFrees,
      p.typeChanges,
    ].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64')),
    typeChangedTwice: p.pagesTypeChangedTwice,
    normal: k.mm.normal.stateKey(),
    highmem: k.mm.highmem?.stateKey(),
    vmalloc: k.mm.vmalloc.snapshot(),
    largest: k.mm.vmalloc.largestFreeRun(),
    cma: k.mm.cma ? [Buffer.from(k.mm.cma.bits).toString('base64'), k.mm.cma.usedPages] : null,
    genpools: k.ion.heaps.map((h) =>
      h instanceof CarveoutHeap ? Buffer.from(h.poolBits ?? []).toString('base64') : h.name,
    ),
    mappings: mappingsOf(k),
    small: smallTablesOf(k),
    ion: ionObjectsOf(k),
    hash: k.hash(),
  };
}

function applyAll(k: Kernel, ops: readonly Op[]): unknown[] {
  return ops.map((op) => {
    const r = k.apply(op);
    return [r.ok, r.errno, r.value, r.callPath.join('>'), k.mm.vmalloc.largestFreeRun()];
  });
}

const cases = [
  { profile: 'tiny', scale: 'tiny' as const, runs: 60, designs: ALL_DESIGNS },
  { profile: 'arm32-1g', scale: 'large' as const, runs: 8, designs: BUILTIN_DESIGNS },
];

describe('Kernel.clone(reuse) restores exactly what the previous run changed', () => {
  for (const c of cases)
    for (const design of c.designs)
      it(`${c.profile} ${design.id}: a reusing clone equals a fresh clone, op for op`, () => {
        const template = Kernel.boot(resolveProfile(c.profile), design);
        let last: Kernel | undefined;
        fc.assert(
          fc.property(opsArb(c.scale, 1, 60), opsArb(c.scale, 1, 30), (first, then) => {
            // the previous run: a clone (itself perhaps a reusing one) that applied `first`
            const prev = template.clone(last);
            applyAll(prev, first);
            const reused = template.clone(prev);
            const fresh = template.clone();
            const before = machineOf(template);
            expect(machineOf(reused)).toEqual(machineOf(fresh));
            expect(applyAll(reused, then)).toEqual(applyAll(fresh, then));
            expect(machineOf(reused)).toEqual(machineOf(fresh));
            // nothing the reusing clone did reached the kernel it was cloned from
            expect(machineOf(template)).toEqual(before);
            last = reused;
          }),
          { seed: 1, numRuns: c.runs },
        );
        for (const z of [template.mm.normal, template.mm.highmem]) z?.checkInvariants();
      });
});

describe('Kernel.cloneOver(spare) copies all of a state over a clone of another one', () => {
  for (const design of ALL_DESIGNS)
    it(`tiny ${design.id}: the copy equals a fresh clone, op for op, and leaves both sources alone`, () => {
      const boot = Kernel.boot(resolveProfile('tiny'), design);
      fc.assert(
        fc.property(opsArb('tiny', 0, 30), opsArb('tiny', 1, 30), opsArb('tiny', 1, 30), (a, b, then) => {
          // two states of one boot; the spare is a child of the first, the copy is of the second
          const x = boot.clone();
          applyAll(x, a);
          const y = boot.clone();
          applyAll(y, b);
          const spare = x.clone();
          applyAll(spare, then);
          const [xBefore, yBefore] = [machineOf(x), machineOf(y)];
          const over = y.cloneOver(spare);
          const fresh = y.clone();
          expect(machineOf(over)).toEqual(machineOf(fresh));
          expect(applyAll(over, then)).toEqual(applyAll(fresh, then));
          expect(machineOf(over)).toEqual(machineOf(fresh));
          expect(machineOf(x)).toEqual(xBefore);
          expect(machineOf(y)).toEqual(yBefore);
          // a reusing clone of the copy's source restores from there as usual
          const next = y.clone(over);
          expect(machineOf(next)).toEqual(yBefore);
        }),
        { seed: 2, numRuns: 25 },
      );
    });

  it('refuses a spare of another boot, the kernel itself, or a retired one', () => {
    const cma = builtinDesign('cma-direct')!;
    const k = Kernel.boot(resolveProfile('tiny'), cma);
    const other = Kernel.boot(resolveProfile('tiny'), builtinDesign('legacy-3.18')!);
    expect(() => k.cloneOver(other.clone())).toThrow(ModelBug);
    expect(() => k.cloneOver(k)).toThrow(ModelBug);
    const c = k.clone();
    k.cloneOver(c);
    expect(() => k.cloneOver(c)).toThrow(ModelBug);
    expect(() => c.apply({ op: 'purge' })).toThrow(/storage a later clone took over/);
  });
});

describe('Kernel.clone(reuse) refuses what it cannot restore', () => {
  const boot = () => Kernel.boot(resolveProfile('tiny'), builtinDesign('cma-direct')!);
  const alloc: Op = { op: 'alloc', client: 1, heap: 'cma', len: 65536 };

  it('a kernel that is not a clone of this one', () => {
    const a = boot();
    const b = boot();
    expect(() => a.clone(b.clone())).toThrow(ModelBug);
    expect(() => a.clone(b)).toThrow(ModelBug);
  });

  it('a clone made before this kernel changed', () => {
    const k = boot();
    const c = k.clone();
    k.apply(alloc);
    expect(() => k.clone(c)).toThrow(/not a live clone/);
  });

  it('a clone whose storage was taken over already, and ops on it', () => {
    const k = boot();
    const c = k.clone();
    const d = k.clone(c);
    expect(() => k.clone(c)).toThrow(ModelBug);
    expect(() => c.apply(alloc)).toThrow(/storage a later clone took over/);
    expect(d.apply(alloc).ok).toBe(true);
  });
});
