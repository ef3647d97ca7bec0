/**
 * `runCheck`: drive each design with fast-check command sequences, checking every invariant
 * after every op (docs/architecture.md section 6). Each distinct finding keeps its own counterexample,
 * shrunk on its own: once a run fails, the property only fails on that same finding, so
 * fast-check's shrinker never trades it for another; then the search goes on for the findings
 * left, until the run budget is spent. Each shrunk trace is then delta-debugged op by op
 * (minimize.ts) and verified on a freshly booted kernel, which is exactly what replay does.
 *
 * Deterministic: the same options and seed give the same result, byte for byte, except
 * `elapsedMs` (and except when a time limit cuts a run short, which the result says).
 */
import fc from 'fast-check';
import type { Design } from '../model/designs/design.ts';
import { builtinDesign } from '../model/designs/index.ts';
import { HEAP_NAMES, type HeapName } from '../model/ion/heap.ts';
import { Kernel } from '../model/kernel.ts';
import { OP_KINDS, type Op, type OpKind } from '../model/ops.ts';
import { type Profile, resolveProfile, withHeaps } from '../model/profile.ts';
import {
  type CheckMode,
  checkStep,
  GOALS,
  INVARIANT_IDS,
  type InvariantId,
  type MappingInfo,
  type Violation,
} from '../spec/index.ts';
import type { CheckTask } from './check-worker.ts';
import {
  commandsArb,
  type FindingId,
  InvariantFailure,
  MODEL_EXCEPTION,
  RunSession,
  runCommands,
  type StepObserver,
  type Watch,
} from './commands.ts';
import { minimizeOps, type Reproducer, reproduce, watchFor } from './minimize.ts';
import { encodeToken, makeReplay, type ReplayStep, viewStep } from './replay.ts';
import { runInChild } from './worker-entry.ts';

/** Defaults sized so `ionck check` of the four built-ins on arm32-1g takes well under 30 s. */
export const CHECK_DEFAULTS = {
  runs: 150,
  maxOps: 100,
  seed: 1,
} as const;

/** Bounds on shrinking, per finding: fast-check shrink runs, then delta-debugging runs. */
export const SHRINK_RUNS_MAX = 100;
export const MINIMIZE_RUNS_MAX = 1500;

/** failed: the design threw, returned garbage, looped past its budget or exited (its own fault). */
export type CheckStatus = 'held' | 'violated' | 'unproven' | 'failed';

export interface CheckOptions {
  readonly designs: readonly Design[];
  /** A resolved profile (its id is the spec replay files record), or a profile spec. */
  readonly profile: Profile | string;
  /** Invariants to check (default: all). type-ok and model exceptions are always watched. */
  readonly invariants?: readonly InvariantId[];
  /** fast-check runs per design (default 150). */
  readonly runs?: number;
  /** Most ops per run (default 100). */
  readonly maxOps?: number;
  readonly seed?: number;
  /** Wall-clock budget for the whole check, shared by the designs. */
  readonly timeLimitMs?: number;
  readonly mode?: CheckMode;
  /** Run shard `index` (1-based) of `count`: designs index-1, index-1+count, ... (see runCheck). */
  readonly shard?: { readonly index: number; readonly count: number };
  readonly onProgress?: (p: CheckProgress) => void;
  /** Heaps the generated allocations use (default: all four). */
  readonly heaps?: readonly HeapName[];
  /** fast-check shrink runs per finding before delta debugging takes over (default SHRINK_RUNS_MAX). */
  readonly shrinkRunsMax?: number;
  /**
   * Designs checked at once in child processes. Every design's search is seeded alike and
   * independent of the others, so the results equal the inline ones, elapsed times aside.
   */
  readonly workers?: number;
  /** Where plugin design files are resolved from in workers (default: process.cwd()). */
  readonly cwd?: string;
  /**
   * End a design's search once every chosen invariant has a finding, without spending the rest of
   * the budget on type-ok and model exceptions (`ionck zoo`). Results up to then are unchanged.
   */
  readonly stopWhenFound?: boolean;
}

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

export interface CheckResult {
  readonly seed: number;
  readonly profile: string;
  readonly invariants: readonly InvariantId[];
  readonly runs: number;
  readonly maxOps: number;
  readonly shard: { readonly index: number; readonly count: number } | null;
  readonly heaps: readonly HeapName[];
  readonly results: readonly DesignCheck[];
}

