/**
 * runCompare: one plain report object, the same for the same seed (timing fields aside), with the
 * findings the issue asks for. Seed 20160901 (the default).
 */

import { beforeAll, describe, expect, it } from 'vitest';
import { runCompare } from '../../../src/compare/compare.ts';
import { DEFAULT_COMPARE_SEED } from '../../../src/compare/params.ts';
import { CHECK_IDS, SERIES_POINTS_MAX } from '../../../src/compare/run-workload.ts';
import { defineDesign } from '../../../src/model/designs/design.ts';
import { BUILTIN_DESIGNS } from '../../../src/model/designs/index.ts';
import { renderJson, withoutTiming } from '../../../src/report/json.ts';
import { COMPARE_SCHEMA, type CompareReport } from '../../../src/report/types.ts';

const SEED = DEFAULT_COMPARE_SEED;

describe(`runCompare determinism (seed ${SEED})`, () => {
  it('two runs with the same seed give identical JSON apart from elapsedMs / opsPerSec', async () => {
    const opts = {
      designs: ['legacy-3.18', 'cma-direct-remap'],
      profiles: ['arm32-1g'],
      workloads: ['camera'],
      ops: 120,
      seed: SEED,
    };
    const a = await runCompare(opts);
    const b = await runCompare(opts);
    expect(a.counterexamples.length).toBeGreaterThan(0);
    const ja = withoutTiming(JSON.parse(renderJson(a)));
    const jb = withoutTiming(JSON.parse(renderJson(b)));
    expect(ja).toEqual(jb);
    expect(JSON.stringify(ja)).not.toMatch(/"(elapsedMs|opsPerSec)"/);
    // and a different seed gives a different stream
    const c = await runCompare({ ...opts, seed: SEED + 1, shrink: false });
    expect(c.streams[0]!.ops).not.toEqual(a.streams[0]!.ops);
  });
});

