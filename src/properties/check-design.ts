/**
 * One design's check (docs/architecture.md section 6): fast-check command sequences from a booted
 * kernel, every invariant checked after every op. The run budget is cut into fixed chunks
 * (check-chunks.ts); each chunk searches every finding from its own seed and records, per finding,
 * the run that showed it first. The chunks merged, each finding is shrunk on its own from that
 * run (fast-check replays it by seed and path, and its shrinker only accepts the same finding),
 * then delta-debugged op by op (minimize.ts) and verified on a freshly booted kernel, which is
 * exactly what replay does. checkDesign runs it all in this process; check.ts spreads the same
 * chunk and shrink steps over worker processes, with the same result.
 */
import fc from 'fast-check';
import type { Design } from '../model/designs/design.ts';
import type { HeapName } from '../model/ion/heap.ts';
import { Kernel } from '../model/kernel.ts';
import type { Op } from '../model/ops.ts';
import type { Profile } from '../model/profile.ts';
import {
  type CheckMode,
  checkStep,
  GOALS,
  INVARIANT_IDS,
  type InvariantId,
  type Violation,
} from '../spec/index.ts';
import {
  type Chunk,
  type ChunkResult,
  type Completion,
  chunkPlan,
  completion,
  deriveSeed,
  emptyActions,
  type FindingSource,
  type MergedSearch,
  mergeChunks,
} from './check-chunks.ts';
import type { CheckProgress, CheckStatus, CheckViolation, DesignCheck } from './check-result.ts';
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

const FINDING_ORDER: readonly FindingId[] = ['type-ok', ...INVARIANT_IDS, MODEL_EXCEPTION];

