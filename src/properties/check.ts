/**
 * `runCheck`: drive each design with fast-check command sequences, checking every invariant
 * after every op (docs/architecture.md section 6). A design's run budget is cut into fixed chunks,
 * each searched from its own seed for every finding (check-chunks.ts); the chunks are merged in
 * chunk order, and each finding is shrunk on its own from the first run that showed it, then
 * delta-debugged op by op (minimize.ts) and verified on a freshly booted kernel, which is exactly
 * what replay does. Here: the options, and the designs run inline (chunk after chunk) or with
 * their chunks and shrinks spread over worker processes; one design's search is
 * ./check-design.ts, the result types ./check-result.ts.
 *
 * Deterministic: the same options and seed give the same result, byte for byte, whatever
 * `workers` is, except `elapsedMs` and `timing` (and except when a time limit cuts a run short,
 * which the result says).
 */
import type { Design } from '../model/designs/design.ts';
import { builtinDesign } from '../model/designs/index.ts';
import { HEAP_NAMES, type HeapName } from '../model/ion/heap.ts';
import { type Profile, resolveProfile, withHeaps } from '../model/profile.ts';
import { type CheckMode, INVARIANT_IDS, type InvariantId } from '../spec/index.ts';
import {
  type Chunk,
  type ChunkResult,
  chunkPlan,
  completion,
  type FindingSource,
  type MergedSearch,
  mergeChunks,
} from './check-chunks.ts';
import {
  checkDesign,
  type DesignOptions,
  designResult,
  type SearchOptions,
  SHRINK_RUNS_MAX,
  type ShrunkFinding,
  type WorkDone,
} from './check-design.ts';
import {
  type CheckProgress,
  type CheckResult,
  type DesignCheck,
  failedCheck,
  type WorkerStat,
} from './check-result.ts';
import checkTask, { type CheckStepResult, type CheckTask } from './check-worker.ts';
import { type FindingId, MODEL_EXCEPTION } from './commands.ts';
import { type ChildOutcome, WorkerProcess } from './worker-entry.ts';

/** Tasks sent to a worker process at once while this process also runs steps (one queued behind the running one). */
const CHILD_QUEUE = 2;

/** Defaults sized so `ionck check` of the four built-ins on arm32-1g takes well under 30 s. */
export const CHECK_DEFAULTS = {
  runs: 150,
  maxOps: 100,
  seed: 1,
} as const;

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
   * Worker processes sharing the designs' chunks and shrinks (1: inline, unless a plugin design
   * needs a process of its own). Every chunk and shrink is a function of its inputs alone, merged
   * in a fixed order, so the results equal the inline ones, `elapsedMs` and `timing` aside.
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

export async function runCheck(opts: CheckOptions): Promise<CheckResult> {
  const profile = checkProfile(opts);
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
  const workers = Math.max(1, opts.workers ?? 1);
  const pooled =
    isolate || workers > 1 ? await checkInWorkers(opts, profile, common, workers, isolate) : null;
  const { results, work } = pooled ?? (await checkInline(opts, profile, common, start));
  return {
    seed,
    profile: profile.id,
    invariants: [...invariants],
    runs,
    maxOps,
    shard,
    heaps: [...(opts.heaps ?? HEAP_NAMES)],
    results,
    timing: { elapsedMs: Math.round(performance.now() - start), workers: work },
  };
}

/** The profile checked: ION-1, a search restricted to some heaps runs on a board that declares only those. */
function checkProfile(opts: CheckOptions): Profile {
  const base = typeof opts.profile === 'string' ? resolveProfile(opts.profile) : opts.profile;
  const restricted = opts.heaps && opts.heaps.length < HEAP_NAMES.length;
  return restricted ? resolveProfile(withHeaps(base.id, opts.heaps)) : base;
}

/** Check the designs one after the other in this process, each with its share of the time left. */
async function checkInline(
  opts: CheckOptions,
  profile: Profile,
  common: Omit<DesignOptions, 'deadline' | 'progress'>,
  start: number,
): Promise<{ results: DesignCheck[]; work: WorkerStat[] }> {
  const results: DesignCheck[] = [];
  const work: WorkDone = { chunks: 0, shrinks: 0, runs: 0, ops: 0, busyMs: 0, cpuMs: 0 };
  for (let i = 0; i < opts.designs.length; i++) {
    const left = opts.designs.length - i;
    const deadline =
      opts.timeLimitMs === undefined
        ? Number.POSITIVE_INFINITY
        : performance.now() + (start + opts.timeLimitMs - performance.now()) / left;
    const design = opts.designs[i]!;
    try {
      results.push(
        checkDesign(
          design,
          profile,
          {
            ...common,
            deadline,
            progress: opts.onProgress
              ? (p) => opts.onProgress!({ ...p, designIndex: i, designCount: opts.designs.length })
              : undefined,
          },
          work,
        ),
      );
    } catch (e) {
      results.push(failedCheck(design.id, profile.id, common, `threw: ${errorText(e)}`));
    }
    // let timers (progress bars) run between designs
    await new Promise((r) => setImmediate(r));
  }
  return {
    results,
    work: [{ worker: 0, ...work, busyMs: Math.round(work.busyMs), cpuMs: Math.round(work.cpuMs) }],
  };
}

