/**
 * `ionck explore [--design ID|FILE]... [--profile tiny] [--depth D] [--invariant ID]... [--exact]
 * [--no-symmetry] [--workers N] [--json]`
 * behind the command line: resolve every input first (bad input is one line on stderr, `ionck:
 * ...`, exit 2, before any search runs), then search each design and print the shortest
 * counterexample per invariant, or "none within depth D". Exit 0 when nothing was violated, 1
 * when something was, 2 for bad input or a model bug. `exploreOptions` declares the flags on the
 * `explore` subcommand of the one `ionck` program (src/cli/main.ts), whose action calls
 * `runExploreCli` with `exploreCliOptions` of what commander parsed.
 */

import type { Command, OptionValues } from 'commander';
import { IonckError, UsageError } from '../errors.ts';
import type { ExploreTask } from '../explore/explore-worker.ts';
import {
  DEFAULT_MAX_STATES,
  EXPLORE_DEPTH_MAX,
  type ExploreOptions,
  type ExploreResult,
  explore,
} from '../explore/search.ts';
import { exploreSharded } from '../explore/shards.ts';
import type { Design } from '../model/designs/design.ts';
import { DEFAULT_DESIGN_IDS } from '../model/designs/index.ts';
import { Kernel } from '../model/kernel.ts';
import { type Profile, resolveProfile, withStaleTlb } from '../model/profile.ts';
import { loadDesign } from '../plugin/design-arg.ts';
import { probePlugins } from '../plugin/probe.ts';
import { runInChild } from '../properties/worker-entry.ts';
import { type ExploreReport, renderText, toJson } from '../report/explore.ts';
import { INVARIANT_IDS, type InvariantId, isInvariantId } from '../spec/index.ts';
import { MODEL_VERSION, TOOL_VERSION } from '../version.ts';
import {
  collect,
  flagErrorsWith,
  intArg,
  oneLine,
  secondsArg,
  TIME_LIMIT_S_MAX,
  WORKERS_MAX,
} from './args.ts';
import { processIo } from './io.ts';

export const DEFAULT_EXPLORE_PROFILE = 'tiny';
export const DEFAULT_EXPLORE_DEPTH = 3;
export const MAX_STATES_MAX = 50_000_000;
const TIME_LIMIT_INVALID = `time-limit must be a number of seconds in (0, ${TIME_LIMIT_S_MAX}]`;

export interface ExploreCliOptions {
  designs?: string[];
  profile?: string;
  depth?: number;
  invariants?: string[];
  json?: boolean;
  maxStates?: number;
  /** Seconds per design. */
  timeLimit?: number;
  /** Full sha256 state keys instead of 64-bit fingerprints. */
  exact?: boolean;
  /** Client-symmetry reduction (default true). */
  symmetry?: boolean;
  /** Processes each level of a built-in design's search is spread over (default 1: inline). */
  workers?: number;
}

/** The terminal as the CLI gives it (a subset of CliIo, ./io.ts). */
export interface ExploreCliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly stderrIsTTY?: boolean;
  /** Relative plugin paths resolve against this directory (default: process.cwd()). */
  readonly cwd?: string;
}

/**
 * The flags of `ionck explore`, declared on the subcommand main.ts creates; its bad flags are
 * said as `ionck: explore: ...` like every other explore error.
 */
export function exploreOptions(cmd: Command): Command {
  return cmd
    .summary('bounded exhaustive search for the shortest counterexamples (src/explore)')
    .description(
      'bounded breadth-first search with state hashing: the shortest counterexample of each invariant within a depth',
    )
    .option(
      '--design <id|file>',
      'design id or plugin file (repeatable; default: the built-in designs)',
      collect,
      [],
    )
    .option('--profile <spec>', 'machine profile, ID[,key=value...]', DEFAULT_EXPLORE_PROFILE)
    .option('--no-stale-tlb', 'lazily unmapped, unpurged ranges do not count as live mappings (ARCH-4)')
    .option(
      '--depth <n>',
      'longest trace searched, in ops',
      intArg('depth', 0, EXPLORE_DEPTH_MAX),
      DEFAULT_EXPLORE_DEPTH,
    )
    .option('--invariant <id>', 'invariant to search for (repeatable; default: all)', collect, [])
    .option(
      '--max-states <n>',
      'stop a design after this many distinct states',
      intArg('max-states', 1, MAX_STATES_MAX),
      DEFAULT_MAX_STATES,
    )
    .option('--time-limit <s>', 'stop a design after this many seconds', secondsArg(TIME_LIMIT_INVALID))
    .option('--exact', 'tell states apart by full sha256 keys, not 64-bit fingerprints (slower)', false)
    .option('--no-symmetry', 'no client-symmetry reduction (one state per orbit of client renamings)')
    .option(
      '--workers <n>',
      "spread each level's frontier over n processes (built-in designs; same result as 1)",
      intArg('workers', 1, WORKERS_MAX),
      1,
    )
    .option('--json', 'print the result as JSON', false)
    .allowExcessArguments(false)
    .exitOverride(flagErrorsWith('ionck: explore: '));
}

