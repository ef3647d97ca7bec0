/**
 * What `ionck check` reports: per design its status, findings (each with its shrunk trace and
 * replay token), goals and action coverage; and the whole check's parameters.
 */
import type { HeapName } from '../model/ion/heap.ts';
import { OP_KINDS, type Op, type OpKind } from '../model/ops.ts';
import { GOALS, type InvariantId, type MappingInfo } from '../spec/index.ts';
import type { FindingId } from './commands.ts';
import type { ReplayStep } from './replay.ts';

/** failed: the design threw, returned garbage, looped past its budget or exited (its own fault). */
export type CheckStatus = 'held' | 'violated' | 'unproven' | 'failed';

export interface CheckProgress {
  readonly design: string;
  readonly designIndex: number;
  readonly designCount: number;
  readonly runsDone: number;
  readonly runsTotal: number;
  readonly phase: 'search' | 'shrink';
  readonly findings: number;
}

/** A step of a violation's trace: the same as a replay's. */
export type StepView = ReplayStep;

export interface CheckViolation {
  readonly invariant: FindingId;
  /** Index (from 0) of the op after which the finding shows: the last op of `ops`. */
  readonly step: number;
  readonly message: string;
  readonly ops: readonly Op[];
  /** Call path of the op at `step`. */
  readonly callPath: readonly string[];
  /** The replay token (`ionck1:...`). */
  readonly replay: string;
  readonly detail: {
    readonly steps: readonly StepView[];
    readonly pfns: readonly number[];
    readonly mappings: readonly MappingInfo[];
    /** The fast-check seed and counterexample path of the search that found it. */
    readonly seed: number;
    readonly path: string;
    /** Ops of fast-check's shrunk trace, before delta debugging. */
    readonly shrunkOps: number;
    /** false: the trace fails on the clone the search used but not on a fresh boot (a model bug). */
    readonly reproducesOnBoot: boolean;
  };
}

export interface GoalResult {
  readonly goal: string;
  /** Whether an unreached goal makes a clean run 'unproven'. */
  readonly required: boolean;
  readonly reached: boolean;
}

export interface GoalStat extends GoalResult {
  readonly description: string;
  /** The shortest op prefix that reached it in the search. */
  readonly ops: readonly Op[] | null;
}

export interface ActionStat {
  applied: number;
  ok: number;
  failed: number;
}

export interface DesignCheck {
  readonly design: string;
  readonly profile: string;
  readonly status: CheckStatus;
  /** Search runs executed (shrink runs not counted). */
  readonly runs: number;
  /** Ops applied on kernels: search, shrinking and delta debugging. */
  readonly opsExecuted: number;
  readonly elapsedMs: number;
  readonly violations: readonly CheckViolation[];
  readonly goals: readonly GoalResult[];
  readonly seed: number;
  /** A time limit ended the search before its run budget. */
  readonly interrupted: boolean;
  /** Why the design failed (status 'failed'): what it threw, or how its process ended. */
  readonly failure?: string;
  readonly stats: {
    readonly actions: Readonly<Record<OpKind, ActionStat>>;
    readonly goals: readonly GoalStat[];
  };
}

/** What one process did in a check: the chunks and shrinks it ran, and how long it was busy. */
export interface WorkerStat {
  /** 0: the check's own process (inline); 1..N: worker processes. */
  readonly worker: number;
  readonly chunks: number;
  readonly shrinks: number;
  /** Search runs of its chunks. */
  readonly runs: number;
  /** Ops applied in its chunks and shrinks. */
  readonly ops: number;
  /** Wall-clock time spent on its tasks (loading and booting a design included). */
  readonly busyMs: number;
  /** CPU time of that process over its tasks: what it would have taken on a core of its own. */
  readonly cpuMs: number;
}

/** Wall-clock figures of a check: everything that may differ between identical checks. */
export interface CheckTiming {
  readonly elapsedMs: number;
  readonly workers: readonly WorkerStat[];
}

export interface CheckResult {
  readonly seed: number;
  readonly profile: string;
  readonly invariants: readonly InvariantId[];
  readonly runs: number;
  readonly maxOps: number;
  readonly shard: { readonly index: number; readonly count: number } | null;
  readonly heaps: readonly HeapName[];
  readonly results: readonly DesignCheck[];
  readonly timing: CheckTiming;
}

/** The result of a design that could not be checked: its own failure, not a verdict. */
export function failedCheck(
  design: string,
  profile: string,
  o: { readonly seed: number },
  failure: string,
): DesignCheck {
  return {
    design,
    profile,
    status: 'failed',
    runs: 0,
    opsExecuted: 0,
    elapsedMs: 0,
    violations: [],
    goals: GOALS.map((g) => ({ goal: g.id, required: g.required, reached: false })),
    seed: o.seed,
    interrupted: false,
    failure,
    stats: {
      actions: Object.fromEntries(OP_KINDS.map((k) => [k, { applied: 0, ok: 0, failed: 0 }])) as Record<
        OpKind,
        ActionStat
      >,
      goals: GOALS.map((g) => ({
        goal: g.id,
        required: g.required,
        description: g.description,
        reached: false,
        ops: null,
      })),
    },
  };
}
