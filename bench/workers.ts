/**
 * Workers on one design (issue 14: `--workers 2` on a single design >= 1.7x one worker, with
 * identical results): `ionck check` of cma-direct-remap on arm32-1g, 2,000 runs, seed 1, run as
 * the user runs it (./bin/ionck, a fresh process each time) with --workers 1 and --workers 2,
 * alternately; the best wall time of each, their ratio, whether the JSON is the same once
 * elapsedMs and timing are dropped, and what each worker of the 2-worker run did.
 * 2,000 runs (about 15 s on one worker) because workers are for long jobs: each process starts in
 * about 0.8 s (node and tsx), and a job of a few seconds measures start-up, not scaling. The
 * check's own elapsed time (process start-up aside) is given beside the wall time. Two copies of
 * the 1-worker command run at once measure what two processes get from this machine at all: the
 * ceiling any --workers 2 is held to here.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkerStat } from '../src/properties/check-result.ts';
import { fmtRate, fmtRatio, msSince, now, table } from './harness.ts';

export const WORKERS_DESIGN = 'cma-direct-remap';
export const WORKERS_PROFILE = 'arm32-1g';

export interface WorkersFigures {
  readonly design: string;
  readonly profile: string;
  readonly runs: number;
  readonly seed: number;
  /** Best wall time of the whole command (process start-up included), per --workers value. */
  readonly wallMs: { readonly one: number; readonly two: number };
  /** wallMs.one / wallMs.two (issue 14: >= 1.7). */
  readonly ratio: number;
  /** Best of the check's own elapsedMs (from its start to its result, node start-up aside). */
  readonly elapsedMs: { readonly one: number; readonly two: number };
  /** Best wall time of two copies of the --workers 1 command started together, until both end. */
  readonly pairMs: number;
  /**
   * 2 x wallMs.one / pairMs: twice the work in the pair's time, the most two processes give on this
   * machine (2 with a free core each and nothing shared).
   */
  readonly ceiling: number;
  /** ratio / ceiling: how much of what the machine gives --workers 2 takes. */
  readonly ofCeiling: number;
  /**
   * Cores the --workers 1 command keeps busy: its tasks' CPU time over their busy time. V8's GC and
   * compiler threads run beside the JavaScript thread, so more than 1; on C cores no --workers C
   * can give more than C / cores.
   */
  readonly coresOne: number;
  /** elapsedMs.one / elapsedMs.two. */
  readonly elapsedRatio: number;
  /**
   * The 1-worker run's CPU time over the busiest process's in the 2-worker run (their tasks only,
   * the worker process's start-up aside): the ratio a core per process would give, whatever the load.
   */
  readonly cpuRatio: number;
  /** The two JSON outputs agree once elapsedMs and timing are dropped. */
  readonly identical: boolean;
  /** What each process of the 2-worker run did (worker 0: the command's own process). */
  readonly workers: readonly (WorkerStat & { readonly opsPerSec: number })[];
}

const BIN = fileURLToPath(new URL('../bin/ionck', import.meta.url));
const withoutTimes = (json: string): string =>
  JSON.stringify(JSON.parse(json, (k, v) => (k === 'elapsedMs' || k === 'timing' ? undefined : v)));

const checkArgs = (runs: number, seed: number, workers: number): string[] => [
  'check',
  '--design',
  WORKERS_DESIGN,
  '--profile',
  WORKERS_PROFILE,
  '--json',
  '--runs',
  String(runs),
  '--seed',
  String(seed),
  '--workers',
  String(workers),
];

/** Exit 0 (holds) or 1 (a violation) is a finished check; anything else ends the bench. */
const finished = (workers: number, status: number | null, stderr: string): void => {
  if (status !== 0 && status !== 1)
    throw new Error(`ionck check --workers ${workers} exited ${status}: ${stderr}`);
};