const errorText = (e: unknown): string =>
  (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).split('\n')[0]!.slice(0, 500);

/** One design's progress through the worker pool. */
interface DesignState {
  readonly index: number;
  /** What a worker loads: a built-in id or a plugin file. */
  readonly spec: string;
  readonly id: string;
  nextChunk: number;
  /** Chunks whose process died while they waited behind another task: to run again. */
  readonly lost: Chunk[];
  readonly chunks: ChunkResult[];
  /** Tasks of this design in flight. */
  pending: number;
  /** Set once every chunk it will run has come back: the merge, and the findings left to shrink. */
  merged: MergedSearch | null;
  readonly toShrink: FindingSource[];
  readonly shrunk: ShrunkFinding[];
  failure: string | null;
  /** When its first task went out, and its share of --time-limit from then. */
  startedAt: number;
  deadline: number;
  result: DesignCheck | null;
}

/**
 * Check the designs in `workers` worker processes, one task at a time each: the chunks of the
 * first design not finished, then its shrinks once its chunks are merged (ahead of any other
 * design's chunks). A design that loops past its budget is killed, one that exits or crashes ends
 * only its own process; either is that design's failure. null when some design cannot be named in
 * a child (a Design object that is neither built in nor loaded from a file).
 */
async function checkInWorkers(
  opts: CheckOptions,
  profile: Profile,
  o: Omit<DesignOptions, 'deadline' | 'progress'>,
  workers: number,
  isolate: boolean,
): Promise<{ results: DesignCheck[]; work: WorkerStat[] } | null> {
  const specs = opts.designs.map((d) => d.source ?? (builtinDesign(d.id) === d ? d.id : null));
  if (specs.some((x) => x === null)) return null;
  const plan = chunkPlan(o.runs);
  const complete = completion(
    ['type-ok', ...o.invariants, MODEL_EXCEPTION],
    o.invariants,
    o.stopWhenFound === true,
  );
  const options: SearchOptions = {
    invariants: o.invariants,
    maxOps: o.maxOps,
    seed: o.seed,
    mode: o.mode,
    shrinkRunsMax: o.shrinkRunsMax,
    heaps: o.heaps,
    stopWhenFound: o.stopWhenFound === true,
  };
  const cwd = opts.cwd ?? process.cwd();
  // the designs' chunks go out one design after the other, each over every worker
  const share = opts.timeLimitMs === undefined ? Number.POSITIVE_INFINITY : opts.timeLimitMs / specs.length;
  const states: DesignState[] = specs.map((spec, index) => ({
    index,
    spec: spec!,
    id: opts.designs[index]!.id,
    nextChunk: 0,
    lost: [],
    chunks: [],
    pending: 0,
    merged: null,
    toShrink: [],
    shrunk: [],
    failure: null,
    startedAt: Number.NaN,
    deadline: Number.NaN,
    result: null,
  }));

  /** The chunks done from the first on, without a gap, complete the search (nothing more to run). */
  const prefixComplete = (d: DesignState): boolean => {
    const byIndex = new Map(d.chunks.map((c) => [c.chunk, c]));
    const found = new Set<FindingId>();
    for (const c of plan) {
      const r = byIndex.get(c.index);
      if (!r) return false;
      for (const f of r.findings) found.add(f.finding);
      if (complete(found)) return true;
    }
    return false;
  };

  const progress = (d: DesignState, phase: 'search' | 'shrink', runsDone: number, findings: number) =>
    opts.onProgress?.({
      design: d.id,
      designIndex: d.index,
      designCount: states.length,
      runsDone,
      runsTotal: o.runs,
      phase,
      findings,
    });

  const settle = (d: DesignState): void => {
    if (d.result || d.pending > 0) return;
    const elapsedMs = Math.round(performance.now() - d.startedAt);
    if (d.failure !== null) d.result = { ...failedCheck(d.id, profile.id, o, d.failure), elapsedMs };
    else if (d.merged && d.toShrink.length === 0)
      d.result = designResult(d.id, profile.id, o.seed, d.merged, d.shrunk, elapsedMs);
  };

  /** The next task, by design order; null when none can go out now. */
  const nextTask = (): { d: DesignState; task: CheckTask } | null => {
    for (const d of states) {
      if (d.result || d.failure !== null) continue;
      const base = { design: d.spec, cwd, profile: profile.id, options };
      if (Number.isNaN(d.startedAt)) {
        const now = performance.now();
        d.startedAt = now;
        // its own share of --time-limit from its first task, whatever the designs before it took
        d.deadline = now + share;
      }
      const budgetMs = d.deadline - performance.now();
      if (!d.merged) {
        const c = d.lost.shift() ?? plan[d.nextChunk];
        if (c && budgetMs > 0 && !prefixComplete(d)) {
          if (c.index === d.nextChunk) d.nextChunk++;
          return { d, task: { ...base, kind: 'chunk', chunk: c, budgetMs } };
        }
        if (d.pending > 0) continue;
        d.merged = mergeChunks(plan, d.chunks, complete);
        d.toShrink.push(...d.merged.findings);
      }
      const f = d.toShrink.shift();
      if (f) {
        // a finding is shrunk whatever the time: its one replay at least, within what is left
        return { d, task: { ...base, kind: 'shrink', finding: f, budgetMs: Math.max(0, budgetMs) } };
      }
      settle(d);
    }
    return null;
  };

  let inFlight = 0;
  // lanes with nothing to do until a task comes back (a merge then makes shrinks)
  let waiting: (() => void)[] = [];
  const changed = () => new Promise<void>((r) => waiting.push(r));
  type Outcome = ChildOutcome<CheckStepResult>;
  const lane = async (
    run: (task: CheckTask) => Promise<Outcome>,
    s: WorkerStat & WorkDone,
  ): Promise<void> => {
    for (;;) {
      const next = nextTask();
      if (!next) {
        if (inFlight === 0) break;
        await changed();
        continue;
      }
      const { d, task } = next;
      d.pending++;
      inFlight++;
      const out = await run(task);
      d.pending--;
      inFlight--;
      if ('failure' in out) {
        // a task lost behind another one's death runs again; any other failure is its design's
        if (out.lost && task.kind === 'chunk') d.lost.push(task.chunk);
        else if (out.lost && task.kind === 'shrink') d.toShrink.unshift(task.finding);
        else d.failure ??= out.failure;
      } else if (out.result.kind === 'chunk') {
        const r = out.result.result;
        d.chunks.push(r);
        s.chunks++;
        s.runs += r.runs;
        s.ops += r.opsApplied;
        s.busyMs += out.result.busyMs;
        s.cpuMs += out.result.cpuMs;
        progress(
          d,
          'search',
          d.chunks.reduce((a, c) => a + c.runs, 0),
          new Set(d.chunks.flatMap((c) => c.findings.map((f) => f.finding))).size,
        );
      } else {
        d.shrunk.push(out.result.result);
        s.shrinks++;
        s.ops += out.result.result.opsApplied;
        s.busyMs += out.result.busyMs;
        s.cpuMs += out.result.cpuMs;
        progress(d, 'shrink', d.merged?.runs ?? 0, d.shrunk.length);
      }
      settle(d);
      const wake = waiting;
      waiting = [];
      for (const r of wake) r();
    }
  };
  const stat = (worker: number) => ({ worker, chunks: 0, shrinks: 0, runs: 0, ops: 0, busyMs: 0, cpuMs: 0 });
  // plugins only in child processes; built-in designs also in this one, as worker 0
  const children = Array.from({ length: isolate ? workers : workers - 1 }, () => new WorkerProcess());
  const stats = [...(isolate ? [] : [stat(0)]), ...children.map((_, i) => stat(i + 1))];
  const childRun = (proc: WorkerProcess) => (task: CheckTask) =>
    proc.run<CheckStepResult>('check', task, task.budgetMs);
  const ownRun = async (task: CheckTask): Promise<Outcome> => {
    // let the children's answers in before (and between) this process's own steps
    await new Promise((r) => setImmediate(r));
    try {
      return { result: await checkTask(task) };
    } catch (e) {
      return { failure: e instanceof Error ? e.message.split('\n')[0]! : String(e) };
    }
  };
  // the first tasks go one to each process, then one more to each child, queued behind its first
  // (so a child never waits for this process to hand it the next)
  const lanes = children.map((proc, i) => lane(childRun(proc), stats.find((x) => x.worker === i + 1)!));
  if (!isolate) lanes.push(lane(ownRun, stats[0]!));
  // only while this process runs steps of its own: otherwise it answers at once
  for (let k = 1; k < (isolate ? 1 : CHILD_QUEUE); k++)
    for (const [i, proc] of children.entries())
      lanes.push(lane(childRun(proc), stats.find((x) => x.worker === i + 1)!));
  try {
    await Promise.all(lanes);
  } finally {
    await Promise.all(children.map((c) => c.close()));
  }
  // every design settles once its last task is back; one left unsettled would be a scheduling bug
  const results = states.map(
    (d) => d.result ?? failedCheck(d.id, profile.id, o, 'internal error: the design was never settled'),
  );
  return {
    results,
    work: stats.map((x) => ({ ...x, busyMs: Math.round(x.busyMs), cpuMs: Math.round(x.cpuMs) })),
  };
}
