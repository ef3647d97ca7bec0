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
import { fmtNs, fmtRate, fmtRatio, median, now, table } from './harness.ts';

export const WORKLOAD_PROFILE = 'arm32-1g';
export const WORKLOAD_SEED = 20150;

export interface WorkloadOptions {
  /** Ops in the stream (unchecked and incremental runs). */
  readonly ops: number;
  /** Ops of the stream's prefix run with full checks (op 0 excluded from the comparison). */
  readonly fullOps: number;
  /** Runs per mode; the median is reported. */
  readonly reps: number;
}

export const DEFAULT_WORKLOAD: WorkloadOptions = { ops: 3000, fullOps: 40, reps: 3 };

export function workloadOps(n: number, seed = WORKLOAD_SEED): Op[] {
  return fc.sample(opArb('large'), { seed, numRuns: n });
}

interface RunTiming {
  /** ns for ops 1..n-1 (op 0 excluded: its check builds the incremental memos by a full scan). */
  readonly total: number;
  /** ns for ops 1..prefix-1. */
  readonly prefix: number;
}

/**
 * One incremental run with every checker timed on its own, in checkStep's order (type-ok, then
 * each invariant): ns per op (ops 1..n-1) for the op itself ('apply') and for each checker.
 */
function checkBreakdown(
  design: (typeof BUILTIN_DESIGNS)[number],
  ops: readonly Op[],
): Record<string, number> {
  const k = Kernel.boot(resolveProfile(WORKLOAD_PROFILE), design);
  const checks = [TYPE_OK, ...INVARIANTS];
  const sums = new Array<number>(checks.length + 1).fill(0);
  for (let i = 0; i < ops.length; i++) {
    let t = now();
    k.apply(ops[i]!);
    let t2 = now();
    if (i > 0) sums[0]! += Number(t2 - t);
    for (let c = 0; c < checks.length; c++) {
      t = t2;
      checks[c]!.incremental(k);
      t2 = now();
      if (i > 0) sums[c + 1]! += Number(t2 - t);
    }
  }
  const n = ops.length - 1;
  return Object.fromEntries([['apply', sums[0]! / n], ...checks.map((c, j) => [c.id, sums[j + 1]! / n])]);
}

/** Boot (untimed), then time the stream; `mode` null = no checks. */
function timeRun(
  design: (typeof BUILTIN_DESIGNS)[number],
  ops: readonly Op[],
  mode: CheckMode | null,
  prefix: number,
  ids: readonly InvariantId[] = INVARIANT_IDS,
) {
  const k = Kernel.boot(resolveProfile(WORKLOAD_PROFILE), design);
  let t1 = 0n;
  let tp = 0n;
  for (let i = 0; i < ops.length; i++) {
    if (i === 1) t1 = now();
    if (i === prefix) tp = now();
    k.apply(ops[i]!);
    if (mode !== null) checkStep(k, ids, mode);
  }
  const end = now();
  if (ops.length <= prefix) tp = end;
  return { total: Number(end - t1), prefix: Number(tp - t1) } satisfies RunTiming;
}

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
    timeRun(design, warm, null, 1);
    timeRun(design, warm, 'incremental', 1);
    timeRun(design, ops.slice(0, 3), 'full', 1);
    const un: number[] = [];
    const inc: number[] = [];
    const incP: number[] = [];
    const full: number[] = [];
    for (let r = 0; r < o.reps; r++) {
      un.push(timeRun(design, ops, null, o.fullOps).total / (ops.length - 1));
      const t = timeRun(design, ops, 'incremental', o.fullOps);
      inc.push(t.total / (ops.length - 1));
      incP.push(t.prefix / (o.fullOps - 1));
    }
    full.push(timeRun(design, ops.slice(0, o.fullOps), 'full', o.fullOps).total / (o.fullOps - 1));
    const perCheck = checkBreakdown(design, ops);
    rows.push({
      design: design.id,
      unchecked: median(un),
      incremental: median(inc),
      incrementalPrefix: median(incP),
      full: median(full),
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
    '\nwhere the incremental check time goes (ns per op, each checker timed on its own in one run; apply = the op itself):\n',
  );
  const ids = ['apply', 'type-ok', ...INVARIANT_IDS];
  log(
    table(
      ['design', ...ids],
      rows.map((r) => [r.design, ...ids.map((id) => fmtNs(Math.max(0, r.perCheck[id]!)))]),
    ),
  );
  return rows;
}