/** Seed of shard i (1-based) or search round r: the base seed for the first, mixed after. */
export function deriveSeed(seed: number, k: number): number {
  if (k === 0) return seed;
  return (Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) + Math.imul(k, 0x9e3779b1)) >>> 1;
}

const FINDING_ORDER: readonly string[] = ['type-ok', ...INVARIANT_IDS, MODEL_EXCEPTION];

/** Records goals and action coverage during search runs. */
class SearchObserver implements StepObserver {
  readonly actions = Object.fromEntries(OP_KINDS.map((k) => [k, { applied: 0, ok: 0, failed: 0 }])) as Record<
    OpKind,
    ActionStat
  >;
  readonly reached: (readonly Op[] | null)[] = GOALS.map(() => null);
  opsApplied = 0;

  onStep(k: Kernel, step: number, op: Op, r: { ok: boolean }, ops: readonly Op[]): void {
    this.opsApplied++;
    const a = this.actions[op.op];
    a.applied++;
    if (r.ok) a.ok++;
    else a.failed++;
    for (let g = 0; g < GOALS.length; g++) {
      const best = this.reached[g];
      if (best && best.length <= step + 1) continue;
      if (GOALS[g]!.reached(k)) this.reached[g] = ops.slice(0, step + 1);
    }
  }
}

export async function runCheck(opts: CheckOptions): Promise<CheckResult> {
  const base = typeof opts.profile === 'string' ? resolveProfile(opts.profile) : opts.profile;
  // ION-1: a search restricted to some heaps runs on a board that declares only those
  const restricted = opts.heaps && opts.heaps.length < HEAP_NAMES.length;
  const profile = restricted ? resolveProfile(withHeaps(base.id, opts.heaps)) : base;
  const invariants = opts.invariants ?? INVARIANT_IDS;
  const shard = opts.shard ?? null;
  const runs = opts.runs ?? CHECK_DEFAULTS.runs;
  const seed = opts.seed ?? CHECK_DEFAULTS.seed;
  // a shard is every count-th design, each checked exactly as the whole check would: the shards'
  // results merged (ionck merge) are the one job's result, byte for byte apart from elapsedMs
  const designs = shard ? opts.designs.filter((_, k) => k % shard.count === shard.index - 1) : opts.designs;
  opts = { ...opts, designs };
  const maxOps = opts.maxOps ?? CHECK_DEFAULTS.maxOps;
  const start = performance.now();
  const common = {
    invariants,
    runs,
    maxOps,
    seed,
    mode: opts.mode ?? 'incremental',
    shrinkRunsMax: opts.shrinkRunsMax ?? SHRINK_RUNS_MAX,
    heaps: opts.heaps ?? HEAP_NAMES,
    stopWhenFound: opts.stopWhenFound ?? false,
  } as const;
  // plugins always run in child processes: a plugin that loops or exits takes only itself down
  const isolate = opts.designs.some((d) => d.source !== undefined);
  const parallel =
    isolate || ((opts.workers ?? 1) > 1 && opts.designs.length > 1)
      ? await checkInWorkers(opts, profile, common)
      : null;
  const results: DesignCheck[] = parallel ?? [];
  for (let i = 0; !parallel && i < opts.designs.length; i++) {
    const left = opts.designs.length - i;
    const deadline =
      opts.timeLimitMs === undefined
        ? Number.POSITIVE_INFINITY
        : performance.now() + (start + opts.timeLimitMs - performance.now()) / left;
    const design = opts.designs[i]!;
    try {
      results.push(
        checkDesign(design, profile, {
          ...common,
          deadline,
          progress: opts.onProgress
            ? (p) => opts.onProgress!({ ...p, designIndex: i, designCount: opts.designs.length })
            : undefined,
        }),
      );
    } catch (e) {
      results.push(failedCheck(design.id, profile.id, common, `threw: ${errorText(e)}`));
    }
    // let timers (progress bars) run between designs
    await new Promise((r) => setImmediate(r));
  }
  return {
    seed,
    profile: profile.id,
    invariants: [...invariants],
    runs,
    maxOps,
    shard,
    heaps: [...(opts.heaps ?? HEAP_NAMES)],
    results,
  };
}

const errorText = (e: unknown): string =>
  (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).split('\n')[0]!.slice(0, 500);

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

/**
 * Check the designs in child processes, `workers` at a time, one process per design: a design
 * that loops past its budget is killed, one that exits or crashes ends only its own process, and
 * either is that design's failure. null when some design cannot be named in a child (a Design
 * object that is neither built in nor loaded from a file).
 */