/** The flags commander parsed (see exploreOptions) as `runExploreCli` takes them. */
export function exploreCliOptions(o: OptionValues): ExploreCliOptions {
  return {
    designs: o.design,
    profile: withStaleTlb(o.profile, o.staleTlb),
    depth: o.depth,
    invariants: o.invariant,
    json: o.json,
    maxStates: o.maxStates,
    timeLimit: o.timeLimit,
    exact: o.exact,
    symmetry: o.symmetry,
    workers: o.workers,
  };
}

interface Resolved {
  designs: Design[];
  profile: Profile;
  depth: number;
  invariants: InvariantId[];
  maxStates: number;
  timeLimitMs: number | undefined;
  json: boolean;
  exact: boolean;
  symmetry: boolean;
  workers: number;
}

async function resolveOptions(o: ExploreCliOptions, cwd: string): Promise<Resolved> {
  const depth = o.depth ?? DEFAULT_EXPLORE_DEPTH;
  if (!Number.isInteger(depth) || depth < 0 || depth > EXPLORE_DEPTH_MAX)
    throw new UsageError(`depth must be an integer in 0..${EXPLORE_DEPTH_MAX}, not ${depth}`);
  const maxStates = o.maxStates ?? DEFAULT_MAX_STATES;
  if (!Number.isInteger(maxStates) || maxStates < 1 || maxStates > MAX_STATES_MAX)
    throw new UsageError(`max-states must be an integer in 1..${MAX_STATES_MAX}`);
  if (o.timeLimit !== undefined && !(o.timeLimit > 0 && o.timeLimit <= TIME_LIMIT_S_MAX))
    throw new UsageError(TIME_LIMIT_INVALID);
  const workers = o.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1 || workers > WORKERS_MAX)
    throw new UsageError(`workers must be an integer in 1..${WORKERS_MAX}`);
  const invariants: InvariantId[] = [];
  for (const id of o.invariants ?? []) {
    if (!isInvariantId(id))
      throw new UsageError(`unknown invariant '${id}' (known: ${INVARIANT_IDS.join(', ')})`);
    if (!invariants.includes(id)) invariants.push(id);
  }
  const profile = resolveProfile(o.profile ?? DEFAULT_EXPLORE_PROFILE);
  const specs = o.designs && o.designs.length > 0 ? o.designs : DEFAULT_DESIGN_IDS;
  const designs: Design[] = [];
  // a plugin that loops or exits while loading or booting is one line, not a hang
  await probePlugins(specs, cwd, [profile.id], o.timeLimit === undefined ? undefined : o.timeLimit * 1000);
  for (const s of specs) {
    const d = await loadDesign(s, cwd);
    if (!designs.some((x) => x.id === d.id)) designs.push(d);
  }
  for (const d of designs) {
    try {
      Kernel.boot(profile, d);
    } catch (e) {
      throw new UsageError(
        `design '${d.id}' does not boot on '${profile.id}': ${oneLine(String((e as Error)?.message ?? e))}`,
      );
    }
  }
  return {
    designs,
    profile,
    depth,
    invariants: invariants.length > 0 ? invariants : [...INVARIANT_IDS],
    maxStates,
    timeLimitMs: o.timeLimit === undefined ? undefined : o.timeLimit * 1000,
    json: o.json ?? false,
    exact: o.exact ?? false,
    symmetry: o.symmetry ?? true,
    workers,
  };
}

/**
 * Run `ionck explore` with parsed options. Returns the exit code: 0 nothing violated, 1 a
 * violation found, 2 bad input or a model bug.
 */
export async function runExploreCli(
  opts: ExploreCliOptions = {},
  io: ExploreCliIo = processIo(),
): Promise<number> {
  const r = await prepare(opts, io);
  if (typeof r === 'number') return r;
  const results: ExploreResult[] = [];
  for (const design of r.designs) results.push(await exploreDesign(design, r, io));
  // a plugin that throws is its own failure (exit 1); a built-in that throws is a model bug (exit 2)
  const plugins = new Set(r.designs.filter((d) => d.source !== undefined).map((d) => d.id));
  for (let i = 0; i < results.length; i++) {
    const x = results[i]!;
    const b = x.modelBugs[0];
    if (plugins.has(x.design) && b && x.failure === undefined)
      results[i] = { ...x, failure: `it threw after ${JSON.stringify(b.ops)}: ${oneLine(b.message)}` };
  }
  printReport(r, results, io);
  return exitCode(results, plugins, io);
}

