/**
 * The `ionck` command (docs/architecture.md section 7): check, compare, replay, explore, layout, probe, list.
 * `main(argv, io)` is the whole CLI as a function, so tests run it in-process. Exit codes: 0 held,
 * 1 violated, 2 bad input or internal error. Bad input is one line on stderr, `ionck: <what was
 * wrong>`, never a stack trace, and nothing is written. One commander program parses argv once;
 * compare and explore declare their flags in their own modules and say bad flags with their own
 * prefix (`ionck compare: `, `ionck: explore: `).
 */

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { IonckError, UsageError } from '../errors.ts';
import { DEFAULT_PROFILE_ID, withStaleTlb } from '../model/profile.ts';
import { CHECK_DEFAULTS } from '../properties/check.ts';
import { MODEL_VERSION, TOOL_VERSION } from '../version.ts';
import { collect, FlagError, intArg, oneLine, secondsArg, TIME_LIMIT_S_MAX, WORKERS_MAX } from './args.ts';
import { checkCommand } from './check.ts';
import { compareCliOptions, compareOptions, runCompareCli } from './compare.ts';
import { exploreCliOptions, exploreOptions, runExploreCli } from './explore.ts';
import { type CliIo, EXIT, processIo } from './io.ts';
import { layoutCommand } from './layout.ts';
import { LIST_WHAT, listCommand } from './list.ts';
import { mergeCommand } from './merge.ts';
import { attrsArg, PROBE_MAX_MAX, probeCommand, sizesArg } from './probe.ts';
import { replayCommand } from './replay.ts';
import { zooCommand } from './zoo.ts';

/** Bounds on numeric flags (a limit on everything, unit last). */
export const RUNS_MAX = 10_000_000;
export const MAX_OPS_MAX = 100_000;
export const SHARDS_MAX = 10_000;
export { TIME_LIMIT_S_MAX, WORKERS_MAX };
export const SEED_MAX = 2 ** 31 - 1;

const shardArg = (v: string): { index: number; count: number } => {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || count < 1 || count > SHARDS_MAX || index < 1 || index > count)
    throw new InvalidArgumentError(`shard must be I/N with 1 <= I <= N <= ${SHARDS_MAX}, e.g. 2/4`);
  return { index, count };
};

const nonEmpty = (what: string) => (v: string) => {
  if (v.trim() === '') throw new InvalidArgumentError(`${what} must not be empty`);
  return v;
};

const COMMANDS = ['check', 'compare', 'replay', 'explore', 'merge', 'layout', 'list', 'probe', 'zoo', 'help'];

type SetCode = (c: number) => void;

function buildProgram(io: CliIo, setCode: SetCode): Command {
  const program = new Command('ionck')
    .description(
      'Property-based checker for the 3.18-era ARM32 memory stack (CMA, dma_alloc_coherent, vmalloc, ION)',
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s), outputError: () => {} })
    .showSuggestionAfterError(true)
    .version(
      `${TOOL_VERSION} (model ${MODEL_VERSION})`,
      '-V, --version',
      'print the version of ionck (and of its model)',
    )
    .helpCommand('help [command]', 'print the help of a command');
  addCheck(program, io, setCode);
  addCompare(program, io, setCode);
  addReplay(program, io, setCode);
  addExplore(program, io, setCode);
  addMerge(program, io, setCode);
  addLayout(program, io, setCode);
  addProbe(program, io, setCode);
  addZoo(program, io, setCode);
  addList(program, io, setCode);
  return program;
}

/** `ionck compare`: its flags declared in src/cli/compare.ts. */
function addCompare(program: Command, io: CliIo, setCode: SetCode): void {
  compareOptions(program.command('compare')).action(async (o) => {
    setCode(await runCompareCli(compareCliOptions(o), io));
  });
}

/** `ionck explore`: its flags declared in src/cli/explore.ts. */
function addExplore(program: Command, io: CliIo, setCode: SetCode): void {
  exploreOptions(program.command('explore')).action(async (o) => {
    setCode(await runExploreCli(exploreCliOptions(o), io));
  });
}

/** `ionck check`: the fast-check search. */
function addCheck(program: Command, io: CliIo, setCode: SetCode): void {
  checkOptions(program.command('check')).action(async (o) => {
    setCode(
      await checkCommand(
        {
          design: o.design,
          profile: withStaleTlb(o.profile, o.staleTlb),
          invariant: o.invariant,
          heap: o.heap,
          runs: o.runs,
          maxOps: o.maxOps,
          seed: o.seed,
          timeLimit: o.timeLimit,
          workers: o.workers,
          shard: o.shard,
          json: o.json,
          out: o.out,
          junit: o.junit,
          requireGoals: o.requireGoals,
          stats: o.stats,
        },
        io,
      ),
    );
  });
}

