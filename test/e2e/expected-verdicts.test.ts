/**
 * The checked-in manifest of expected verdicts (test/expected-verdicts.json): every built-in design
 * x invariant x profile, as a seeded check finds it. Drift (a new finding, or one that went away)
 * fails here; the manifest's `why` says where each violation comes from.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_DESIGNS } from '../../src/model/designs/index.ts';
import { runCheck } from '../../src/properties/check.ts';
import { INVARIANT_IDS } from '../../src/spec/index.ts';

const manifest = JSON.parse(readFileSync(new URL('../expected-verdicts.json', import.meta.url), 'utf8')) as {
  check: { runs: number; maxOps: number; seed: number };
  verdicts: Record<string, Record<string, Record<string, 'held' | 'violated'>>>;
  why: Record<string, string>;
};

describe('expected verdicts manifest', () => {
  for (const [profile, expected] of Object.entries(manifest.verdicts)) {
    it(`${profile}: every design x invariant as the manifest says (seed ${manifest.check.seed})`, async () => {
      const r = await runCheck({ designs: BUILTIN_DESIGNS, profile, ...manifest.check });
      const got = Object.fromEntries(
        r.results.map((d) => [
          d.design,
          Object.fromEntries(
            INVARIANT_IDS.map((i) => [i, d.violations.some((v) => v.invariant === i) ? 'violated' : 'held']),
          ),
        ]),
      );
      expect(got).toEqual(expected);
    });
  }

  it('every expected violation has a reason', () => {
    for (const byDesign of Object.values(manifest.verdicts))
      for (const [design, byInv] of Object.entries(byDesign))
        for (const [inv, v] of Object.entries(byInv))
          if (v === 'violated') expect(manifest.why[`${design}/${inv}`], `${design}/${inv}`).toBeTruthy();
  });
});