/** The options resolved; an exit code on bad input. */
async function prepare(opts: ExploreCliOptions, io: ExploreCliIo): Promise<Resolved | number> {
  try {
    return await resolveOptions(opts, io.cwd ?? process.cwd());
  } catch (e) {
    if (e instanceof IonckError) {
      io.stderr(`ionck: explore: ${oneLine(e.message)}\n`);
      return 2;
    }
    throw e;
  }
}

/**
 * One design's search: a built-in in this process, a plugin in its own (one that loops past
 * --time-limit or exits fails alone); a search that throws is the design's failure.
 */
async function exploreDesign(design: Design, r: Resolved, io: ExploreCliIo): Promise<ExploreResult> {
  if (design.source !== undefined) {
    const task: ExploreTask = {
      design: design.source,
      cwd: io.cwd ?? process.cwd(),
      profile: r.profile.id,
      depth: r.depth,
      invariants: r.invariants,
      maxStates: r.maxStates,
      exact: r.exact,
      symmetry: r.symmetry,
      ...(r.timeLimitMs === undefined ? {} : { timeLimitMs: r.timeLimitMs }),
    };
    const out = await runInChild<ExploreResult>('explore', task, r.timeLimitMs ?? Infinity);
    return 'result' in out ? out.result : failedExplore(design.id, r, out.failure);
  }
  const opts: ExploreOptions = {
    profile: r.profile,
    design,
    depth: r.depth,
    invariants: r.invariants,
    maxStates: r.maxStates,
    exact: r.exact,
    symmetry: r.symmetry,
    ...(r.timeLimitMs === undefined ? {} : { timeLimitMs: r.timeLimitMs }),
    onLevel: (p) => {
      if (io.stderrIsTTY)
        io.stderr(
          `ionck explore: ${design.id} depth ${p.depth}: ${p.statesExplored} states, ${p.distinctStates} distinct\n`,
        );
    },
  };
  try {
    return r.workers > 1 ? await exploreSharded(opts, r.workers) : explore(opts);
  } catch (e) {
    // the design's failure, reported with the others' results
    const why = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return failedExplore(design.id, r, `threw: ${oneLine(why).slice(0, 500)}`);
  }
}

/** The report on stdout: text, or JSON with the parameters. */
function printReport(r: Resolved, results: ExploreResult[], io: ExploreCliIo): void {
  const rep: ExploreReport = { profile: r.profile.id, depth: r.depth, results };
  const head = {
    tool: 'ionck',
    toolVersion: TOOL_VERSION,
    modelVersion: MODEL_VERSION,
    command: 'explore',
    // exhaustive: nothing is random
    seed: null,
    parameters: {
      depth: r.depth,
      exact: r.exact,
      symmetry: r.symmetry,
      invariants: r.invariants,
      maxStates: r.maxStates,
      timeLimit: r.timeLimitMs === undefined ? null : r.timeLimitMs / 1000,
    },
  };
  io.stdout(
    r.json ? `${JSON.stringify({ ...head, ...(toJson(rep) as object) }, null, 2)}\n` : renderText(rep),
  );
}

/** 2 on a built-in's model bug, 1 on a failed design or a counterexample, else 0 (failures said on stderr). */
function exitCode(results: readonly ExploreResult[], plugins: ReadonlySet<string>, io: ExploreCliIo): number {
  const failed = results.filter((x) => x.failure !== undefined);
  for (const f of failed) io.stderr(`ionck: explore: design '${f.design}' failed: ${f.failure}\n`);
  const bugs = results
    .filter((x) => !plugins.has(x.design))
    .flatMap((x) => x.modelBugs.map((b) => ({ design: x.design, ...b })));
  if (bugs.length > 0) {
    const b = bugs[0]!;
    io.stderr(
      `ionck: model bug in design '${b.design}' (${b.check}) after ${JSON.stringify(b.ops)}: ${oneLine(b.message)}${bugs.length > 1 ? ` (and ${bugs.length - 1} more)` : ''}\n`,
    );
    return 2;
  }
  return failed.length > 0 || results.some((x) => x.invariants.some((id) => x.counterexamples[id])) ? 1 : 0;
}

/** The result of a design whose search failed (threw, looped past its budget, exited). */
function failedExplore(design: string, r: Resolved, failure: string): ExploreResult {
  return {
    design,
    profile: r.profile.id,
    depth: r.depth,
    depthCompleted: 0,
    stoppedBy: null,
    invariants: r.invariants,
    alphabetSize: 0,
    counterexamples: Object.fromEntries(r.invariants.map((id) => [id, null])),
    modelBugs: [],
    statesExpanded: 0,
    keys: r.exact ? 'sha256' : 'fp64',
    symmetries: 0,
    workers: r.workers,
    statesExplored: 0,
    distinctStates: 0,
    elapsedMs: 0,
    timing: { clone: 0, apply: 0, hash: 0, check: 0, replay: 0 },
    failure,
  };
}