/** The flags of `ionck check`. */
function checkOptions(command: Command): Command {
  return command
    .description('search every design for invariant violations with fast-check; shrink each one')
    .option(
      '--design <id|file>',
      'built-in design id or plugin file ./x.ts (repeatable; default: the 4 built-ins)',
      collect,
      [],
    )
    .option('--profile <spec>', 'machine profile, ID[,key=value...]', nonEmpty('profile'), DEFAULT_PROFILE_ID)
    .option('--no-stale-tlb', 'lazily unmapped, unpurged ranges do not count as live mappings (ARCH-4)')
    .option('--invariant <id>', 'invariant to check (repeatable; default: all)', collect, [])
    .option('--heap <name>', 'allocate only from this heap (repeatable; default: all four)', collect, [])
    .option('--runs <n>', 'fast-check runs per design', intArg('runs', 1, RUNS_MAX), CHECK_DEFAULTS.runs)
    .option('--max-ops <n>', 'most ops per run', intArg('max-ops', 1, MAX_OPS_MAX), CHECK_DEFAULTS.maxOps)
    .option(
      '--seed <n>',
      'random seed (printed; fixed by default so CI is deterministic)',
      intArg('seed', 0, SEED_MAX),
      CHECK_DEFAULTS.seed,
    )
    .option(
      '--time-limit <s>',
      'wall-clock budget in seconds for the whole check',
      secondsArg(`seconds must be a number in (0, ${TIME_LIMIT_S_MAX}]`),
    )
    .option(
      '--workers <n>',
      "processes sharing every design's runs and shrinks (same results as 1)",
      intArg('workers', 1, WORKERS_MAX),
    )
    .option(
      '--shard <i/n>',
      'run shard I of N: designs I, I+N, I+2N... each checked in full (ionck merge joins the shards)',
      shardArg,
    )
    .option('--json', 'print the result as JSON', false)
    .option('--out <dir>', 'write check.json, check.md and replays/ into DIR', nonEmpty('out'))
    .option('--junit <file>', 'write a JUnit XML report', nonEmpty('junit'))
    .option('--require-goals', 'exit 1 when a reachability goal was never reached (unproven)', false)
    .option('--stats', 'print action coverage and the shortest trace reaching each goal', false);
}

/** `ionck replay`: a token or replay file. */
function addReplay(program: Command, io: CliIo, setCode: SetCode): void {
  program
    .command('replay')
    .description('replay a token or replay file; exit 1 if it still violates, 0 if it holds')
    .argument('<file|token>', 'a replay file (JSON) or a token ionck1:...')
    .option('--design <id|file>', 'replay on this design instead of the recorded one')
    .option(
      '--invariant <id>',
      'invariant to check (repeatable; default: the recorded one, else all)',
      collect,
      [],
    )
    .option('--json', 'print the trace as JSON', false)
    .option(
      '--save <path>',
      'write the replay as a JSON file (e.g. test/regressions/NAME.json)',
      nonEmpty('save'),
    )
    .option(
      '--time-limit <s>',
      'seconds a plugin design (--design FILE) may take before it is killed',
      secondsArg(`seconds must be a number in (0, ${TIME_LIMIT_S_MAX}]`),
    )
    .action(async (input: string, o) => {
      setCode(
        await replayCommand(
          {
            input,
            design: o.design,
            invariant: o.invariant,
            json: o.json,
            save: o.save,
            ...(o.timeLimit !== undefined ? { timeLimit: o.timeLimit } : {}),
          },
          io,
        ),
      );
    });
}

/** `ionck merge`: the shards of a check joined. */
function addMerge(program: Command, io: CliIo, setCode: SetCode): void {
  program
    .command('merge')
    .description(
      "join the JSON of 'check --shard i/n --json' jobs into the one-job result (and its exit code)",
    )
    .argument('<shard.json...>', 'the JSON of every shard, 1..n')
    .option('--out <file>', 'also write the merged JSON to FILE', nonEmpty('out'))
    .action((files: string[], o) => {
      setCode(mergeCommand({ files, out: o.out }, io));
    });
}

/** `ionck layout`: a profile's memory layout. */
function addLayout(program: Command, io: CliIo, setCode: SetCode): void {
  program
    .command('layout')
    .description('boot a profile and print its memory layout')
    .option('--profile <spec>', 'machine profile, ID[,key=value...]', nonEmpty('profile'), DEFAULT_PROFILE_ID)
    .option('--json', 'print the layout as JSON (numbers)', false)
    .action((o) => {
      setCode(layoutCommand({ profile: o.profile, json: o.json }, io));
    });
}

