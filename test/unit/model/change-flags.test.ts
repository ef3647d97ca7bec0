/**
 * The change flags (issue 14): a reusing clone keeps a mapping table, vmap allocator or small table
 * that its run did not change, and the explorer reuses a parent's fingerprint part for a structure
 * whose flag is clear. Both are right only if every write sets the flag: a structure that reports
 * no change must equal its source's, whatever ops ran. A write path that forgets its flag fails
 * here (on the ops that take it).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_DESIGNS } from '../../../src/model/designs/index.ts';
import { Kernel } from '../../../src/model/kernel.ts';
import { resolveProfile } from '../../../src/model/profile.ts';
import { mappingsOf, smallTablesOf } from '../../helpers/machine.ts';
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
