/**
 * The cost of checking: one fixed random op stream (test/helpers/random-ops.ts, fast-check with a
 * fixed seed) runs on arm32-1g for each built-in design three ways: no checks (apply only), every
 * invariant checked incrementally after every op (checkStep 'incremental'), and every invariant
 * checked by full scan after every op (checkStep 'full'). Incremental checks should cost little
 * next to the op itself (issue 14: incremental/unchecked <= 1.2x on every design); full scans walk
 * 262,144 pages per invariant per op, so full/incremental should be 100x or more.
 */
import fc from 'fast-check';
import { BUILTIN_DESIGNS } from '../src/model/designs/index.ts';
import { Kernel } from '../src/model/kernel.ts';
import type { Op } from '../src/model/ops.ts';
import { resolveProfile } from '../src/model/profile.ts';
import {
  type CheckMode,
  checkStep,
  INVARIANT_IDS,
  INVARIANTS,
  type InvariantId,
  TYPE_OK,
} from '../src/spec/index.ts';
import { opArb } from '../test/helpers/random-ops.ts';
import { fmtNs, fmtRate, fmtRatio, now, table } from './harness.ts';

export const WORKLOAD_PROFILE = 'arm32-1g';
export const WORKLOAD_SEED = 20150;

export interface WorkloadOptions {
  /** Ops in the stream (unchecked and incremental runs). */
  readonly ops: number;
  /** Ops of the stream's prefix run with full checks (op 0 excluded from the comparison). */
  readonly fullOps: number;
  /** Runs per mode, unchecked and incremental alternating; each op's fastest time counts. */
  readonly reps: number;
}

export const DEFAULT_WORKLOAD: WorkloadOptions = { ops: 3000, fullOps: 40, reps: 5 };

export function workloadOps(n: number, seed = WORKLOAD_SEED): Op[] {
  return fc.sample(opArb('large'), { seed, numRuns: n });
}

/** Each op's fastest time so far, in ns (none yet). */
const noTimes = (n: number): Float64Array => new Float64Array(n).fill(Number.POSITIVE_INFINITY);

/** ns per op over ops 1..n-1 of the fastest times (op 0 excluded: its check builds the memos by a full scan). */
const perOpFrom1 = (best: Float64Array, n: number): number =>
  best.subarray(1, n).reduce((x, y) => x + y, 0) / (n - 1);

/**
 * Incremental runs with every checker timed on its own, in checkStep's order (type-ok, then each
 * invariant): ns per op (ops 1..n-1) for the op itself ('apply') and for each checker, each op's
 * figure the smallest of `reps` runs (a run preempted at some op does not count there).
 */
function checkBreakdown(
  design: (typeof BUILTIN_DESIGNS)[number],
  ops: readonly Op[],
  reps: number,
): Record<string, number> {
  const checks = [TYPE_OK, ...INVARIANTS];
  const best = Array.from({ length: checks.length + 1 }, () => noTimes(ops.length));
  for (let r = 0; r < reps; r++) {
    const k = Kernel.boot(resolveProfile(WORKLOAD_PROFILE), design);
    for (let i = 0; i < ops.length; i++) {
      let t = now();
      k.apply(ops[i]!);
      let t2 = now();
      best[0]![i] = Math.min(best[0]![i]!, Number(t2 - t));
      for (let c = 0; c < checks.length; c++) {
        t = t2;
        checks[c]!.incremental(k);
        t2 = now();
        best[c + 1]![i] = Math.min(best[c + 1]![i]!, Number(t2 - t));
      }
    }
  }
  return Object.fromEntries([
    ['apply', perOpFrom1(best[0]!, ops.length)],
    ...checks.map((c, j) => [c.id, perOpFrom1(best[j + 1]!, ops.length)]),
  ]);
}

/**
 * Boot (untimed), then run the stream; `mode` null = no checks. Each op's time (apply, plus
 * checkStep in `mode`) goes into `best` where it is smaller: a run's figure is then the sum over
 * ops of each op's fastest time over the runs, so an op preempted or charged a GC pause in one run
 * does not count (whole-run CPU times moved by +-40% between runs of 3,000 ops).
 */
function timeRun(
  design: (typeof BUILTIN_DESIGNS)[number],
  ops: readonly Op[],
  mode: CheckMode | null,
  best: Float64Array,
  ids: readonly InvariantId[] = INVARIANT_IDS,
): void {
  timeOps(Kernel.boot(resolveProfile(WORKLOAD_PROFILE), design), ops, 0, ops.length, mode, best, ids);
}

/** Apply ops[from..to) on k, each checked in `mode` (null: not checked); each op's time into `best` where smaller. */
function timeOps(
  k: Kernel,
  ops: readonly Op[],
  from: number,
  to: number,
  mode: CheckMode | null,
  best: Float64Array,
  ids: readonly InvariantId[] = INVARIANT_IDS,
): void {
  for (let i = from; i < to; i++) {
    const t = now();
    k.apply(ops[i]!);
    if (mode !== null) checkStep(k, ids, mode);
    best[i] = Math.min(best[i]!, Number(now() - t));
  }
}

