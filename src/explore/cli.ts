/**
 * `ionck explore [--design ID|FILE]... [--profile tiny] [--depth D] [--invariant ID]... [--json]`
 * behind the command line: resolve every input first (bad input is one line on stderr, `ionck:
 * ...`, exit 2, before any search runs), then search each design and print the shortest
 * counterexample per invariant, or "none within depth D". Exit 0 when nothing was violated, 1
 * when something was, 2 for bad input or a model bug. The CLI (src/cli/main.ts) calls
 * `runExploreCli` with the arguments after `explore`; a caller may pass parsed options instead.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { type Design, DesignError, defineDesign } from '../model/designs/design.ts';
import { ALL_DESIGNS, builtinDesign, DEFAULT_DESIGN_IDS } from '../model/designs/index.ts';
import { Kernel } from '../model/kernel.ts';
import { type Profile, ProfileError, resolveProfile } from '../model/profile.ts';
import { INVARIANT_IDS, type InvariantId, isInvariantId } from '../spec/index.ts';
import { type ExploreReport, renderText, toJson } from './format.ts';
import { DEFAULT_MAX_STATES, EXPLORE_DEPTH_MAX, type ExploreResult, explore } from './search.ts';

export const DEFAULT_EXPLORE_PROFILE = 'tiny';
export const DEFAULT_EXPLORE_DEPTH = 3;
export const MAX_STATES_MAX = 50_000_000;
const TIME_LIMIT_S_MAX = 7 * 24 * 3600;

export interface ExploreCliOptions {
  designs?: string[];
  profile?: string;
  depth?: number;
  invariants?: string[];
  json?: boolean;
  maxStates?: number;
  /** Seconds per design. */
  timeLimit?: number;
}

/** The terminal as the CLI gives it (a subset of src/cli/io.ts CliIo). */
export interface ExploreCliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly stderrIsTTY?: boolean;
  /** Relative plugin paths resolve against this directory (default: process.cwd()). */
  readonly cwd?: string;
}

const processIo = (): ExploreCliIo => ({
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  stderrIsTTY: process.stderr.isTTY === true,
  cwd: process.cwd(),
});

/** Bad input: exit 2 with this one line. */
class InputError extends Error {
  override name = 'InputError';
}

const oneLine = (s: string): string =>
  s
    .replace(/^error:\s*/i, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' ');

const intArg = (what: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`${what} must be an integer in ${min}..${max}`);
  return n;
};

const secondsArg = (v: string): number => {
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v.trim()) || !(n > 0) || n > TIME_LIMIT_S_MAX)
    throw new InvalidArgumentError(`time-limit must be a number of seconds in (0, ${TIME_LIMIT_S_MAX}]`);
  return n;
};

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** Parse the arguments after `explore`; null when help was printed. */
function parseArgv(argv: readonly string[], io: ExploreCliIo): ExploreCliOptions | null {
  const cmd = new Command('ionck explore')
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
    .option('--time-limit <s>', 'stop a design after this many seconds', secondsArg)
    .option('--json', 'print the result as JSON', false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: () => {}, outputError: () => {} })
    .helpCommand(false)
    .allowExcessArguments(false);
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.exitCode === 0) return null;
      throw new InputError(`${oneLine(e.message)}`);
    }
    throw e;
  }
  const o = cmd.opts();
  return {
    designs: o.design,
    profile: o.profile,
    depth: o.depth,
    invariants: o.invariant,
    json: o.json,
    maxStates: o.maxStates,
    timeLimit: o.timeLimit,
  };
}

const isDesignPath = (s: string): boolean =>
  s.startsWith('./') || s.startsWith('../') || isAbsolute(s) || /\.(m?[jt]s|c[jt]s)$/.test(s);

/** A built-in or zoo design id, or a plugin module whose default export is a design. */
async function loadDesign(spec: string, cwd: string): Promise<Design> {
  if (!isDesignPath(spec)) {
    const d = builtinDesign(spec);
    if (!d)
      throw new InputError(
        `unknown design '${spec}' (known: ${ALL_DESIGNS.map((x) => x.id).join(', ')}; or a plugin file ./name.ts)`,
      );
    return d;
  }
  const file = resolve(cwd, spec);
  if (!existsSync(file) || !statSync(file).isFile()) throw new InputError(`design file ${spec} not found`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(
      `design file ${spec} failed to load: ${oneLine(String((e as Error)?.message ?? e))}`,
    );
  }
  if (mod.default === undefined)
    throw new InputError(`design file ${spec} has no default export (export default defineDesign({ ... }))`);
  let d: Design;
  try {
    d = defineDesign(mod.default);
  } catch (e) {
    if (e instanceof DesignError) throw new InputError(`design file ${spec}: ${oneLine(e.message)}`);
    throw e;
  }
  if (builtinDesign(d.id))
    throw new InputError(
      `design file ${spec}: id '${d.id}' is a built-in design's id; give the plugin its own id`,
    );
  return d;
}