/** `ionck probe`: the model's dmaprobe. */
function addProbe(program: Command, io: CliIo, setCode: SetCode): void {
  program
    .command('probe')
    .description(
      "the model's dmaprobe: dma_alloc_coherent on a non-coherent device until it fails (docs/oracle.md)",
    )
    .option('--profile <spec>', 'machine profile, ID[,key=value...]', nonEmpty('profile'), DEFAULT_PROFILE_ID)
    .requiredOption(
      '--size <bytes[,bytes...]>',
      'buffer size (1M); several sizes: one buffer each, held',
      sizesArg,
    )
    .option('--attrs <attrs>', 'DMA attributes: no-kernel-mapping', attrsArg, [])
    .option('--max <n>', 'most allocations with one size', intArg('max', 1, PROBE_MAX_MAX), 2000)
    .option(
      '--after-purge',
      'purge lazily freed vmalloc areas first (as after a run that hit a vmap failure)',
      false,
    )
    .option('--json', 'print the result as JSON (numbers)', false)
    .action((o) => {
      setCode(
        probeCommand(
          {
            profile: o.profile,
            sizes: o.size,
            attrs: o.attrs,
            max: o.max,
            afterPurge: o.afterPurge,
            json: o.json,
          },
          io,
        ),
      );
    });
}

/** `ionck zoo`: the zoo measured. */
function addZoo(program: Command, io: CliIo, setCode: SetCode): void {
  program
    .command('zoo')
    .description('measure how the default check budget finds every known bug and mutant of the zoo')
    .option('--seeds <n>', 'seeds 1..N per entry', intArg('seeds', 1, 1000), 5)
    .option('--design <file>', 'also measure this plugin design (repeatable)', collect, [])
    .option('--entry <id>', 'only this entry (repeatable; ids as the table prints them)', collect, [])
    .option('--explore-depth <n>', 'explorer depth on tiny (0: skip)', intArg('explore-depth', 0, 6), 4)
    .option('--json', 'print the result as JSON', false)
    .option('--out <file>', 'also write the JSON result to FILE', nonEmpty('out'))
    .action(async (o) => {
      setCode(
        await zooCommand(
          {
            seeds: o.seeds,
            json: o.json,
            design: o.design,
            entry: o.entry,
            exploreDepth: o.exploreDepth,
            out: o.out,
          },
          io,
        ),
      );
    });
}

/** `ionck list`: designs, profiles, invariants or workloads. */
function addList(program: Command, io: CliIo, setCode: SetCode): void {
  program
    .command('list')
    .description('list designs, profiles, invariants (and goals) or workloads')
    .addArgument(
      new Command().createArgument('<what>', LIST_WHAT.join(' | ')).choices(LIST_WHAT as unknown as string[]),
    )
    .addOption(new Option('--json', 'print as JSON').default(false))
    .action(async (what: string, o) => {
      setCode(await listCommand(what, { json: o.json }, io));
    });
}

/** Run the CLI; returns the exit code. Never throws. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  try {
    if (argv.length === 0) {
      io.stderr(
        `ionck: missing command (check, compare, replay, explore, merge, layout, probe or list; see ionck --help)\n`,
      );
      return EXIT.bad;
    }
    if (argv[0] === 'help' && argv[1] !== undefined && !COMMANDS.includes(argv[1]))
      throw new UsageError(`help: unknown command '${argv[1]}' (commands: ${COMMANDS.join(', ')})`);
    let code: number = EXIT.held;
    const program = buildProgram(io, (c) => {
      code = c;
    });
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    // compare's and explore's bad flags, with their own prefix (src/cli/args.ts)
    if (e instanceof FlagError) {
      io.stderr(`${e.prefix}${e.message}\n`);
      return EXIT.bad;
    }
    if (e instanceof CommanderError) {
      if (e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version')
        return 0;
      io.stderr(`ionck: ${oneLine(e.message)}\n`);
      return EXIT.bad;
    }
    // every IonckError is input ionck cannot use: one line, exit 2 (src/errors.ts)
    if (e instanceof IonckError) {
      io.stderr(`ionck: ${oneLine(e.message)}\n`);
      return EXIT.bad;
    }
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    io.stderr(`ionck: internal error: ${oneLine(msg).slice(0, 500)}\n`);
    if (io.env.IONCK_DEBUG && e instanceof Error && e.stack) io.stderr(`${e.stack}\n`);
    return EXIT.bad;
  }
}

const isEntry = (): boolean => {
  const arg = process.argv[1];
  return arg !== undefined && resolve(arg) === fileURLToPath(import.meta.url);
};

if (isEntry()) {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
