/**
 * `ionck compare` as data: every design runs the identical op stream of every workload on every
 * profile, with every invariant checked after every op (checkStep, incremental). The result is one
 * plain report object (schema `ionck-compare/1`); markdown.ts, json.ts and html.ts are projections
 * of it. No I/O here: cli writes files and draws progress from `onProgress`.
 *
 * Timing lives only in fields named `elapsedMs` and `opsPerSec`: everything else is a pure function
 * of the parameters, so two runs with the same seed give the same report once those are dropped.
 *
 * The parts: ./params.ts resolves the options, ./run-workload.ts is one run, ./isolate.ts runs a
 * plugin design in a child process, ./divergence.ts and ./matrix.ts summarise the runs,
 * ./counterexamples.ts and ./findings.ts conclude.
 */

import type { Design } from '../model/designs/design.ts';
import { BUILTIN_DESIGNS } from '../model/designs/index.ts';
import { OP_KINDS, type Op } from '../model/ops.ts';
import type { Profile } from '../model/profile.ts';
import { WORKLOADS, type Workload } from '../properties/workloads.ts';
import { COMPARE_SCHEMA, type CompareReport, type RunReport, type StreamReport } from '../report/types.ts';
import { INVARIANTS, TYPE_OK } from '../spec/index.ts';
import { findCounterexamples } from './counterexamples.ts';
import { firstDivergence } from './divergence.ts';
import { buildFindings } from './findings.ts';
import { type Budgets, newBudgets, runIsolated } from './isolate.ts';
import { buildMatrix } from './matrix.ts';
import {
  COUNTEREXAMPLE_BUDGET_MS,
  type CompareOptions,
  type CompareParams,
  DEFAULT_COMPARE_PROFILES,
  resolveParams,
} from './params.ts';
import { CHECK_IDS, type Outcomes, round1, windowOf } from './run-workload.ts';

type ReportData = Omit<CompareReport, 'findings' | 'elapsedMs'>;

export async function runCompare(opts: CompareOptions = {}): Promise<CompareReport> {
  const t0 = performance.now();
  const resolved = resolveParams(opts);
  const { designs, profiles, workloads, nOps, seed } = resolved;
  const budgets = newBudgets(designs, opts.timeLimitMs, opts.cwd ?? process.cwd());
  const { runs, streams } = await runAll(resolved, budgets, opts.onProgress);
  const params = {
    designs: designs.map((d) => d.id),
    profiles: profiles.map((p) => p.id),
    workloads: workloads.map((w) => w.id),
    opsPerWorkload: nOps,
    seed,
    checks: CHECK_IDS,
  };
  const counterexamples = await findCounterexamples({
    runs,
    streams,
    designs,
    profiles,
    seed,
    budgetMs:
      opts.shrink === false
        ? 0
        : (opts.counterexampleBudgetMs ?? opts.timeLimitMs ?? COUNTEREXAMPLE_BUDGET_MS),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  const report: ReportData = {
    schema: COMPARE_SCHEMA,
    params,
    command: commandOf(params, designs),
    ...descriptions(resolved),
    matrix: buildMatrix(params.profiles, params.designs, runs),
    runs,
    streams,
    counterexamples,
  };
  const findings = buildFindings(report);
  return { ...report, findings, elapsedMs: round1(performance.now() - t0) };
}

/** Every design on every workload's stream on every profile, in that nesting, progress after each run. */
async function runAll(
  { designs, profiles, workloads, nOps, seed }: CompareParams,
  budgets: Budgets,
  onProgress: CompareOptions['onProgress'],
): Promise<{ runs: RunReport[]; streams: StreamReport[] }> {
  const total = designs.length * profiles.length * workloads.length;
  const runs: RunReport[] = [];
  const streams: StreamReport[] = [];
  for (const profile of profiles) {
    for (const workload of workloads) {
      const ops = workload.generate(seed, nOps, profile);
      const outs: { design: string; outcomes: Outcomes }[] = [];
      for (const design of designs) {
        const { report, outcomes } = await runIsolated(profile, design, workload, ops, budgets);
        runs.push(report);
        outs.push({ design: design.id, outcomes });
        onProgress?.({
          phase: 'run',
          done: runs.length,
          total,
          design: design.id,
          profile: profile.id,
          workload: workload.id,
          elapsedMs: report.elapsedMs,
        });
      }
      streams.push(streamReport(profile, workload, seed, ops, outs));
    }
  }
  return { runs, streams };
}

/** One op stream: its mix of ops and where the designs' results on it first differ. */
function streamReport(
  profile: Profile,
  workload: Workload,
  seed: number,
  ops: readonly Op[],
  outs: readonly { design: string; outcomes: Outcomes }[],
): StreamReport {
  const mix: Record<string, number> = {};
  for (const k of OP_KINDS) mix[k] = 0;
  for (const op of ops) mix[op.op] = (mix[op.op] ?? 0) + 1;
  return {
    profile: profile.id,
    workload: workload.id,
    seed,
    opCount: ops.length,
    mix,
    firstDivergence: firstDivergence(ops, outs, true),
    firstOutcomeDivergence: firstDivergence(ops, outs, false),
    ops,
  };
}

/** What the report says of each design, profile, workload and check compared. */
function descriptions({
  designs,
  profiles,
  workloads,
}: CompareParams): Pick<ReportData, 'designs' | 'profiles' | 'workloads' | 'checks'> {
  return {
    designs: designs.map((d) => ({
      id: d.id,
      summary: d.summary,
      citations: [...d.citations],
      ...(d.source !== undefined ? { source: d.source } : {}),
      ...(d.verdictNotes ? { verdictNotes: d.verdictNotes } : {}),
    })),
    profiles: profiles.map((p) => {
      const w = windowOf(p);
      return {
        id: p.id,
        summary: p.summary,
        windowPages: w.windowPages,
        vmallocStart: w.start,
        vmallocEnd: w.end,
        cma: w.cma ? { base: w.cma.base, size: w.cma.size, zone: w.cma.zone } : null,
      };
    }),
    workloads: workloads.map((w) => ({ id: w.id, summary: w.summary, standsFor: w.standsFor })),
    checks: [TYPE_OK, ...INVARIANTS].map((i) => ({ id: i.id, title: i.title, definition: i.definition })),
  };
}

/** The shortest `ionck compare` command line that reproduces a report: defaults left out. */
function commandOf(p: CompareReport['params'], designs: readonly Design[]): string {
  // a plugin is passed by its file, not its id
  const arg = (id: string) => designs.find((d) => d.id === id)?.source ?? id;
  const same = (xs: readonly string[], ys: readonly string[]) =>
    xs.length === ys.length && xs.every((x, i) => x === ys[i]);
  const parts = ['ionck compare'];
  if (
    !same(
      p.designs,
      BUILTIN_DESIGNS.map((d) => d.id),
    )
  )
    for (const d of p.designs) parts.push(`--design ${arg(d)}`);
  if (!same(p.profiles, DEFAULT_COMPARE_PROFILES)) for (const x of p.profiles) parts.push(`--profile ${x}`);
  if (
    !same(
      p.workloads,
      WORKLOADS.map((w) => w.id),
    )
  )
    for (const w of p.workloads) parts.push(`--workload ${w}`);
  parts.push(`--ops ${p.opsPerWorkload}`, `--seed ${p.seed}`);
  return parts.join(' ');
}
