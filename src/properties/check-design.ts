/**
 * One design's check (docs/architecture.md section 6): fast-check command sequences from a booted
 * kernel, every invariant checked after every op. Each distinct finding keeps its own
 * counterexample, shrunk on its own: once a run fails, the property only fails on that same
 * finding, so fast-check's shrinker never trades it for another; then the search goes on for the
 * findings left, until the run budget is spent. Each shrunk trace is then delta-debugged op by op
 * (minimize.ts) and verified on a freshly booted kernel, which is exactly what replay does.
 */
import fc from 'fast-check';
import type { Design } from '../model/designs/design.ts';
import type { HeapName } from '../model/ion/heap.ts';
import { Kernel } from '../model/kernel.ts';
import { OP_KINDS, type Op, type OpKind } from '../model/ops.ts';
import type { Profile } from '../model/profile.ts';
import {
  type CheckMode,
  checkStep,
  GOALS,
  INVARIANT_IDS,
  type InvariantId,
  type Violation,
} from '../spec/index.ts';
import type { ActionStat, CheckProgress, CheckStatus, CheckViolation, DesignCheck } from './check-result.ts';
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
import { encodeToken, makeReplay, viewStep } from './replay.ts';

/** Bounds on shrinking, per finding: fast-check shrink runs, then delta-debugging runs. */
export const SHRINK_RUNS_MAX = 100;
export const MINIMIZE_RUNS_MAX = 1500;

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

export interface DesignOptions {
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
  const search = new DesignSearch(design, profile, o);
  for (let round = 0; search.wantsMore(); round++) {
    const timeLeft = o.deadline - performance.now();
    if (timeLeft <= 0) {
      search.interrupted = true;
      break;
    }
    if (!search.searchRound(deriveSeed(o.seed, round), timeLeft)) break;
  }
  return search.result(t0);
}

/** One fast-check round: the finding it is shrinking (once a run failed) and its best reproducer. */
interface Round {
  target: FindingId | null;
  targetWatch: Watch | null;
  last: Reproducer | null;
  shrinkRuns: number;
}

/** The search of one design, round after round, each round ending at a finding (or the runs' end). */
class DesignSearch {
  /** The booted kernel, checkers' memos seeded: every run starts from a clone of it. */
  private readonly template: Kernel;
  /** The previous run's kernel: the next clone restores its storage (issue 14, per-run cost). */
  private last: Kernel | undefined;
  /** A kernel in the booted state for the next run; the previous one is retired. */
  readonly fresh = (): Kernel => {
    this.last = this.template.clone(this.last);
    return this.last;
  };
  private readonly observer = new SearchObserver();
  /** The findings not found yet. */
  private readonly remaining: Set<FindingId>;
  private readonly violations: CheckViolation[] = [];
  private runsDone = 0;
  /** Ops applied in shrinking and delta debugging (the observer counts the search's). */
  private opsOther = 0;
  interrupted = false;
  private readonly arb: ReturnType<typeof commandsArb>;

  constructor(
    private readonly design: Design,
    private readonly profile: Profile,
    private readonly o: DesignOptions,
  ) {
    this.template = Kernel.boot(profile, design);
    // seed the checkers' memos on the booted state: every run's clone starts from them
    checkStep(this.template, INVARIANT_IDS, 'incremental');
    this.remaining = new Set<FindingId>(['type-ok', ...o.invariants, MODEL_EXCEPTION]);
    this.arb = commandsArb(o.maxOps, o.heaps);
  }

  wantsMore(): boolean {
    return this.runsDone < this.o.runs && this.remaining.size > 0 && !this.allFound();
  }

  private allFound(): boolean {
    return this.o.stopWhenFound === true && this.o.invariants.every((id) => !this.remaining.has(id));
  }

