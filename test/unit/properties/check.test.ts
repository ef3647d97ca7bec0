/**
 * runCheck: the expected findings of the built-in designs, each shrunk on its own to a 1-minimal
 * trace that reproduces on a fresh boot; determinism; goals and unproven.
 */

import { describe, expect, it } from 'vitest';
import { builtinDesign } from '../../../src/model/designs/index.ts';
import { Kernel } from '../../../src/model/kernel.ts';
import { resolveProfile } from '../../../src/model/profile.ts';
import { runCheck } from '../../../src/properties/check.ts';
import type { CheckResult } from '../../../src/properties/check-result.ts';
import { reproduce } from '../../../src/properties/minimize.ts';
import { parseReplay, runReplay } from '../../../src/properties/replay.ts';
import { GOALS } from '../../../src/spec/index.ts';

const design = (id: string) => builtinDesign(id)!;
const dropTimes = (r: CheckResult) =>
  JSON.parse(JSON.stringify(r, (k, v) => (k === 'elapsedMs' || k === 'timing' ? undefined : v)));

describe('runCheck: expected findings (seed 1)', () => {
  it('legacy-3.18 on arm32-1g violates vmalloc-bounded with one uncached CMA alloc', async () => {
    const r = await runCheck({
      designs: [design('legacy-3.18')],
      profile: resolveProfile('arm32-1g'),
      invariants: ['vmalloc-bounded'],
      runs: 20,
      maxOps: 40,
      seed: 1,
    });
    const d = r.results[0]!;
    expect(d.status).toBe('violated');
    expect(d.violations.map((v) => v.invariant)).toEqual(['vmalloc-bounded']);
    const v = d.violations[0]!;
    expect(v.ops).toHaveLength(1);
    expect(v.ops[0]).toMatchObject({ op: 'alloc', heap: 'cma' });
    expect((v.ops[0] as { cached?: boolean }).cached ?? false).toBe(false);
    expect(v.step).toBe(0);
    expect(v.callPath).toContain('dmaAllocRemap');
    expect(v.detail.reproducesOnBoot).toBe(true);
  });

  it('cma-direct on arm32-1g-cma512 violates no-conflicting-alias in at most 2 ops; on the CMA heap alone: an uncached alloc and an NC view (kmap, or share + mmap)', async () => {
    const all = await runCheck({
      designs: [design('cma-direct')],
      profile: resolveProfile('arm32-1g-cma512'),
      invariants: ['no-conflicting-alias'],
      runs: 20,
      maxOps: 40,
      seed: 1,
    });
    // the carveout heap's B17 alias is one op; the CMA heap's needs a kmap
    expect(all.results[0]!.violations[0]!.ops.length).toBeLessThanOrEqual(2);
    const cma = await runCheck({
      designs: [design('cma-direct')],
      profile: resolveProfile('arm32-1g-cma512'),
      invariants: ['no-conflicting-alias'],
      heaps: ['cma'],
      runs: 20,
      maxOps: 40,
      seed: 1,
    });
    const v = cma.results[0]!.violations[0]!;
    expect(v.invariant).toBe('no-conflicting-alias');
    // B17: the WB linear map beside an NC view; which view the seeded search meets first depends
    // on the generator (issue 13 changed it): the kernel's kmap or a user mapping
    expect(v.ops[0]).toMatchObject({ op: 'alloc', heap: 'cma' });
    expect((v.ops[0] as { cached?: boolean }).cached ?? false).toBe(false);
    const client = (v.ops[0] as { client: number }).client;
    const viaKmap = [{ op: 'kmap', client, handle: 0 }];
    const viaMmap = [
      { op: 'share', client, handle: 0 },
      { op: 'mmap', fd: 0 },
    ];
    expect([viaKmap, viaMmap]).toContainEqual(v.ops.slice(1));
  });

  it('cma-direct-remap holds every invariant on arm32-1g and reaches every goal', async () => {
    const r = await runCheck({
      designs: [design('cma-direct-remap')],
      profile: resolveProfile('arm32-1g'),
      runs: 100,
      maxOps: 100,
      seed: 1,
    });
    const d = r.results[0]!;
    expect(
      d.violations.map((v) => `${v.invariant}: ${v.ops.map((o) => JSON.stringify(o)).join(' ')}`),
    ).toEqual([]);
    expect(d.goals.filter((g) => !g.reached)).toEqual([]);
    expect(d.status).toBe('held');
    expect(d.runs).toBe(100);
  });
});