/**
 * One unchecked and one incrementally checked run of the stream, side by side: two kernels
 * booted alike (untimed) take the ops in blocks of `BLOCK`, the unchecked kernel a block, then
 * the checked kernel the same block, so both meet the machine's load within a millisecond of each
 * other (a busy machine's speed drifts between whole runs: the ratio moved by +-0.1 between runs
 * made seconds apart). Each op's time goes into `un` and `inc` where it is smaller, as in timeRun.
 */
function timePair(
  design: (typeof BUILTIN_DESIGNS)[number],
  ops: readonly Op[],
  un: Float64Array,
  inc: Float64Array,
): void {
  const u = Kernel.boot(resolveProfile(WORKLOAD_PROFILE), design);
  const c = Kernel.boot(resolveProfile(WORKLOAD_PROFILE), design);
  for (let from = 0; from < ops.length; from += BLOCK) {
    const to = Math.min(ops.length, from + BLOCK);
    timeOps(u, ops, from, to, null, un);
    timeOps(c, ops, from, to, 'incremental', inc);
  }
}
/** Ops per block of timePair: long enough that a kernel's pages stay in cache across its block. */
const BLOCK = 50;

export interface WorkloadRow {
  readonly design: string;
  /** ns per op (ops 1..n-1). */
  readonly unchecked: number;
  readonly incremental: number;
  /** ns per op over the full-check prefix, incremental and full. */
  readonly incrementalPrefix: number;
  readonly full: number;
  /** ns per op of the op itself ('apply') and of each incremental checker, timed one by one. */
  readonly perCheck: Readonly<Record<string, number>>;
}

export function runWorkloadBench(
  log: (s: string) => void,
  o: WorkloadOptions = DEFAULT_WORKLOAD,
): WorkloadRow[] {
  const ops = workloadOps(o.ops);
  const kinds = new Map<string, number>();
  for (const op of ops) kinds.set(op.op, (kinds.get(op.op) ?? 0) + 1);
  log(
    `stream: ${ops.length} ops (fast-check seed ${WORKLOAD_SEED}, test/helpers/random-ops.ts opArb('large')); full checks on the first ${o.fullOps}`,
  );
  const rows: WorkloadRow[] = [];
  for (const design of BUILTIN_DESIGNS) {
    // warm-up: one short run of each mode
    const warm = ops.slice(0, 200);
    timeRun(design, warm, null, noTimes(ops.length));
    timeRun(design, warm, 'incremental', noTimes(ops.length));
    timeRun(design, ops.slice(0, 3), 'full', noTimes(ops.length));
    const un = noTimes(ops.length);
    const inc = noTimes(ops.length);
    for (let r = 0; r < o.reps; r++) timePair(design, ops, un, inc);
    const fullBest = noTimes(ops.length);
    timeRun(design, ops.slice(0, o.fullOps), 'full', fullBest);
    const perCheck = checkBreakdown(design, ops, Math.min(3, o.reps));
    rows.push({
      design: design.id,
      unchecked: perOpFrom1(un, ops.length),
      incremental: perOpFrom1(inc, ops.length),
      incrementalPrefix: perOpFrom1(inc, o.fullOps),
      full: perOpFrom1(fullBest, o.fullOps),
      perCheck,
    });
  }
  log(
    table(
      [
        'design',
        'unchecked',
        'ops/s',
        'incremental',
        'ops/s',
        'incr/unchecked',
        `incr (first ${o.fullOps})`,
        `full (first ${o.fullOps})`,
        'full/incr',
      ],
      rows.map((r) => [
        r.design,
        fmtNs(r.unchecked),
        fmtRate(1e9 / r.unchecked),
        fmtNs(r.incremental),
        fmtRate(1e9 / r.incremental),
        fmtRatio(r.incremental / r.unchecked),
        fmtNs(r.incrementalPrefix),
        fmtNs(r.full),
        fmtRatio(r.full / r.incrementalPrefix),
      ]),
    ),
  );
  log(
    '\nwhere the incremental check time goes (ns per op, each checker timed on its own, each op the fastest of 3 runs; apply = the op itself):\n',
  );
  const ids = ['apply', 'type-ok', ...INVARIANT_IDS];
  const checksOf = (r: WorkloadRow) => ids.slice(1).reduce((sum, id) => sum + r.perCheck[id]!, 0);
  log(
    table(
      ['design', ...ids, 'checks', '(apply+checks)/apply'],
      rows.map((r) => [
        r.design,
        ...ids.map((id) => fmtNs(Math.max(0, r.perCheck[id]!))),
        fmtNs(checksOf(r)),
        fmtRatio(1 + checksOf(r) / r.perCheck.apply!),
      ]),
    ),
  );
  return rows;
}