async function checkInWorkers(
  opts: CheckOptions,
  profile: Profile,
  o: Omit<DesignOptions, 'deadline' | 'progress'>,
): Promise<DesignCheck[] | null> {
  const specs = opts.designs.map((d) => d.source ?? (builtinDesign(d.id) === d ? d.id : null));
  if (specs.some((x) => x === null)) return null;
  const results: DesignCheck[] = new Array(specs.length);
  const workers = Math.min(Math.max(1, opts.workers ?? 1), specs.length);
  const share = ((opts.timeLimitMs ?? 0) * workers) / specs.length;
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let i = next++; i < specs.length; i = next++) {
      // each design's own share of --time-limit, whatever the designs before it took
      const budgetMs = opts.timeLimitMs === undefined ? Number.POSITIVE_INFINITY : share;
      const task: CheckTask = {
        ...o,
        design: specs[i]!,
        cwd: opts.cwd ?? process.cwd(),
        profile: profile.id,
        budgetMs,
      };
      const r = await runInChild<DesignCheck>('check', task, budgetMs);
      results[i] = 'result' in r ? r.result : failedCheck(opts.designs[i]!.id, profile.id, o, r.failure);
      done++;
      opts.onProgress?.({
        design: results[i]!.design,
        designIndex: done - 1,
        designCount: specs.length,
        runsDone: results[i]!.runs,
        runsTotal: o.runs,
        phase: 'search',
        findings: results[i]!.violations.length,
      });
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}

interface DesignOptions {
  readonly invariants: readonly InvariantId[];
  readonly runs: number;
  readonly maxOps: number;
  readonly seed: number;
  readonly deadline: number;
  readonly mode: CheckMode;
  readonly shrinkRunsMax: number;
  readonly heaps: readonly HeapName[];
  readonly stopWhenFound?: boolean;
  readonly progress: ((p: Omit<CheckProgress, 'designIndex' | 'designCount'>) => void) | undefined;
}

