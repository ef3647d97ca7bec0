/**
 * `runCheck`: drive each design with fast-check command sequences, checking every invariant
 * after every op (docs/architecture.md section 6). Each distinct finding keeps its own counterexample,
 * shrunk on its own: once a run fails, the property only fails on that same finding, so
 * fast-check's shrinker never trades it for another; then the search goes on for the findings
 * left, until the run budget is spent. Each shrunk trace is then delta-debugged op by op
 * (minimize.ts) and verified on a freshly booted kernel, which is exactly what replay does.
 * Here: the options, and the designs run inline or in child processes; one design's search is
 * ./check-design.ts, the result types ./check-result.ts.
 *
 * Deterministic: the same options and seed give the same result, byte for byte, except
 * `elapsedMs` (and except when a time limit cuts a run short, which the result says).
 */
import type { Design } from '../model/designs/design.ts';
import { builtinDesign } from '../model/designs/index.ts';
import { HEAP_NAMES, type HeapName } from '../model/ion/heap.ts';
import { type Profile, resolveProfile, withHeaps } from '../model/profile.ts';
import { type CheckMode, INVARIANT_IDS, type InvariantId } from '../spec/index.ts';
import { checkDesign, type DesignOptions, SHRINK_RUNS_MAX } from './check-design.ts';
import { type CheckProgress, type CheckResult, type DesignCheck, failedCheck } from './check-result.ts';
import type { CheckTask } from './check-worker.ts';
import { runInChild } from './worker-entry.ts';

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
  const parallel =
    isolate || ((opts.workers ?? 1) > 1 && opts.designs.length > 1)
      ? await checkInWorkers(opts, profile, common)
      : null;
  const results = parallel ?? (await checkInline(opts, profile, common, start));
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
): Promise<DesignCheck[]> {
  const results: DesignCheck[] = [];
  for (let i = 0; i < opts.designs.length; i++) {
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
  return results;
}

const errorText = (e: unknown): string =>
  (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).split('\n')[0]!.slice(0, 500);

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