  /** One fast-check round from `seed`; false when it found nothing (the search is over). */
  searchRound(seed: number, timeLeft: number): boolean {
    const o = this.o;
    const all: Watch = {
      invariants: o.invariants.filter((id) => this.remaining.has(id)),
      typeOk: this.remaining.has('type-ok'),
      exceptions: this.remaining.has(MODEL_EXCEPTION),
      mode: o.mode,
    };
    const round: Round = { target: null, targetWatch: null, last: null, shrinkRuns: 0 };
    const prop = fc.property(this.arb, (cmds) => {
      if (round.target !== null) this.shrinkRun(cmds, round);
      else this.searchRun(cmds, round, all);
    });
    const r = fc.check(prop, {
      seed,
      numRuns: o.runs - this.runsDone,
      ...(Number.isFinite(timeLeft) ? { interruptAfterTimeLimit: Math.max(1, Math.floor(timeLeft)) } : {}),
    });
    if (r.interrupted && !r.failed) this.interrupted = true;
    const found = round.last;
    if (!r.failed || round.target === null || found === null) {
      if (r.failed && !(r.errorInstance instanceof InvariantFailure)) {
        // an error outside the model (a bug in the harness): surface it
        throw r.errorInstance instanceof Error ? r.errorInstance : new Error(String(r.errorInstance));
      }
      return false;
    }
    this.addFinding(round.target, found, seed, r.counterexamplePath ?? '');
    return true;
  }

  /** A search run: every finding left is watched; the first one becomes the round's target. */
  private searchRun(cmds: Parameters<typeof runCommands>[0], round: Round, all: Watch): void {
    const session = new RunSession(this.fresh(), all, this.observer);
    this.runsDone++;
    try {
      runCommands(cmds, session);
    } catch (e) {
      if (e instanceof InvariantFailure) {
        round.target = e.invariant;
        round.targetWatch = watchFor(e.invariant, this.o.mode);
        round.last = { ops: session.ops, results: session.results, failure: e };
      }
      throw e;
    } finally {
      this.progress('search');
    }
  }

  /** A shrinking run: only the same finding counts, and only so many tries. */
  private shrinkRun(cmds: Parameters<typeof runCommands>[0], round: Round): void {
    if (++round.shrinkRuns > this.o.shrinkRunsMax) return;
    const session = new RunSession(this.fresh(), round.targetWatch!);
    try {
      runCommands(cmds, session);
    } catch (e) {
      if (e instanceof InvariantFailure && e.invariant === round.target)
        round.last = { ops: session.ops, results: session.results, failure: e };
      throw e;
    } finally {
      this.opsOther += session.ops.length;
      if (round.shrinkRuns % 25 === 0) this.progress('shrink');
    }
  }

  private progress(phase: 'search' | 'shrink'): void {
    this.o.progress?.({
      design: this.design.id,
      runsDone: this.runsDone,
      runsTotal: this.o.runs,
      phase,
      findings: this.violations.length,
    });
  }

  /** A finding shrunk by fast-check: delta-debugged, verified on a fresh boot, kept. */
  private addFinding(t: FindingId, found: Reproducer, seed: number, path: string): void {
    const o = this.o;
    this.remaining.delete(t);
    const stats = { runs: 0, opsApplied: 0 };
    const min = minimizeOps(
      this.fresh,
      found,
      t,
      o.mode,
      { runsMax: MINIMIZE_RUNS_MAX, deadline: o.deadline },
      stats,
      o.heaps,
    );
    this.opsOther += stats.opsApplied;
    this.violations.push(
      violationOf(this.design, this.profile, t, min, o.mode, { seed, path, shrunk: found.ops.length }),
    );
  }

  /** The design's result: findings in a fixed order, goals, coverage, and its status. */
  result(t0: number): DesignCheck {
    const { violations, observer } = this;
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
      design: this.design.id,
      profile: this.profile.id,
      status,
      runs: this.runsDone,
      opsExecuted: observer.opsApplied + this.opsOther,
      elapsedMs: Math.round(performance.now() - t0),
      violations,
      goals,
      seed: this.o.seed,
      interrupted: this.interrupted,
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