/** Check one design: search, shrink each finding on its own, delta-debug, verify on a fresh boot. */
export function checkDesign(design: Design, profile: Profile, o: DesignOptions): DesignCheck {
  const t0 = performance.now();
  const template = Kernel.boot(profile, design);
  // seed the checkers' memos on the booted state: every run's clone starts from them
  checkStep(template, INVARIANT_IDS, 'incremental');
  const fresh = () => template.clone();
  const observer = new SearchObserver();
  const remaining = new Set<FindingId>(['type-ok', ...o.invariants, MODEL_EXCEPTION]);
  const violations: CheckViolation[] = [];
  let runsDone = 0;
  let opsOther = 0;
  let interrupted = false;
  const arb = commandsArb(o.maxOps, o.heaps);

  const allFound = () => o.stopWhenFound === true && o.invariants.every((id) => !remaining.has(id));
  for (let round = 0; runsDone < o.runs && remaining.size > 0 && !allFound(); round++) {
    const timeLeft = o.deadline - performance.now();
    if (timeLeft <= 0) {
      interrupted = true;
      break;
    }
    const seed = deriveSeed(o.seed, round);
    const all: Watch = {
      invariants: o.invariants.filter((id) => remaining.has(id)),
      typeOk: remaining.has('type-ok'),
      exceptions: remaining.has(MODEL_EXCEPTION),
      mode: o.mode,
    };
    let target: FindingId | null = null;
    let targetWatch: Watch | null = null;
    let last: Reproducer | null = null;
    let shrinkRuns = 0;
    const prop = fc.property(arb, (cmds) => {
      if (target !== null) {
        // shrinking: only the same finding counts, and only so many tries
        if (++shrinkRuns > o.shrinkRunsMax) return;
        const session = new RunSession(fresh(), targetWatch!);
        try {
          runCommands(cmds, session);
        } catch (e) {
          if (e instanceof InvariantFailure && e.invariant === target)
            last = { ops: session.ops, results: session.results, failure: e };
          throw e;
        } finally {
          opsOther += session.ops.length;
          if (shrinkRuns % 25 === 0)
            o.progress?.({
              design: design.id,
              runsDone,
              runsTotal: o.runs,
              phase: 'shrink',
              findings: violations.length,
            });
        }
        return;
      }
      const session = new RunSession(fresh(), all, observer);
      runsDone++;
      try {
        runCommands(cmds, session);
      } catch (e) {
        if (e instanceof InvariantFailure) {
          target = e.invariant;
          targetWatch = watchFor(e.invariant, o.mode);
          last = { ops: session.ops, results: session.results, failure: e };
        }
        throw e;
      } finally {
        o.progress?.({
          design: design.id,
          runsDone,
          runsTotal: o.runs,
          phase: 'search',
          findings: violations.length,
        });
      }
    });
    const r = fc.check(prop, {
      seed,
      numRuns: o.runs - runsDone,
      ...(Number.isFinite(timeLeft) ? { interruptAfterTimeLimit: Math.max(1, Math.floor(timeLeft)) } : {}),
    });
    if (r.interrupted && !r.failed) interrupted = true;
    const found = last as Reproducer | null;
    if (!r.failed || target === null || found === null) {
      if (r.failed && !(r.errorInstance instanceof InvariantFailure)) {
        // an error outside the model (a bug in the harness): surface it
        throw r.errorInstance instanceof Error ? r.errorInstance : new Error(String(r.errorInstance));
      }
      break;
    }
    const t = target as FindingId;
    remaining.delete(t);
    const stats = { runs: 0, opsApplied: 0 };
    const min = minimizeOps(
      fresh,
      found,
      t,
      o.mode,
      { runsMax: MINIMIZE_RUNS_MAX, deadline: o.deadline },
      stats,
      o.heaps,
    );
    opsOther += stats.opsApplied;
    violations.push(
      violationOf(design, profile, t, min, o.mode, {
        seed,
        path: r.counterexamplePath ?? '',
        shrunk: found.ops.length,
      }),
    );
  }

  violations.sort((a, b) => FINDING_ORDER.indexOf(a.invariant) - FINDING_ORDER.indexOf(b.invariant));
  const goals = GOALS.map((g, i) => ({
    goal: g.id,
    required: g.required,
    reached: observer.reached[i] !== null,
  }));
  const threw = violations.find((v) => v.invariant === MODEL_EXCEPTION);
  const status: CheckStatus = threw
    ? 'failed'
    : violations.length > 0
      ? 'violated'
      : goals.every((g) => g.reached || !g.required)
        ? 'held'
        : 'unproven';
  return {
    design: design.id,
    profile: profile.id,
    status,
    runs: runsDone,
    opsExecuted: observer.opsApplied + opsOther,
    elapsedMs: Math.round(performance.now() - t0),
    violations,
    goals,
    seed: o.seed,
    interrupted,
    ...(threw ? { failure: threw.message } : {}),
    stats: {
      actions: observer.actions,
      goals: GOALS.map((g, i) => ({
        goal: g.id,
        required: g.required,
        description: g.description,
        reached: observer.reached[i] !== null,
        ops: observer.reached[i] ?? null,
      })),
    },
  };
}

function violationOf(
  design: Design,
  profile: Profile,
  target: FindingId,
  min: Reproducer,
  mode: CheckMode,
  origin: { seed: number; path: string; shrunk: number },
): CheckViolation {
  // verify on a fresh boot, exactly as replay runs it
  const booted = reproduce(() => Kernel.boot(profile, design), min.ops, target, mode);
  const rep = booted ?? min;
  const step = rep.ops.length - 1;
  const v: Violation | null = rep.failure.violation;
  const token = encodeToken(
    makeReplay({
      design: design.id,
      profile: profile.id,
      invariant: target === MODEL_EXCEPTION ? undefined : target,
      ops: rep.ops,
      expect: 'violated',
      // the seed only: the fast-check path means nothing once the generators change
      origin: { seed: origin.seed, tool: 'ionck check' },
    }),
  );
  const message =
    target === MODEL_EXCEPTION
      ? `the model threw (a bug in the model or the design): ${rep.failure.message.replace(/^model-exception at step \d+: /, '')}`
      : (v?.message ?? rep.failure.message);
  return {
    invariant: target,
    step,
    message: booted
      ? message
      : `${message} (does not reproduce on a fresh boot: Kernel.clone differs from boot)`,
    ops: rep.ops,
    callPath: [...(rep.results[step]?.callPath ?? [])],
    replay: token,
    detail: {
      steps: rep.ops.map((op, i) => viewStep(op, rep.results[i] ?? { ok: false, callPath: [] })),
      pfns: v?.pfns ?? [],
      mappings: v?.mappings ?? [],
      seed: origin.seed,
      path: origin.path,
      shrunkOps: origin.shrunk,
      reproducesOnBoot: booted !== null,
    },
  };
}
