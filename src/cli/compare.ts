/**
 * `ionck compare` behind the command line: resolve the options (bad input is one line and exit 2,
 * before anything runs or any report is touched), run the comparison with a progress bar on stderr
 * (plain lines when stderr is not a terminal), write compare.{md,json,html} atomically into --out,
 * then print the verdict matrix and the report paths. `compareOptions` declares the flags on the
 * `compare` subcommand of the one `ionck` program (src/cli/main.ts), whose action calls
 * `runCompareCli` with `compareCliOptions` of what commander parsed.
 */

import { appendFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type { Command, OptionValues } from 'commander';
import { runCompare } from '../compare/compare.ts';
import { DEFAULT_COMPARE_OPS, DEFAULT_COMPARE_PROFILES, DEFAULT_COMPARE_SEED } from '../compare/params.ts';
import { IonckError, UsageError } from '../errors.ts';
import type { Design } from '../model/designs/design.ts';
import { DEFAULT_DESIGN_IDS } from '../model/designs/index.ts';
import { type Profile, resolveProfile, withStaleTlb } from '../model/profile.ts';
import { loadDesign } from '../plugin/design-arg.ts';
import { probePlugins } from '../plugin/probe.ts';
import { WORKLOADS, type Workload, workloadById } from '../properties/workloads.ts';
import { renderHtml } from '../report/html.ts';
import { renderJson, throughputText } from '../report/json.ts';
import { renderMarkdown, verdictMatrixMarkdown, verdictMatrixText } from '../report/markdown.ts';
import type { CompareReport } from '../report/types.ts';
import { collect, flagErrorsWith, intArg, nonEmptyArg, secondsArg, TIME_LIMIT_S_MAX } from './args.ts';
import { type CliIo, processIo } from './io.ts';
import { compareProgress } from './progress.ts';
import { ensureOutDir, writeFilesAtomic } from './write-atomic.ts';

export interface CompareCliOptions {
  designs?: string[];
  profiles?: string[];
  workloads?: string[];
  ops?: number;
  /** Seconds for the whole comparison; each plugin design's runs get an equal share. */
  timeLimit?: number;
  seed?: number;
  out?: string;
  failOnViolation?: boolean;
  json?: boolean;
}

/** The terminal and environment as the CLI gives them. */
export type CompareCliIo = CliIo;

/** The largest --ops compare accepts per workload (a bound on memory: every step is recorded). */
export const COMPARE_OPS_MAX = 1_000_000;
export const DEFAULT_OUT_DIR = 'reports';
export const REPORT_FILES = { md: 'compare.md', json: 'compare.json', html: 'compare.html' } as const;

/** The flags commander parsed (see compareOptions) as `runCompareCli` takes them. */
export function compareCliOptions(o: OptionValues): CompareCliOptions {
  return {
    designs: o.design,
    profiles: o.staleTlb
      ? o.profile
      : (o.profile.length > 0 ? o.profile : [...DEFAULT_COMPARE_PROFILES]).map((p: string) =>
          withStaleTlb(p, false),
        ),
    workloads: o.workload,
    ...(o.ops !== undefined ? { ops: o.ops } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.timeLimit !== undefined ? { timeLimit: o.timeLimit } : {}),
    ...(o.out !== undefined ? { out: o.out } : {}),
    failOnViolation: o.failOnViolation,
    json: o.json,
  };
}

/**
 * The flags of `ionck compare`, declared on the subcommand main.ts creates; its bad flags are
 * said as `ionck compare: ...` like every other compare error.
 */
export function compareOptions(cmd: Command): Command {
  return cmd
    .summary('run every design on the same workload and compare them (src/report)')
    .description(
      'run every design on the identical op stream of each workload and profile; write compare.{md,json,html}',
    )
    .option(
      '--design <id|file>',
      'design id or plugin file (repeatable; default: the built-in designs)',
      collect,
      [],
    )
    .option(
      '--profile <spec>',
      `profile ID[,key=value...] (repeatable; default: ${DEFAULT_COMPARE_PROFILES.join(', ')})`,
      collect,
      [],
    )
    .option('--no-stale-tlb', 'lazily unmapped, unpurged ranges do not count as live mappings (ARCH-4)')
    .option(
      '--workload <id>',
      `workload (repeatable; default: ${WORKLOADS.map((w) => w.id).join(', ')})`,
      collect,
      [],
    )
    .option(
      '--ops <n>',
      `ops per workload (default ${DEFAULT_COMPARE_OPS})`,
      intArg('--ops', 1, COMPARE_OPS_MAX),
    )
    .option(
      '--seed <n>',
      `seed of the workload streams (default ${DEFAULT_COMPARE_SEED})`,
      intArg('--seed', 0, 2 ** 31 - 1),
    )
    .option(
      '--time-limit <s>',
      'wall-clock budget in seconds; a plugin design that loops past its equal share is killed and reported as failed',
      secondsArg(`seconds must be a number in (0, ${TIME_LIMIT_S_MAX}]`),
    )
    .option('--out <dir>', `directory for the reports (default ${DEFAULT_OUT_DIR}/)`, nonEmptyArg('--out'))
    .option('--fail-on-violation', 'exit 1 when any design violates an invariant', false)
    .option('--json', 'print the JSON report on stdout', false)
    .helpOption('-h, --help', 'show this help')
    .showSuggestionAfterError(false)
    .allowExcessArguments(false)
    .exitOverride(flagErrorsWith('ionck compare: '));
}

interface Resolved {
  readonly designs: Design[];
  readonly profiles: Profile[];
  readonly workloads: Workload[];
  readonly ops: number;
  readonly seed: number;
  readonly out: string;
  readonly timeLimitMs?: number;
}

async function resolveOptions(o: CompareCliOptions, io: CompareCliIo): Promise<Resolved> {
  const designs: Design[] = [];
  const specs = o.designs && o.designs.length > 0 ? o.designs : DEFAULT_DESIGN_IDS;
  const profileSpecs = o.profiles && o.profiles.length > 0 ? o.profiles : [...DEFAULT_COMPARE_PROFILES];
  for (const p of profileSpecs) resolveProfile(p);
  // a plugin that loops or exits while loading or booting is one line, not a hang
  await probePlugins(specs, io.cwd, profileSpecs, o.timeLimit === undefined ? undefined : o.timeLimit * 1000);
  for (const spec of specs) {
    const d = await loadDesign(spec, io.cwd);
    if (designs.some((x) => x.id === d.id)) throw new UsageError(`design '${d.id}' is given twice`);
    designs.push(d);
  }
  const profiles = (o.profiles && o.profiles.length > 0 ? o.profiles : [...DEFAULT_COMPARE_PROFILES]).map(
    (p) => resolveProfile(p),
  );
  const workloads = (o.workloads && o.workloads.length > 0 ? o.workloads : WORKLOADS.map((w) => w.id)).map(
    (id) => {
      const w = workloadById(id);
      if (!w)
        throw new UsageError(`unknown workload '${id}' (known: ${WORKLOADS.map((x) => x.id).join(', ')})`);
      return w;
    },
  );
  const ops = o.ops ?? DEFAULT_COMPARE_OPS;
  if (!Number.isSafeInteger(ops) || ops < 1 || ops > COMPARE_OPS_MAX)
    throw new UsageError(`--ops must be an integer in 1..${COMPARE_OPS_MAX}, not ${o.ops}`);
  const seed = o.seed ?? DEFAULT_COMPARE_SEED;
  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed must be an integer, not ${o.seed}`);
  const out = resolve(io.cwd, o.out ?? DEFAULT_OUT_DIR);
  const t = o.timeLimit;
  if (t !== undefined && !(Number.isFinite(t) && t > 0 && t <= TIME_LIMIT_S_MAX))
    throw new UsageError(`--time-limit must be a number of seconds in (0, ${TIME_LIMIT_S_MAX}], not ${t}`);
  return {
    designs,
    profiles,
    workloads,
    ops,
    seed,
    out,
    ...(t !== undefined ? { timeLimitMs: t * 1000 } : {}),
  };
}

/** A path as the user would type it: relative below the working directory, else absolute. */
function shownPath(cwd: string, p: string): string {
  const rel = relative(cwd, p);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? p : rel;
}

const anyViolation = (rep: CompareReport): boolean =>
  rep.runs.some((r) =>
    Object.entries(r.verdicts).some(([id, v]) => id !== 'type-ok' && v.status === 'violated'),
  );

const threwOrBroke = (r: CompareReport['runs'][number]): boolean =>
  r.status === 'model-exception' || r.verdicts['type-ok']?.status === 'violated';

/** A built-in design that throws or breaks type-ok is a bug in the model. */
const anyModelBug = (rep: CompareReport, plugins: ReadonlySet<string>): boolean =>
  rep.runs.some((r) => !plugins.has(r.design) && threwOrBroke(r));

/** A plugin that throws or returns garbage is that design's failure (❔ in the reports). */
const failedPlugins = (rep: CompareReport, plugins: ReadonlySet<string>): string[] => [
  ...new Set(rep.runs.filter((r) => plugins.has(r.design) && threwOrBroke(r)).map((r) => r.design)),
];

/** The GitHub Actions job summary: the verdict matrices and the findings. */
function stepSummary(rep: CompareReport): string {
  const out = [
    `## ionck compare (seed ${rep.params.seed}, ${rep.params.opsPerWorkload} ops per workload)`,
    '',
  ];
  for (const p of rep.params.profiles) out.push(`### ${p}`, '', verdictMatrixMarkdown(rep, p), '');
  out.push('### Findings', '');
  rep.findings.forEach((f, i) => {
    out.push(`${i + 1}. ${f.text}`);
  });
  out.push('');
  return out.join('\n');
}