describe('runCheck: shrinking each finding on its own', () => {
  it('every finding of legacy-3.18 is its own 1-minimal trace that reproduces on a fresh boot', async () => {
    const profile = resolveProfile('arm32-1g');
    const r = await runCheck({ designs: [design('legacy-3.18')], profile, runs: 60, maxOps: 60, seed: 3 });
    const d = r.results[0]!;
    expect(d.violations.length).toBeGreaterThanOrEqual(2);
    expect(new Set(d.violations.map((v) => v.invariant)).size).toBe(d.violations.length);
    const fresh = () => Kernel.boot(profile, design('legacy-3.18'));
    for (const v of d.violations) {
      // the token replays to this very invariant
      const rep = parseReplay(v.replay);
      expect(rep.invariant).toBe(v.invariant);
      expect(rep.ops).toEqual(v.ops);
      const run = runReplay(rep, design('legacy-3.18'), profile, [v.invariant as 'vmalloc-bounded']);
      expect(run.violations[0]).toMatchObject({ invariant: v.invariant, step: v.step });
      // 1-minimal: dropping any single op loses this finding
      for (let i = 0; i < v.ops.length; i++) {
        const fewer = v.ops.filter((_, j) => j !== i);
        expect(
          reproduce(fresh, fewer, v.invariant, 'incremental'),
          `${v.invariant} without op ${i}`,
        ).toBeNull();
      }
    }
  });

  it('the same seed gives the same result, byte for byte but elapsedMs', async () => {
    const opts = {
      designs: [design('legacy-3.18'), design('no-kernel-mapping')],
      profile: resolveProfile('tiny'),
      runs: 30,
      maxOps: 50,
      seed: 99,
    };
    const a = await runCheck(opts);
    const b = await runCheck(opts);
    expect(JSON.stringify(dropTimes(a))).toBe(JSON.stringify(dropTimes(b)));
    const c = await runCheck({ ...opts, seed: 100 });
    expect(JSON.stringify(dropTimes(c))).not.toBe(JSON.stringify(dropTimes(a)));
  });

  it('shards split the designs; each design is checked exactly as in the whole check', async () => {
    const base = {
      designs: [design('legacy-3.18'), design('cma-direct'), design('cma-direct-remap')],
      profile: resolveProfile('tiny'),
      runs: 6,
      maxOps: 20,
      seed: 5,
    };
    const whole = await runCheck(base);
    const s1 = await runCheck({ ...base, shard: { index: 1, count: 2 } });
    const s2 = await runCheck({ ...base, shard: { index: 2, count: 2 } });
    expect(s1.results.map((d) => d.design)).toEqual(['legacy-3.18', 'cma-direct-remap']);
    expect(s2.results.map((d) => d.design)).toEqual(['cma-direct']);
    expect(s1.seed).toBe(5);
    expect(s2.seed).toBe(5);
    const same = (d: { elapsedMs: number }) => JSON.stringify({ ...d, elapsedMs: 0 });
    expect(same(s1.results[0]!)).toBe(same(whole.results[0]!));
    expect(same(s2.results[0]!)).toBe(same(whole.results[1]!));
    expect(same(s1.results[1]!)).toBe(same(whole.results[2]!));
  });

  it('goals are reported per design; a run that misses one is unproven, not held', async () => {
    const r = await runCheck({
      designs: [design('cma-direct-remap')],
      profile: resolveProfile('arm32-1g'),
      runs: 2,
      maxOps: 5,
      seed: 1,
    });
    const d = r.results[0]!;
    expect(d.goals.map((g) => g.goal)).toEqual(GOALS.map((g) => g.id));
    expect(d.violations).toEqual([]);
    expect(d.status).toBe('unproven');
    expect(Object.values(d.stats.actions).reduce((n, a) => n + a.applied, 0)).toBeGreaterThan(0);
  });
});
