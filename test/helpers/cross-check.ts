/**
 * The incremental and full-scan checkers agree on every step of many random runs (same verdict,
 * same violation), on every built-in design and profile; and the random runs agree with
 * test/expected-verdicts.json, the one place that records per design which invariant holds and
 * which is violated: a design the manifest says holds every invariant holds them throughout, and
 * on `tiny` (250 runs) every violation the manifest records for a design is seen. (A design with
 * a violation is not held to its other "held" verdicts: they come from a bounded search, and
 * longer random runs reach more of its bugs, e.g. legacy-3.18's B10 leak on `tiny`.) Run counts:
 * 1,000 runs of 100-120 ops on `tiny` (250 per design), plus runs on each large profile, where a
 * full scan walks up to a million pages per step.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ALL_DESIGNS, BUILTIN_DESIGNS, ZOO_DESIGNS } from '../../src/model/designs/index.ts';
import { Kernel } from '../../src/model/kernel.ts';
import { resolveProfile } from '../../src/model/profile.ts';
import { INVARIANT_IDS, INVARIANTS, type InvariantId, TYPE_OK } from '../../src/spec/index.ts';
import { opsArb } from './random-ops.ts';

type Verdict = 'held' | 'violated';
const MANIFEST = JSON.parse(readFileSync(new URL('../expected-verdicts.json', import.meta.url), 'utf8')) as {
  verdicts: Record<string, Record<string, Record<string, Verdict>>>;
};

/**
 * The manifest's verdict of each invariant for a built-in design on a profile. A profile the
 * manifest does not list (the larger boards) takes, per invariant, `held` only where the design
 * held on every profile it lists, and no expectation otherwise. Zoo designs have none.
 */
export function expectedVerdicts(profile: string, design: string): Partial<Record<InvariantId, Verdict>> {
  const listed = MANIFEST.verdicts[profile]?.[design];
  if (listed) return listed as Record<InvariantId, Verdict>;
  const all = Object.values(MANIFEST.verdicts).flatMap((byDesign) =>
    byDesign[design] ? [byDesign[design]] : [],
  );
  if (all.length === 0) return {};
  const out: Partial<Record<InvariantId, Verdict>> = {};
  for (const id of INVARIANT_IDS) if (all.every((v) => v[id] === 'held')) out[id] = 'held';
  return out;
}

/** Does the manifest say the design holds every invariant on the profile? */
export function holdsEverything(profile: string, design: string): boolean {
  const e = expectedVerdicts(profile, design);
  return INVARIANT_IDS.every((id) => e[id] === 'held');
}

const ALL = BUILTIN_DESIGNS.map((d) => d.id);
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
      const expected = expectedVerdicts(p.profile, design.id);
      const holdsAll = holdsEverything(p.profile, design.id);
      it(`${p.profile} ${design.id}: ${p.runs} runs of 100-120 ops (seed 7)`, () => {
        const booted = Kernel.boot(resolveProfile(p.profile), design);
        let steps = 0;
        const seen = new Set<InvariantId>();
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
                // the whole report: message, pfns and mappings (a cached report must not go stale)
                expect(a, `${inv.id} at step ${i} (${JSON.stringify(op)})`).toEqual(b);
                if (!a) continue;
                seen.add(inv.id as InvariantId);
                if (holdsAll)
                  expect(a, `${inv.id} on ${design.id}, which holds everything in the manifest`).toBeNull();
              }
            }
          }),
          { seed: 7, numRuns: p.runs },
        );
        expect(steps).toBeGreaterThanOrEqual(100 * p.runs);
        // on tiny every violation the manifest records must show, or the agreement means little
        if (p.profile === 'tiny') {
          const violated = INVARIANT_IDS.filter((id) => expected[id] === 'violated');
          expect([...seen].filter((id) => violated.includes(id)).sort()).toEqual([...violated].sort());
        }
      });
    }
  }
}