interface Resolved {
  designs: Design[];
  profile: Profile;
  depth: number;
  invariants: InvariantId[];
  maxStates: number;
  timeLimitMs: number | undefined;
  json: boolean;
}

async function resolveOptions(o: ExploreCliOptions, cwd: string): Promise<Resolved> {
  const depth = o.depth ?? DEFAULT_EXPLORE_DEPTH;
  if (!Number.isInteger(depth) || depth < 0 || depth > EXPLORE_DEPTH_MAX)
    throw new InputError(`depth must be an integer in 0..${EXPLORE_DEPTH_MAX}, not ${depth}`);
  const maxStates = o.maxStates ?? DEFAULT_MAX_STATES;
  if (!Number.isInteger(maxStates) || maxStates < 1 || maxStates > MAX_STATES_MAX)
    throw new InputError(`max-states must be an integer in 1..${MAX_STATES_MAX}`);
  if (o.timeLimit !== undefined && !(o.timeLimit > 0 && o.timeLimit <= TIME_LIMIT_S_MAX))
    throw new InputError(`time-limit must be a number of seconds in (0, ${TIME_LIMIT_S_MAX}]`);
  const invariants: InvariantId[] = [];
  for (const id of o.invariants ?? []) {
    if (!isInvariantId(id))
      throw new InputError(`unknown invariant '${id}' (known: ${INVARIANT_IDS.join(', ')})`);
    if (!invariants.includes(id)) invariants.push(id);
  }
  const profile = resolveProfile(o.profile ?? DEFAULT_EXPLORE_PROFILE);
  const specs = o.designs && o.designs.length > 0 ? o.designs : DEFAULT_DESIGN_IDS;
  const designs: Design[] = [];
  for (const s of specs) {
    const d = await loadDesign(s, cwd);
    if (!designs.some((x) => x.id === d.id)) designs.push(d);
  }
  for (const d of designs) {
    try {
      Kernel.boot(profile, d);
    } catch (e) {
      throw new InputError(
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
  };
}

/**
 * Run `ionck explore`. `input` is the argument list after `explore`, or parsed options. Returns
 * the exit code: 0 nothing violated, 1 a violation found, 2 bad input or a model bug.
 */
export async function runExploreCli(
  input: ExploreCliOptions | readonly string[] = {},
  io: ExploreCliIo = processIo(),
): Promise<number> {
  let r: Resolved;
  try {
    const parsed = Array.isArray(input)
      ? parseArgv(input as readonly string[], io)
      : (input as ExploreCliOptions);
    if (parsed === null) return 0;
    r = await resolveOptions(parsed, io.cwd ?? process.cwd());
  } catch (e) {
    if (e instanceof InputError || e instanceof ProfileError || e instanceof DesignError) {
      io.stderr(`ionck: explore: ${oneLine(e.message)}\n`);
      return 2;
    }
    throw e;
  }
  const results: ExploreResult[] = [];
  for (const design of r.designs) {
    try {
      results.push(
        explore({
          profile: r.profile,
          design,
          depth: r.depth,
          invariants: r.invariants,
          maxStates: r.maxStates,
          ...(r.timeLimitMs === undefined ? {} : { timeLimitMs: r.timeLimitMs }),
          onLevel: (p) => {
            if (io.stderrIsTTY)
              io.stderr(
                `ionck explore: ${design.id} depth ${p.depth}: ${p.statesExplored} states, ${p.distinctStates} distinct\n`,
              );
          },
        }),
      );
    } catch (e) {
      const why = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      io.stderr(
        `ionck: internal error exploring '${design.id}' on '${r.profile.id}': ${oneLine(why).slice(0, 500)}\n`,
      );
      return 2;
    }
  }
  const rep: ExploreReport = { profile: r.profile.id, depth: r.depth, results };
  io.stdout(r.json ? `${JSON.stringify(toJson(rep), null, 2)}\n` : renderText(rep));
  const bugs = results.flatMap((x) => x.modelBugs.map((b) => ({ design: x.design, ...b })));
  if (bugs.length > 0) {
    const b = bugs[0]!;
    io.stderr(
      `ionck: model bug in design '${b.design}' (${b.check}) after ${JSON.stringify(b.ops)}: ${oneLine(b.message)}${bugs.length > 1 ? ` (and ${bugs.length - 1} more)` : ''}\n`,
    );
    return 2;
  }
  return results.some((x) => x.invariants.some((id) => x.counterexamples[id])) ? 1 : 0;
}