/** Records goals and action coverage during search runs. */
class SearchObserver implements StepObserver {
  readonly actions = emptyActions();
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

/** What a chunk's search and a finding's shrinking depend on (with the design and profile). */
export interface SearchOptions {
  readonly invariants: readonly InvariantId[];
  readonly maxOps: number;
  readonly seed: number;
  readonly mode: CheckMode;
  readonly shrinkRunsMax: number;
  readonly heaps: readonly HeapName[];
  readonly stopWhenFound?: boolean;
}

export interface DesignOptions extends SearchOptions {
  readonly runs: number;
  readonly deadline: number;
  readonly progress: ((p: Omit<CheckProgress, 'designIndex' | 'designCount'>) => void) | undefined;
}

/** What one process did for a check: the chunks and shrinks it ran, and for how long. */
export interface WorkDone {
  chunks: number;
  shrinks: number;
  runs: number;
  ops: number;
  busyMs: number;
  /** CPU time of this process over the same tasks (every thread: GC included). */
  cpuMs: number;
}

/** A finding shrunk, delta-debugged and verified, with the ops that took. */
export interface ShrunkFinding {
  readonly violation: CheckViolation;
  readonly opsApplied: number;
}

/**
 * Check one design in this process: the chunks in order, merged, each finding shrunk; `work`
 * (when given) adds up what was done.
 */
export function checkDesign(
  design: Design,
  profile: Profile,
  o: DesignOptions,
  work?: WorkDone,
): DesignCheck {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const search = new DesignSearch(design, profile, o);
  const plan = chunkPlan(o.runs);
  const chunks: ChunkResult[] = [];
  let runsBefore = 0;
  const foundBefore = new Set<FindingId>();
  for (const c of plan) {
    if (search.complete(foundBefore)) break;
    if (o.deadline - performance.now() <= 0) break;
    const r = search.searchChunk(c, o.deadline, (runs, found) =>
      o.progress?.({
        design: design.id,
        runsDone: runsBefore + runs,
        runsTotal: o.runs,
        phase: 'search',
        findings: new Set([...foundBefore, ...found]).size,
      }),
    );
    chunks.push(r);
    runsBefore += r.runs;
    for (const f of r.findings) foundBefore.add(f.finding);
    if (work) {
      work.chunks++;
      work.runs += r.runs;
      work.ops += r.opsApplied;
    }
  }
  const merged = mergeChunks(plan, chunks, search.complete);
  const shrunk = merged.findings.map((f, i) =>
    search.shrinkFinding(f, o.deadline, (shrinkRuns) => {
      if (shrinkRuns % 25 === 0)
        o.progress?.({
          design: design.id,
          runsDone: merged.runs,
          runsTotal: o.runs,
          phase: 'shrink',
          findings: i,
        });
    }),
  );
  if (work) {
    work.shrinks += shrunk.length;
    work.ops += shrunk.reduce((a, s) => a + s.opsApplied, 0);
    work.busyMs += performance.now() - t0;
    work.cpuMs += cpuMsSince(cpu0);
  }
  return designResult(design.id, profile.id, o.seed, merged, shrunk, Math.round(performance.now() - t0));
}

/** CPU time of this process since `from` (process.cpuUsage()), in ms. */
export function cpuMsSince(from: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1000;
}

/** The design's result: findings in a fixed order, goals, coverage, and its status. */
export function designResult(
  design: string,
  profile: string,
  seed: number,
  merged: MergedSearch,
  shrunk: readonly ShrunkFinding[],
  elapsedMs: number,
): DesignCheck {
  const violations = shrunk
    .map((s) => s.violation)
    .sort((a, b) => FINDING_ORDER.indexOf(a.invariant) - FINDING_ORDER.indexOf(b.invariant));
  const goals = GOALS.map((g, i) => ({
    goal: g.id,
    required: g.required,
    reached: merged.reached[i] !== null,
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
    design,
    profile,
    status,
    runs: merged.runs,
    opsExecuted: merged.opsApplied + shrunk.reduce((a, s) => a + s.opsApplied, 0),
    elapsedMs,
    violations,
    goals,
    seed,
    interrupted: merged.interrupted,
    ...(threw ? { failure: threw.message } : {}),
    stats: {
      actions: merged.actions,
      goals: GOALS.map((g, i) => ({
        goal: g.id,
        required: g.required,
        description: g.description,
        reached: merged.reached[i] !== null,
        ops: merged.reached[i] ?? null,
      })),
    },
  };
}

/** A shrinking round: the finding it shrinks and its best reproducer so far. */
interface Round {
  readonly target: FindingId;
  readonly targetWatch: Watch;
  last: Reproducer | null;
  shrinkRuns: number;
}

/**
 * One design's search on one booted kernel: chunk searches and finding shrinks, each a function of
 * its arguments alone (so a worker process can run any of them, in any order).
 */
export class DesignSearch {
  /** The booted kernel, checkers' memos seeded: every run starts from a clone of it. */
  private readonly template: Kernel;
  /** The previous run's kernel: the next clone restores its storage (issue 14, per-run cost). */
  private last: Kernel | undefined;
  /** A kernel in the booted state for the next run; the previous one is retired. */
  readonly fresh = (): Kernel => {
    this.last = this.template.clone(this.last);
    return this.last;
  };
  private readonly arb: ReturnType<typeof commandsArb>;
  /** The search is over once this holds of the findings found (in a chunk, or merged). */
  readonly complete: Completion;

  constructor(
    private readonly design: Design,
    private readonly profile: Profile,
    private readonly o: SearchOptions,
  ) {
    this.template = Kernel.boot(profile, design);
    // seed the checkers' memos on the booted state: every run's clone starts from them
    checkStep(this.template, INVARIANT_IDS, 'incremental');
    this.arb = commandsArb(o.maxOps, o.heaps);
    this.complete = completion(
      ['type-ok', ...o.invariants, MODEL_EXCEPTION],
      o.invariants,
      o.stopWhenFound === true,
    );
  }

  /**
   * Chunk c's search: fast-check runs from deriveSeed(seed, c), each watching the findings the
   * chunk has not found yet; a failing run is recorded (its finding and run index) and the chunk
   * goes on. `progress` sees each run with the findings found before it.
   */
  searchChunk(
    c: Chunk,
    deadline: number,
    progress?: (runsDone: number, found: ReadonlySet<FindingId>) => void,
  ): ChunkResult {
    const o = this.o;
    const seed = deriveSeed(o.seed, c.index);
    const observer = new SearchObserver();
    const findings: FindingSource[] = [];
    const found = new Set<FindingId>();
    let run = 0;
    let runs = 0;
    const prop = fc.property(this.arb, (cmds) => {
      // no shrinking here (the property never fails on a finding): call k is fast-check's run k
      const k = run++;
      if (this.complete(found)) return;
      const watch: Watch = {
        invariants: o.invariants.filter((id) => !found.has(id)),
        typeOk: !found.has('type-ok'),
        exceptions: !found.has(MODEL_EXCEPTION),
        mode: o.mode,
      };
      const session = new RunSession(this.fresh(), watch, observer);
      runs++;
      let hit: FindingId | null = null;
      try {
        runCommands(cmds, session);
      } catch (e) {
        if (!(e instanceof InvariantFailure)) throw e;
        hit = e.invariant;
      }
      progress?.(runs, found);
      if (hit !== null) {
        found.add(hit);
        findings.push({ finding: hit, chunk: c.index, seed, run: k });
      }
    });
    const timeLeft = deadline - performance.now();
    const r = fc.check(prop, {
      seed,
      numRuns: c.runs,
      ...(Number.isFinite(timeLeft) ? { interruptAfterTimeLimit: Math.max(1, Math.floor(timeLeft)) } : {}),
    });
    // an error outside the model (a bug in the harness): surface it
    if (r.failed)
      throw r.errorInstance instanceof Error ? r.errorInstance : new Error(String(r.errorInstance));
    return {
      chunk: c.index,
      seed,
      runs,
      opsApplied: observer.opsApplied,
      actions: observer.actions,
      reached: observer.reached,
      findings,
      interrupted: r.interrupted,
    };
  }

  /**
   * Shrink one finding from the run that showed it: fast-check replays that run (seed and path)
   * and shrinks it, a candidate counting only if it shows the same finding; then delta debugging
   * and the check on a fresh boot.
   */
  shrinkFinding(
    src: FindingSource,
    deadline: number,
    progress?: (shrinkRuns: number) => void,
  ): ShrunkFinding {
    const o = this.o;
    const round: Round = {
      target: src.finding,
      targetWatch: watchFor(src.finding, o.mode),
      last: null,
      shrinkRuns: 0,
    };
    let opsApplied = 0;
    let replayed = false;
    const prop = fc.property(this.arb, (cmds) => {
      // the first call replays the search's run, whatever the time; the shrink runs after it are bounded
      if (replayed && (++round.shrinkRuns > o.shrinkRunsMax || performance.now() > deadline)) return;
      replayed = true;
      const session = new RunSession(this.fresh(), round.targetWatch);
      try {
        runCommands(cmds, session);
      } catch (e) {
        if (e instanceof InvariantFailure && e.invariant === round.target)
          round.last = { ops: session.ops, results: session.results, failure: e };
        throw e;
      } finally {
        opsApplied += session.ops.length;
        progress?.(round.shrinkRuns);
      }
    });
    const r = fc.check(prop, { seed: src.seed, path: String(src.run), numRuns: 1 });
    const found = round.last;
    if (!r.failed || found === null) {
      if (r.failed && !(r.errorInstance instanceof InvariantFailure))
        throw r.errorInstance instanceof Error ? r.errorInstance : new Error(String(r.errorInstance));
      throw new Error(
        `${src.finding} from run ${src.run} of seed ${src.seed} did not show again when replayed (a nondeterministic model?)`,
      );
    }
    const stats = { runs: 0, opsApplied: 0 };
    const min = minimizeOps(
      this.fresh,
      found,
      src.finding,
      o.mode,
      { runsMax: MINIMIZE_RUNS_MAX, deadline },
      stats,
      o.heaps,
    );
    const violation = violationOf(this.design, this.profile, src.finding, min, o.mode, {
      seed: src.seed,
      path: r.counterexamplePath ?? String(src.run),
      shrunk: found.ops.length,
    });
    return { violation, opsApplied: opsApplied + stats.opsApplied };
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
