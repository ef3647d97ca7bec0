/**
 * Kernel.clone(reuse): a clone that takes over an earlier clone's storage and copies back only what
 * that clone changed (issue 14) must be the same machine as a fresh clone: the same per-page
 * arrays, the same allocator state, and the same results for every later op.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_DESIGNS, BUILTIN_DESIGNS, builtinDesign } from '../../../src/model/designs/index.ts';
import { Kernel } from '../../../src/model/kernel.ts';
import type { Op } from '../../../src/model/ops.ts';
import { resolveProfile } from '../../../src/model/profile.ts';
import { ModelBug } from '../../../src/model/types.ts';
import { opsArb } from '../../helpers/random-ops.ts';

/** Every per-page array, the buddy zones' lists and the vmalloc window, side by side. */
function machineOf(k: Kernel): unknown {
  const p = k.mm.pages;
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
    normal: k.mm.normal.stateKey(),
    highmem: k.mm.highmem?.stateKey(),
    vmalloc: k.mm.vmalloc.snapshot(),
    largest: k.mm.vmalloc.largestFreeRun(),
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
            expect(machineOf(reused)).toEqual(machineOf(fresh));
            expect(applyAll(reused, then)).toEqual(applyAll(fresh, then));
            expect(machineOf(reused)).toEqual(machineOf(fresh));
            last = reused;
          }),
          { seed: 1, numRuns: c.runs },
        );
        for (const z of [template.mm.normal, template.mm.highmem]) z?.checkInvariants();
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
