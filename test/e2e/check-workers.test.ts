/**
 * `ionck check --workers N` on one design: the design's chunks and shrinks spread over worker
 * processes give the JSON of the inline check (elapsedMs and timing aside), findings and replay
 * tokens included, and the terminal and JSON say what each worker did.
 */
import { describe, expect, it } from 'vitest';
import { CHUNK_RUNS } from '../../src/properties/check-chunks.ts';
import { cli, withoutTimes } from '../helpers/cli.ts';

interface WorkerJson {
  worker: number;
  chunks: number;
  shrinks: number;
  runs: number;
  ops: number;
  busyMs: number;
  opsPerSec: number;
}

const check = (design: string, seed: string, runs: number, workers: number, extra: string[] = []) =>
  cli([
    'check',
    ...['--design', design, '--profile', 'tiny', '--seed', seed, '--runs', String(runs), '--json'],
    ...['--workers', String(workers), ...extra],
  ]);

describe('check --workers N on one design', () => {
  it('cma-direct: --workers 2 and 3 give the JSON of --workers 1; each worker ran its share of the chunks', async () => {
    const runs = CHUNK_RUNS * 4 + 5;
    const one = await check('cma-direct', '5', runs, 1, ['--max-ops', '40']);
    const json1 = JSON.parse(one.stdout);
    expect(json1.results[0].runs).toBe(runs);
    // inline: the check's own process ran every chunk
    expect(json1.timing.workers).toEqual([
      expect.objectContaining({ worker: 0, chunks: 5, runs, ops: expect.any(Number) }),
    ]);
    for (const n of [2, 3]) {
      const many = await check('cma-direct', '5', runs, n, ['--max-ops', '40']);
      expect(many.code).toBe(one.code);
      expect(withoutTimes(many.stdout)).toEqual(withoutTimes(one.stdout));
      const workers: WorkerJson[] = JSON.parse(many.stdout).timing.workers;
      // this process (worker 0) and n - 1 worker processes, the chunks split between them
      expect(workers.map((w) => w.worker)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(workers.reduce((a, w) => a + w.chunks, 0)).toBe(5);
      expect(workers.reduce((a, w) => a + w.runs, 0)).toBe(runs);
      expect(workers.filter((w) => w.chunks > 0).length).toBeGreaterThan(1);
    }
  });

  it('a violating zoo design: the same findings, shrunk traces and replay tokens with 1 and 2 workers', async () => {
    const one = await check('zoo/m03-zero-skips-order0', '3', 60, 1);
    const two = await check('zoo/m03-zero-skips-order0', '3', 60, 2);
    expect(one.code).toBe(1);
    expect(two.code).toBe(1);
    const v1 = JSON.parse(one.stdout).results[0].violations;
    const v2 = JSON.parse(two.stdout).results[0].violations;
    expect(v1.map((v: { invariant: string }) => v.invariant)).toContain('zeroed-on-alloc');
    expect(v2).toEqual(v1);
    expect(withoutTimes(two.stdout)).toEqual(withoutTimes(one.stdout));
  });

  it('a different seed gives a different search (the comparison above can fail)', async () => {
    const a = await check('cma-direct', '5', CHUNK_RUNS * 2, 2, ['--max-ops', '40']);
    const b = await check('cma-direct', '6', CHUNK_RUNS * 2, 2, ['--max-ops', '40']);
    const ops = (s: string) => JSON.parse(s).results[0].opsExecuted;
    expect(ops(b.stdout)).not.toBe(ops(a.stdout));
  });

  it('the terminal prints one line per worker: chunks, shrinks, runs, ops, busy and CPU time, ops/s', async () => {
    const line = (who: string) =>
      new RegExp(
        `^${who}: \\d+ chunks?, \\d+ shrinks?, \\d+ runs?, [\\d,]+ ops in [\\d.]+s \\([\\d.]+s CPU\\), [\\d,]+ ops/s$`,
        'm',
      );
    const r = await cli([
      'check',
      ...['--design', 'cma-direct', '--profile', 'tiny', '--runs', String(CHUNK_RUNS * 3), '--max-ops', '30'],
      ...['--workers', '2'],
    ]);
    expect(r.stdout).toMatch(line('main process'));
    expect(r.stdout).toMatch(line('worker 1'));
    expect(r.stdout).not.toMatch(/^worker 2:/m);
  });
});
