/**
 * The incremental and full-scan checkers agree on every step of many random runs (same verdict,
 * same violation), on every built-in design and profile; and cma-direct-remap and dmabuf-heap-cma
 * hold every invariant throughout. Run counts: 1,000 runs of 100-120 ops on `tiny` (250 per design), plus
 * runs on each large profile, where a full scan walks up to a million pages per step.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ALL_DESIGNS, BUILTIN_DESIGNS, ZOO_DESIGNS } from '../../src/model/designs/index.ts';
import { Kernel } from '../../src/model/kernel.ts';
import { resolveProfile } from '../../src/model/profile.ts';
import { INVARIANTS, TYPE_OK } from '../../src/spec/index.ts';
import { opsArb } from './random-ops.ts';

const ALL = BUILTIN_DESIGNS.map((d) => d.id);
/** The designs the expected-verdict manifest says hold every invariant (test/expected-verdicts.json). */
const HOLDS_EVERYTHING = new Set(['cma-direct-remap', 'dmabuf-heap-cma']);
/** Which plan this file runs: the tiny profile and the large ones sit in two files (two workers). */
export const PLANS = {
  tiny: [{ profile: 'tiny', scale: 'tiny' as const, runs: 250, designs: ALL }],
  /** The zoo's mutants and known bugs: their faults change what the incremental forms must see. */
  zoo: [{ profile: 'tiny', scale: 'tiny' as const, runs: 3, designs: ZOO_DESIGNS.map((d) => d.id) }],
  large: [
    { profile: 'arm32-1g', scale: 'large' as const, runs: 1, designs: ALL },
    { profile: 'arm32-1g-cma512', scale: 'large' as const, runs: 1, designs: ALL },
    { profile: 'arm32-2g', scale: 'large' as const, runs: 1, designs: ['legacy-3.18', 'cma-direct-remap'] },
    { profile: 'arm32-4g', scale: 'large' as const, runs: 1, designs: ['cma-direct-remap'] },
  ],
};

export function crossCheck(plan: (typeof PLANS)['tiny' | 'large' | 'zoo']) {
  for (const p of plan) {
    for (const design of ALL_DESIGNS.filter((d) => p.designs.includes(d.id))) {
      it(`${p.profile} ${design.id}: ${p.runs} runs of 100-120 ops (seed 7)`, () => {
        const booted = Kernel.boot(resolveProfile(p.profile), design);
        let steps = 0;
        let violationsSeen = 0;
        fc.assert(
          fc.property(opsArb(p.scale, 100, 120), (ops) => {
            const k = booted.clone();
            for (const [i, op] of ops.entries()) {
              k.apply(op);
              steps++;
              expect(TYPE_OK.full(k), `type-ok at step ${i}`).toBeNull();
              for (const inv of INVARIANTS) {
                const a = inv.incremental(k);
                const b = inv.full(k);
                expect(a?.message ?? null, `${inv.id} at step ${i} (${JSON.stringify(op)})`).toBe(
                  b?.message ?? null,
                );
                if (a) violationsSeen++;
                if (HOLDS_EVERYTHING.has(design.id)) expect(a, `${inv.id} on ${design.id}`).toBeNull();
              }
            }
          }),
          { seed: 7, numRuns: p.runs },
        );
        expect(steps).toBeGreaterThanOrEqual(100 * p.runs);
        // the legacy and cma-direct designs must show violations for the agreement to mean anything
        if (p.profile === 'tiny' && ALL.includes(design.id) && !HOLDS_EVERYTHING.has(design.id))
          expect(violationsSeen).toBeGreaterThan(0);
      });
    }
  }
}