/**
 * Run `ionck compare` with parsed options. Returns the exit code: 0 done (violations are findings,
 * not failures, unless failOnViolation), 1 a violation with failOnViolation, 2 bad input, a model
 * exception or an internal error (one line on stderr).
 */
export async function runCompareCli(
  opts: CompareCliOptions = {},
  io: CompareCliIo = processIo(),
): Promise<number> {
  const r = await prepare(opts, io);
  if (typeof r === 'number') return r;
  io.stderr(
    `ionck compare: seed ${r.seed}, ${r.ops} ops per workload; designs ${r.designs.map((d) => d.id).join(', ')}; profiles ${r.profiles.map((p) => p.id).join(', ')}; workloads ${r.workloads.map((w) => w.id).join(', ')}\n`,
  );
  const rep = await compareWithProgress(r, io);
  if (typeof rep === 'number') return rep;
  const paths = writeReports(r.out, rep, io);
  if (paths === null) return 2;
  appendStepSummary(rep, io);
  printResult(rep, Boolean(opts.json), paths, io);
  return exitCode(rep, r, opts, io);
}

/** The options resolved and the output directory made; an exit code on bad input. */
async function prepare(opts: CompareCliOptions, io: CompareCliIo): Promise<Resolved | number> {
  try {
    const r = await resolveOptions(opts, io);
    ensureOutDir(r.out);
    return r;
  } catch (e) {
    if (e instanceof IonckError) {
      io.stderr(`ionck compare: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

/** The comparison with progress on stderr; exit code 2 on a CompareError or an internal error. */
async function compareWithProgress(r: Resolved, io: CompareCliIo): Promise<CompareReport | number> {
  const progress = compareProgress(io, r.designs.length * r.profiles.length * r.workloads.length);
  let rep: CompareReport;
  try {
    rep = await runCompare({
      designs: r.designs,
      profiles: r.profiles,
      workloads: r.workloads,
      ops: r.ops,
      seed: r.seed,
      cwd: io.cwd,
      ...(r.timeLimitMs !== undefined ? { timeLimitMs: r.timeLimitMs } : {}),
      onProgress: progress.on,
    });
  } catch (e) {
    progress.stop();
    if (e instanceof IonckError) {
      io.stderr(`ionck compare: ${e.message}\n`);
      return 2;
    }
    const why = e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e);
    io.stderr(`ionck compare: internal error: ${why} (seed ${r.seed})\n`);
    return 2;
  }
  progress.stop();
  return rep;
}

/** compare.{md,json,html} written atomically into `out`: their paths, or null (said on stderr). */
function writeReports(out: string, rep: CompareReport, io: CompareCliIo): string[] | null {
  try {
    return writeFilesAtomic(out, {
      [REPORT_FILES.md]: renderMarkdown(rep),
      [REPORT_FILES.json]: renderJson(rep),
      [REPORT_FILES.html]: renderHtml(rep),
    });
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    io.stderr(`ionck compare: cannot write the reports into ${out}: ${why}\n`);
    return null;
  }
}

function appendStepSummary(rep: CompareReport, io: CompareCliIo): void {
  const summaryFile = io.env.GITHUB_STEP_SUMMARY;
  if (!summaryFile) return;
  try {
    appendFileSync(summaryFile, stepSummary(rep));
  } catch {
    io.stderr(`ionck compare: could not append to GITHUB_STEP_SUMMARY (${summaryFile})\n`);
  }
}

/** The verdict matrix and the paths written (on stderr with --json, the JSON report on stdout). */
function printResult(rep: CompareReport, json: boolean, paths: readonly string[], io: CompareCliIo): void {
  const text = [
    verdictMatrixText(rep),
    '',
    `${rep.findings.length} finding${rep.findings.length === 1 ? '' : 's'}; seed ${rep.params.seed}; ${(rep.elapsedMs / 1000).toFixed(1)} s`,
    ...paths.map((p) => `wrote ${shownPath(io.cwd, p)}`),
    '',
  ].join('\n');
  if (json) {
    io.stdout(renderJson(rep));
    io.stderr(text);
  } else io.stdout(text);
  io.stderr(throughputText(rep));
}

/** 2 on a model bug, 1 on a violation or a failed plugin with failOnViolation, else 0. */
function exitCode(rep: CompareReport, r: Resolved, opts: CompareCliOptions, io: CompareCliIo): number {
  const plugins = new Set(r.designs.filter((d) => d.source !== undefined).map((d) => d.id));
  const failed = failedPlugins(rep, plugins);
  for (const id of failed)
    io.stderr(
      `ionck compare: design ${id} failed (it threw, looped, exited or returned garbage): see the findings\n`,
    );
  if (anyModelBug(rep, plugins)) {
    io.stderr(
      'ionck compare: the model or a design threw or failed type-ok: see the findings (a model bug)\n',
    );
    return 2;
  }
  return opts.failOnViolation && (anyViolation(rep) || failed.length > 0) ? 1 : 0;
}