function checkOnce(runs: number, seed: number, workers: number): { ms: number; json: string } {
  const t0 = now();
  const r = spawnSync(BIN, checkArgs(runs, seed, workers), { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = msSince(t0);
  finished(workers, r.status, r.stderr);
  return { ms, json: r.stdout };
}

/**
 * Two copies of the --workers 1 command started together: wall time until both have ended, and
 * each one's JSON. When one fails the other is stopped: the bench ends at once, not minutes later.
 */
async function pairOnce(runs: number, seed: number): Promise<{ ms: number; jsons: string[] }> {
  const t0 = now();
  const children: ChildProcess[] = [];
  const one = () =>
    new Promise<string>((done, fail) => {
      const c = spawn(BIN, checkArgs(runs, seed, 1), { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(c);
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      c.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      c.on('error', fail);
      c.on('close', (status) => {
        try {
          finished(1, status, stderr);
          done(stdout);
        } catch (e) {
          fail(e);
        }
      });
    });
  try {
    const jsons = await Promise.all([one(), one()]);
    return { ms: msSince(t0), jsons };
  } catch (e) {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    throw e;
  }
}

export async function runWorkersBench(
  log: (s: string) => void,
  runs = 2000,
  reps = 2,
): Promise<WorkersFigures> {
  const seed = 1;
  const ms = { one: Number.POSITIVE_INFINITY, two: Number.POSITIVE_INFINITY };
  let pairMs = Number.POSITIVE_INFINITY;
  const elapsed = { one: Number.POSITIVE_INFINITY, two: Number.POSITIVE_INFINITY };
  const elapsedOf = (json: string): number => JSON.parse(json).timing.elapsedMs;
  let one = '';
  let cpuOne = Number.POSITIVE_INFINITY;
  let coresOne = 0;
  let cpuTwo = Number.POSITIVE_INFINITY;
  const cpuOf = (json: string, f: (xs: number[]) => number) =>
    f((JSON.parse(json).timing.workers as WorkerStat[]).map((w) => w.cpuMs));
  // at least 1 ms: a check of no runs is busy for none and would divide by 0
  const busyOf = (json: string) =>
    Math.max(
      1,
      (JSON.parse(json).timing.workers as WorkerStat[]).reduce((s, w) => s + w.busyMs, 0),
    );
  let two = '';
  for (let i = 0; i < reps; i++) {
    const a = checkOnce(runs, seed, 1);
    const b = checkOnce(runs, seed, 2);
    const pair = await pairOnce(runs, seed);
    // the ceiling is two copies of the very check timed alone, or it measures something else
    if (pair.jsons.some((j) => withoutTimes(j) !== withoutTimes(a.json)))
      throw new Error('two copies of the --workers 1 check gave another result than the check alone');
    pairMs = Math.min(pairMs, pair.ms);
    const cpuA = cpuOf(a.json, (xs) => xs.reduce((s, x) => s + x, 0));
    // from the 1-worker run whose wall time is kept, as every other figure of it
    if (a.ms < ms.one) coresOne = cpuA / busyOf(a.json);
    ms.one = Math.min(ms.one, a.ms);
    ms.two = Math.min(ms.two, b.ms);
    one = a.json;
    two = b.json;
    elapsed.one = Math.min(elapsed.one, elapsedOf(one));
    elapsed.two = Math.min(elapsed.two, elapsedOf(two));
    cpuOne = Math.min(cpuOne, cpuA);
    cpuTwo = Math.min(
      cpuTwo,
      cpuOf(two, (xs) => Math.max(...xs)),
    );
  }
  const workers = JSON.parse(two).timing.workers as WorkersFigures['workers'];
  const figures: WorkersFigures = {
    design: WORKERS_DESIGN,
    profile: WORKERS_PROFILE,
    runs,
    seed,
    wallMs: { one: Math.round(ms.one), two: Math.round(ms.two) },
    ratio: ms.one / ms.two,
    pairMs: Math.round(pairMs),
    ceiling: (2 * ms.one) / pairMs,
    ofCeiling: ms.one / ms.two / ((2 * ms.one) / pairMs),
    coresOne,
    elapsedMs: elapsed,
    elapsedRatio: elapsed.one / elapsed.two,
    cpuRatio: cpuOne / cpuTwo,
    identical: withoutTimes(one) === withoutTimes(two),
    workers,
  };
  log(
    `ionck check --design ${WORKERS_DESIGN} --profile ${WORKERS_PROFILE} --runs ${runs} --seed ${seed}, best of ${reps} (fresh processes)\n`,
  );
  log(
    table(
      ['figure', 'value'],
      [
        ['--workers 1, wall', `${(figures.wallMs.one / 1000).toFixed(2)} s`],
        ['--workers 2, wall', `${(figures.wallMs.two / 1000).toFixed(2)} s`],
        ['ratio (issue 14: >= 1.7)', fmtRatio(figures.ratio)],
        [
          'two copies of the --workers 1 command at once, wall until both end',
          `${(figures.pairMs / 1000).toFixed(2)} s`,
        ],
        [
          "this machine's ceiling for two processes: 2 x (--workers 1) / two copies",
          fmtRatio(figures.ceiling),
        ],
        ['--workers 2 ratio over that ceiling', `${(100 * figures.ofCeiling).toFixed(0)}%`],
        [
          'cores the --workers 1 command keeps busy (CPU / busy time; V8 GC and compiler threads)',
          `${figures.coresOne.toFixed(2)}: at most ${fmtRatio(2 / figures.coresOne)} on 2 cores`,
        ],
        [
          "the check's own elapsed time, 1 / 2 (node start-up aside)",
          `${(elapsed.one / 1000).toFixed(2)} s / ${(elapsed.two / 1000).toFixed(2)} s = ${fmtRatio(figures.elapsedRatio)}`,
        ],
        ['CPU ratio: 1 worker / busiest of 2 (start-up aside)', fmtRatio(figures.cpuRatio)],
        ['same JSON (elapsedMs and timing aside)', figures.identical ? 'yes' : 'NO'],
      ],
    ),
  );
  log('');
  log(
    table(
      ['worker (--workers 2)', 'chunks', 'shrinks', 'runs', 'ops', 'busy', 'CPU', 'ops/s'],
      workers.map((w) => [
        w.worker === 0 ? 'main process' : `worker ${w.worker}`,
        String(w.chunks),
        String(w.shrinks),
        String(w.runs),
        String(w.ops),
        `${(w.busyMs / 1000).toFixed(2)} s`,
        `${(w.cpuMs / 1000).toFixed(2)} s`,
        fmtRate(w.opsPerSec),
      ]),
    ),
  );
  return figures;
}
