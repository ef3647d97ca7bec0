/**
 * Every token a check prints replays to its finding: 200 small random check runs (random design,
 * profile and seed, a few ops each), each token replayed on a fresh boot, some through the CLI.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ALL_DESIGNS } from '../../src/model/designs/index.ts';
import { resolveProfile } from '../../src/model/profile.ts';
import { runCheck } from '../../src/properties/check.ts';
import { parseReplay, replayInvariants, runReplay } from '../../src/properties/replay.ts';
import { cli } from '../helpers/cli.ts';

const SEED = 777;

it(`replays every token printed by 200 random check runs (seed ${SEED})`, async () => {
  const plans = fc.sample(
    fc.record({
      design: fc.constantFrom(...ALL_DESIGNS),
      profile: fc.oneof(
        { weight: 8, arbitrary: fc.constant('tiny') },
        { weight: 1, arbitrary: fc.constantFrom('arm32-1g', 'arm32-1g-cma512') },
      ),
      seed: fc.nat(1_000_000),
      maxOps: fc.integer({ min: 3, max: 25 }),
    }),
    { seed: SEED, numRuns: 200 },
  );
  let tokens = 0;
  let viaCli = 0;
  for (const p of plans) {
    const profile = resolveProfile(p.profile);
    const r = await runCheck({
      designs: [p.design],
      profile,
      runs: 12,
      maxOps: p.maxOps,
      seed: p.seed,
      shrinkRunsMax: 20,
    });
    for (const v of r.results[0]!.violations) {
      tokens++;
      const what = `${p.design.id}/${p.profile}/seed ${p.seed}: ${v.invariant}`;
      expect(v.detail.reproducesOnBoot, what).toBe(true);
      const rep = parseReplay(v.replay);
      expect(rep.ops, what).toEqual(v.ops);
      const run = runReplay(rep, p.design, profile, replayInvariants(rep, []));
      expect(
        run.violations.find((x) => x.invariant === v.invariant),
        what,
      ).toMatchObject({ invariant: v.invariant, step: v.step });
      if (tokens % 5 === 0) {
        viaCli++;
        const out = await cli(['replay', v.replay, '--json']);
        expect(out.code, `${what}\n${out.stderr}`).toBe(1);
        const json = JSON.parse(out.stdout);
        expect(json.steps).toHaveLength(v.ops.length);
        expect(json.violations.map((x: { invariant: string }) => x.invariant)).toContain(v.invariant);
      }
    }
  }
  expect(tokens).toBeGreaterThan(40);
  expect(viaCli).toBeGreaterThan(8);
});