describe(`the default comparison's findings (seed ${SEED}, 1,000 ops)`, () => {
  let rep: CompareReport;
  beforeAll(async () => {
    rep = await runCompare({ workloads: ['seed-product', 'camera'], seed: SEED, shrink: false });
  });
  const run = (p: string, w: string, d: string) =>
    rep.runs.find((r) => r.profile === p && r.workload === w && r.design === d)!;

  it('is one plain report object with a schema and a row per design x profile x workload', () => {
    expect(rep.schema).toBe(COMPARE_SCHEMA);
    expect(rep.params.designs).toEqual([
      'legacy-3.18',
      'no-kernel-mapping',
      'cma-direct',
      'cma-direct-remap',
      'ion-4.12',
      'dmabuf-heap-cma',
    ]);
    expect(rep.params.profiles).toEqual(['arm32-1g', 'arm32-1g-cma512']);
    expect(rep.runs).toHaveLength(6 * 2 * 2);
    expect(rep.streams).toHaveLength(2 * 2);
    expect(rep.command).toBe(
      `ionck compare --workload seed-product --workload camera --ops 1000 --seed ${SEED}`,
    );
    for (const r of rep.runs) {
      expect(r.status).toBe('completed');
      expect(r.opsRun).toBe(1000);
      expect(Object.keys(r.verdicts)).toEqual([...CHECK_IDS]);
      expect(r.vmalloc.series.length).toBeLessThanOrEqual(SERIES_POINTS_MAX);
      expect(r.vmalloc.series.at(-1)![0]).toBe(999);
      expect(r.vmalloc.windowPages).toBe(61440);
      expect(r.cma?.series.length).toBeLessThanOrEqual(SERIES_POINTS_MAX);
    }
    expect(JSON.parse(JSON.stringify(rep))).toEqual(rep);
  });

  it('legacy-3.18 runs out of vmalloc on seed-product on arm32-1g; the cma_alloc designs do not', () => {
    const legacy = run('arm32-1g', 'seed-product', 'legacy-3.18');
    expect(legacy.firstVmapFailure).not.toBeNull();
    expect(legacy.vmalloc.peakLivePages).toBeGreaterThan(0.99 * legacy.vmalloc.windowPages);
    const errnos = legacy.failures.byOp
      .filter((f) => f.op === 'alloc' || f.op === 'driver-vmap')
      .map((f) => f.errnoName);
    expect(errnos.some((e) => e === 'ENOMEM' || e === 'EPERM')).toBe(true);
    for (const d of ['no-kernel-mapping', 'cma-direct', 'cma-direct-remap']) {
      const r = run('arm32-1g', 'seed-product', d);
      expect(r.firstVmapFailure).toBeNull();
      expect(r.failures.total).toBe(0);
      expect(r.vmalloc.peakLivePages).toBeLessThan(0.7 * r.vmalloc.windowPages);
    }
    const f = rep.findings.find((x) => x.kind === 'vmalloc-exhausted' && x.profile === 'arm32-1g');
    expect(f?.designs).toEqual(['legacy-3.18']);
    expect(f?.text).toMatch(/^legacy-3\.18 ran out of vmalloc on seed-product \(arm32-1g\) at step \d+/);
    expect(f?.text).toContain('window 61,440 pages');
  });

  it('no-kernel-mapping and cma-direct make conflicting aliases on arm32-1g-cma512; cma-direct-remap holds', () => {
    for (const d of ['no-kernel-mapping', 'cma-direct'])
      expect(run('arm32-1g-cma512', 'camera', d).verdicts['no-conflicting-alias']?.status).toBe('violated');
    expect(run('arm32-1g-cma512', 'camera', 'legacy-3.18').verdicts['no-conflicting-alias']?.status).toBe(
      'held',
    );
    const remap = rep.runs.filter((r) => r.design === 'cma-direct-remap');
    for (const r of remap) for (const v of Object.values(r.verdicts)) expect(v.status).toBe('held');
    expect(
      rep.findings.some((f) => f.kind === 'held-everything' && f.designs[0] === 'cma-direct-remap'),
    ).toBe(true);
    const v = run('arm32-1g-cma512', 'camera', 'cma-direct').verdicts['no-conflicting-alias']!;
    expect(v.trace?.at(-1)?.step).toBe(v.step);
    expect(v.trace?.at(-1)?.callPath.length).toBeGreaterThan(0);
  });

  it('records where the designs first diverge', () => {
    const s = rep.streams.find((x) => x.profile === 'arm32-1g' && x.workload === 'seed-product')!;
    const legacy = run('arm32-1g', 'seed-product', 'legacy-3.18');
    expect(s.firstOutcomeDivergence?.step).toBe(
      legacy.failures.byOp.reduce((a, f) => Math.min(a, f.firstStep), 1e9),
    );
    expect(s.firstOutcomeDivergence?.outcomes.find((o) => o.design === 'legacy-3.18')?.ok).toBe(false);
  });

  it('rejects bad parameters with one line', async () => {
    await expect(runCompare({ designs: ['nope'] })).rejects.toThrow(/unknown design 'nope'/);
    await expect(runCompare({ workloads: ['nope'] })).rejects.toThrow(/unknown workload 'nope'/);
    await expect(runCompare({ ops: 0 })).rejects.toThrow(/--ops/);
    await expect(runCompare({ designs: ['cma-direct', 'cma-direct'] })).rejects.toThrow(/given twice/);
  });
});

describe('a design that throws', () => {
  it('is reported as a model exception, not a finding, and the others still run', async () => {
    const base = BUILTIN_DESIGNS.find((d) => d.id === 'cma-direct-remap')!;
    const broken = defineDesign({
      ...base,
      id: 'broken-at-boot',
      heaps: () => {
        throw new Error('heap table exploded');
      },
    });
    const rep = await runCompare({
      designs: [broken, base],
      profiles: ['arm32-1g'],
      workloads: ['camera'],
      ops: 20,
      seed: SEED,
      shrink: false,
    });
    const bad = rep.runs.find((r) => r.design === 'broken-at-boot')!;
    expect(bad.status).toBe('model-exception');
    expect(bad.error).toEqual({ step: 0, message: 'Error: heap table exploded' });
    expect(bad.verdicts['no-conflicting-alias']?.status).toBe('unchecked');
    expect(rep.runs.find((r) => r.design === 'cma-direct-remap')!.status).toBe('completed');
    expect(rep.findings[0]?.kind).toBe('model-exception');
    expect(rep.matrix.find((m) => m.design === 'broken-at-boot')?.cells['type-ok']?.status).toBe('unchecked');
  });
});
