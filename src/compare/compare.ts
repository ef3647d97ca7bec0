/**
 * `ionck compare` as data: every design runs the identical op stream of every workload on every
 * profile, with every invariant checked after every op (checkStep, incremental). The result is one
 * plain report object (schema `ionck-compare/1`); markdown.ts, json.ts and html.ts are projections
 * of it. No I/O here: cli writes files and draws progress from `onProgress`.
 *
 * Timing lives only in fields named `elapsedMs` and `opsPerSec`: everything else is a pure function
 * of the parameters, so two runs with the same seed give the same report once those are dropped.
 */

import { CompareError } from '../errors.ts';
import type { Design } from '../model/designs/design.ts';
import { ALL_DESIGNS, BUILTIN_DESIGNS, builtinDesign } from '../model/designs/index.ts';
import type { Kernel, OpResult } from '../model/kernel.ts';
import { computeLayout } from '../model/layout.ts';
import { OP_KINDS, type Op } from '../model/ops.ts';
import { type Profile, resolveProfile, withHeaps } from '../model/profile.ts';
import { errnoName, PAGE_SIZE } from '../model/types.ts';
import { runOps } from '../properties/run.ts';
import { runInChild } from '../properties/worker-entry.ts';
import { WORKLOADS, type Workload, workloadById } from '../properties/workloads.ts';
import { type TraceStep, traceStep } from '../report/trace.ts';
import {
  type CmaMetrics,
  COMPARE_SCHEMA,
  type CompareReport,
  type Divergence,
  type DivergenceOutcome,
  type MatrixCell,
  type MatrixRow,
  type RunReport,
  type StreamReport,
  type Verdict,
} from '../report/types.ts';
import {
  type CheckId,
  INVARIANT_IDS,
  INVARIANTS,
  type InvariantId,
  TYPE_OK,
  type Violation,
} from '../spec/index.ts';
import { findCounterexamples } from './counterexamples.ts';
import { buildFindings } from './findings.ts';

/** The profiles `npm start` compares: CMA in highmem, and CMA pushed into lowmem. */
export const DEFAULT_COMPARE_PROFILES = ['arm32-1g', 'arm32-1g-cma512'] as const;
/** Ops per workload by default: enough for legacy-3.18 to exhaust the window on seed-product. */
export const DEFAULT_COMPARE_OPS = 1000;
/** The default seed: the date of the seed message (LKML, 2016-09-01). */
export const DEFAULT_COMPARE_SEED = 20160901;
/**
 * Wall-clock safety net for all counterexample searches together. The searches are bounded by
 * runs and ops (deterministic) and normally take a few seconds; only a far slower machine hits this.
 */
export const COUNTEREXAMPLE_BUDGET_MS = 30_000;
/** At most this many points per time series. */
export const SERIES_POINTS_MAX = 200;
/** Steps of context kept before a violating step in a trace. */
export const TRACE_CONTEXT_STEPS = 4;
/** Checks every run reports: type-ok first, then the invariants. */
export const CHECK_IDS: readonly CheckId[] = ['type-ok', ...INVARIANT_IDS];
/** A log line of get_vm_area failing: the window is exhausted (VMALLOC-4). */
const VMAP_FAILURE_RE = /^vmap allocation for size \d+ failed/;

export interface CompareOptions {
  /** Designs (objects, or built-in ids). Default: all built-in designs. */
  readonly designs?: readonly (Design | string)[];
  /** Profiles (objects, or specs `ID[,key=value...]`). Default: DEFAULT_COMPARE_PROFILES. */
  readonly profiles?: readonly (Profile | string)[];
  /** Workloads (objects, or ids). Default: all. */
  readonly workloads?: readonly (Workload | string)[];
  /** Ops per workload stream. */
  readonly ops?: number;
  readonly seed?: number;
  /**
   * Search a shrunk counterexample per violated invariant with runCheck (default true); without it,
   * each counterexample is the workload's own prefix up to the first violation.
   */
  readonly shrink?: boolean;
  /** Wall-clock budget for all counterexample searches together. */
  readonly counterexampleBudgetMs?: number;
  readonly onProgress?: (e: ProgressEvent) => void;
  /**
   * Wall-clock budget of the whole comparison; each plugin design's runs share an equal part of it
   * (default: none). Plugin designs run in a child process of their own, so one that loops is killed
   * when its part is spent and one that exits ends only that process: either is that design's failure.
   */
  readonly timeLimitMs?: number;
  /** Where plugin designs' files are resolved from (default: the process's working directory). */
  readonly cwd?: string;
}

export type ProgressEvent =
  | {
      readonly phase: 'run';
      readonly done: number;
      readonly total: number;
      readonly design: string;
      readonly profile: string;
      readonly workload: string;
      readonly elapsedMs: number;
    }
  | {
      readonly phase: 'counterexample';
      readonly done: number;
      readonly total: number;
      readonly label: string;
    };

// --- resolving the parameters ------------------------------------------------------------------

function resolveDesigns(xs: readonly (Design | string)[] | undefined): Design[] {
  if (!xs || xs.length === 0) return [...BUILTIN_DESIGNS];
  return xs.map((x) => {
    if (typeof x !== 'string') return x;
    const d = builtinDesign(x);
    if (!d)
      throw new CompareError(`unknown design '${x}' (known: ${ALL_DESIGNS.map((b) => b.id).join(', ')})`);
    return d;
  });
}

function resolveProfiles(xs: readonly (Profile | string)[] | undefined): Profile[] {
  const list = !xs || xs.length === 0 ? [...DEFAULT_COMPARE_PROFILES] : xs;
  return list.map((x) => (typeof x === 'string' ? resolveProfile(x) : x));
}

function resolveWorkloads(xs: readonly (Workload | string)[] | undefined): Workload[] {
  if (!xs || xs.length === 0) return [...WORKLOADS];
  return xs.map((x) => {
    if (typeof x !== 'string') return x;
    const w = workloadById(x);
    if (!w)
      throw new CompareError(`unknown workload '${x}' (known: ${WORKLOADS.map((k) => k.id).join(', ')})`);
    return w;
  });
}

function checkUnique(kind: string, ids: readonly string[]): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw new CompareError(`${kind} '${id}' is given twice`);
    seen.add(id);
  }
}

// --- one run -----------------------------------------------------------------------------------

/** Per-step outcomes of one run, for divergence. */
export interface Outcomes {
  readonly ok: Uint8Array;
  readonly errno: Int32Array;
  readonly value: Float64Array;
  length: number;
}

export interface RunOutput {
  readonly report: RunReport;
  readonly outcomes: Outcomes;
}

function windowOf(profile: Profile) {
  const l = computeLayout(profile);
  return {
    windowPages: Math.floor((l.vmallocEnd - l.vmallocStart) / PAGE_SIZE),
    start: l.vmallocStart,
    end: l.vmallocEnd,
    cma: l.cma,
  };
}

/** Run one design on one workload's op stream, every invariant checked after every op. */
export function runWorkload(
  shown: Profile,
  design: Design,
  workload: Pick<Workload, 'id' | 'heaps'>,
  ops: readonly Op[],
): RunOutput {
  // ION-1: the board declares the heaps the workload uses (the report keeps the profile's name)
  const profile = resolveProfile(withHeaps(shown.id, workload.heaps));
  const n = ops.length;
  const stride = Math.max(1, Math.ceil(n / SERIES_POINTS_MAX));
  const outcomes: Outcomes = {
    ok: new Uint8Array(n),
    errno: new Int32Array(n),
    value: new Float64Array(n),
    length: 0,
  };
  const seen: { op: Op; result: OpResult }[] = [];
  const verdicts = new Map<CheckId, Verdict>();
  const failures = new Map<string, { op: string; errno: number; count: number; firstStep: number }>();
  let failuresTotal = 0;
  let firstVmapFailure: RunReport['firstVmapFailure'] = null;
  const vm = {
    windowPages: 0,
    bootUsedPages: 0,
    peakUsed: -1,
    peakUsedStep: 0,
    peakLive: -1,
    peakLiveStep: 0,
    bucketUsed: 0,
    bucketLive: 0,
    series: [] as [number, number, number][],
  };
  const cma = {
    present: false,
    areaPages: 0,
    zone: 'highmem' as 'lowmem' | 'highmem',
    peakUsed: 0,
    minLargest: Number.POSITIVE_INFINITY,
    series: [] as [number, number, number][],
  };
  let kernelRef: Kernel | null = null;

  const onStep = (
    k: Kernel,
    i: number,
    rec: { op: Op; result: OpResult; violations: readonly Violation[] },
  ) => {
    if (kernelRef === null) {
      kernelRef = k;
    }
    const r = rec.result;
    seen.push({ op: rec.op, result: r });
    outcomes.ok[i] = r.ok ? 1 : 0;
    outcomes.errno[i] = r.ok ? 0 : (r.errno ?? 0);
    outcomes.value[i] = r.ok ? (r.value ?? 0) : 0;
    outcomes.length = i + 1;
    if (!r.ok) {
      failuresTotal++;
      const errno = r.errno ?? 0;
      const key = `${rec.op.op}:${errno}`;
      const f = failures.get(key);
      if (f) f.count++;
      else failures.set(key, { op: rec.op.op, errno, count: 1, firstStep: i });
      if (firstVmapFailure === null) {
        const line = r.log.find((l) => VMAP_FAILURE_RE.test(l));
        if (line !== undefined) firstVmapFailure = { ...traceStep(i, rec.op, r), message: line };
      }
    }
    const v = k.mm.vmalloc;
    const used = v.usedPages;
    const live = v.livePages;
    if (used > vm.peakUsed) {
      vm.peakUsed = used;
      vm.peakUsedStep = i;
    }
    if (live > vm.peakLive) {
      vm.peakLive = live;
      vm.peakLiveStep = i;
    }
    vm.bucketUsed = Math.max(vm.bucketUsed, used);
    vm.bucketLive = Math.max(vm.bucketLive, live);
    const c = k.mm.cma;
    if (c) cma.peakUsed = Math.max(cma.peakUsed, c.usedPages);
    if ((i + 1) % stride === 0 || i === n - 1) {
      vm.series.push([i, vm.bucketUsed, vm.bucketLive]);
      vm.bucketUsed = 0;
      vm.bucketLive = 0;
      if (c) {
        // O(area): only at the sample points
        const largest = c.largestFreeRunPages();
        cma.minLargest = Math.min(cma.minLargest, largest);
        cma.series.push([i, c.usedPages, largest]);
      }
    }
    for (const viol of rec.violations) {
      if (verdicts.has(viol.invariant)) continue;
      const from = Math.max(0, seen.length - 1 - TRACE_CONTEXT_STEPS);
      const trace = seen.slice(from).map((s, j) => traceStep(from + j, s.op, s.result));
      verdicts.set(viol.invariant, {
        status: 'violated',
        step: i,
        message: viol.message,
        pfns: [...viol.pfns],
        mappings: [...viol.mappings],
        trace,
      });
    }
  };

  const t0 = performance.now();
  let error: RunReport['error'];
  let kernel: Kernel | null = null;
  try {
    const res = runOps(profile, design, ops, { invariants: INVARIANT_IDS, mode: 'incremental', onStep });
    kernel = res.kernel;
    // a design that threw stopped there: the rest of the workload was never checked
    if (res.threw) error = { step: res.threw.step, message: res.threw.message.slice(0, 500) };
  } catch (e) {
    // a model exception is a bug in the model or the design: reported as such, never as a finding
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    error = { step: outcomes.length, message: message.split('\n')[0]!.slice(0, 500) };
    kernel = kernelRef;
  }
  const elapsedMs = performance.now() - t0;
  const opsRun = outcomes.length;
  const layout = windowOf(profile);
  vm.windowPages = layout.windowPages;
  if (kernel) {
    const c = kernel.mm.cma;
    if (c) {
      cma.present = true;
      cma.areaPages = c.count;
      cma.zone = layout.cma?.zone ?? 'highmem';
    }
  }
  const boot = bootFigures(profile, design);
  vm.bootUsedPages = boot.vmUsed;
  const finalUsed = kernel?.mm.vmalloc.usedPages ?? boot.vmUsed;
  const finalLive = kernel?.mm.vmalloc.livePages ?? boot.vmLive;
  const verdictObj: Record<string, Verdict> = {};
  for (const id of CHECK_IDS) {
    const v = verdicts.get(id);
    // after a model exception, what was not seen violated was not checked to the end
    verdictObj[id] = v ?? { status: error && opsRun < n ? 'unchecked' : 'held' };
  }
  let cmaReport: CmaMetrics | null = null;
  if (kernel?.mm.cma) {
    const c = kernel.mm.cma;
    const largest = c.largestFreeRunPages();
    const free = c.count - c.usedPages;
    cmaReport = {
      areaPages: c.count,
      zone: cma.zone,
      peakUsedPages: cma.peakUsed,
      finalUsedPages: c.usedPages,
      finalLargestFreeRunPages: largest,
      minLargestFreeRunPages: Number.isFinite(cma.minLargest) ? cma.minLargest : largest,
      finalFragmentation: free === 0 ? 0 : round4(1 - largest / free),
      series: cma.series,
    };
  }
  const byOp = [...failures.values()]
    .map((f) => ({
      op: f.op,
      errno: f.errno,
      errnoName: errnoName(f.errno),
      count: f.count,
      firstStep: f.firstStep,
    }))
    .sort((a, b) => b.count - a.count || a.firstStep - b.firstStep);
  const report: RunReport = {
    design: design.id,
    profile: shown.id,
    workload: workload.id,
    status: error ? 'model-exception' : 'completed',
    ...(error ? { error } : {}),
    opsRun,
    verdicts: verdictObj,
    vmalloc: {
      windowPages: vm.windowPages,
      bootUsedPages: vm.bootUsedPages,
      peakUsedPages: Math.max(0, vm.peakUsed),
      peakUsedStep: vm.peakUsedStep,
      peakLivePages: Math.max(0, vm.peakLive),
      peakLiveStep: vm.peakLiveStep,
      finalUsedPages: finalUsed,
      finalLivePages: finalLive,
      series: vm.series,
    },
    firstVmapFailure,
    failures: { total: failuresTotal, byOp },
    cma: cmaReport,
    elapsedMs: round1(elapsedMs),
    opsPerSec: elapsedMs > 0 ? Math.round((opsRun * 1000) / elapsedMs) : 0,
  };
  return { report, outcomes };
}

/** Window use of a freshly booted machine (the atomic pool, ...): boot is cheap next to a run. */
const bootCache = new WeakMap<Design, Map<string, { vmUsed: number; vmLive: number }>>();
function bootFigures(profile: Profile, design: Design): { vmUsed: number; vmLive: number } {
  let byProfile = bootCache.get(design);
  if (!byProfile) {
    byProfile = new Map();
    bootCache.set(design, byProfile);
  }
  let b = byProfile.get(profile.id);
  if (!b) {
    try {
      const r = runOps(profile, design, [], { invariants: [] });
      b = { vmUsed: r.kernel.mm.vmalloc.usedPages, vmLive: r.kernel.mm.vmalloc.livePages };
    } catch {
      b = { vmUsed: 0, vmLive: 0 }; // the design does not boot: its run reports the exception
    }
    byProfile.set(profile.id, b);
  }
  return b;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const round4 = (x: number): number => Math.round(x * 10000) / 10000;

// --- divergence --------------------------------------------------------------------------------

function outcomeOf(design: string, o: Outcomes, i: number): DivergenceOutcome {
  if (o.ok[i] === 1) return { design, ok: true, value: o.value[i]! };
  const errno = o.errno[i]!;
  return { design, ok: false, errno, errnoName: errnoName(errno) };
}

function firstDivergence(
  ops: readonly Op[],
  runs: readonly { design: string; outcomes: Outcomes }[],
  withValue: boolean,
): Divergence | null {
  if (runs.length < 2) return null;
  const len = Math.min(...runs.map((r) => r.outcomes.length));
  const a = runs[0]!.outcomes;
  for (let i = 0; i < len; i++) {
    for (let j = 1; j < runs.length; j++) {
      const b = runs[j]!.outcomes;
      const same =
        a.ok[i] === b.ok[i] && a.errno[i] === b.errno[i] && (!withValue || a.value[i] === b.value[i]);
      if (!same)
        return { step: i, op: ops[i]!, outcomes: runs.map((r) => outcomeOf(r.design, r.outcomes, i)) };
    }
  }
  return null;
}

// --- the verdict matrix ------------------------------------------------------------------------

function buildMatrix(profiles: readonly string[], designs: readonly string[], runs: readonly RunReport[]) {
  const rows: MatrixRow[] = [];
  for (const profile of profiles) {
    for (const design of designs) {
      const mine = runs.filter((r) => r.profile === profile && r.design === design);
      const cells: Record<string, MatrixCell> = {};
      for (const id of CHECK_IDS) {
        const violations = mine
          .filter((r) => r.verdicts[id]?.status === 'violated')
          .map((r) => ({ workload: r.workload, step: r.verdicts[id]!.step ?? 0 }));
        const unchecked = mine.some((r) => r.verdicts[id]?.status === 'unchecked');
        cells[id] = {
          status: violations.length > 0 ? 'violated' : unchecked ? 'unchecked' : 'held',
          violations,
        };
      }
      rows.push({ profile, design, cells });
    }
  }
  return rows;
}

// --- the whole comparison ----------------------------------------------------------------------

/** One plugin design's run, as sent to its child process (./compare-worker.ts). */
export interface CompareTask {
  /** The plugin file, resolved from `cwd`. */
  readonly design: string;
  readonly cwd: string;
  /** The profile spec as shown in the report. */
  readonly profile: string;
  readonly workload: Pick<Workload, 'id' | 'heaps'>;
  readonly ops: readonly Op[];
}

/** Each plugin design's time left, and why a design that ran out is not run again. */
interface Budgets {
  readonly leftMs: Map<string, number>;
  readonly spent: Map<string, string>;
  readonly cwd: string;
}

/**
 * A built-in design runs in this process; a plugin design (one with a source file) runs in a child
 * process within what is left of its budget, and a child that is killed or exits becomes a failed
 * run of that design, as does every later run of a design that already failed that way.
 */
async function runIsolated(
  shown: Profile,
  design: Design,
  workload: Workload,
  ops: readonly Op[],
  budgets: Budgets,
): Promise<RunOutput> {
  if (design.source === undefined) return runWorkload(shown, design, workload, ops);
  const before = budgets.spent.get(design.id);
  if (before !== undefined) return failedRun(shown, design, workload, `not run: ${before}`);
  const left = budgets.leftMs.get(design.id) ?? Number.POSITIVE_INFINITY;
  const t0 = performance.now();
  const task: CompareTask = {
    design: design.source,
    cwd: budgets.cwd,
    profile: shown.id,
    workload: { id: workload.id, heaps: workload.heaps },
    ops,
  };
  const out = await runInChild<RunOutput>('compare', task, left);
  budgets.leftMs.set(design.id, left - (performance.now() - t0));
  if ('result' in out) return out.result;
  const why = `design file ${design.source}: ${out.failure}`;
  budgets.spent.set(design.id, why);
  return failedRun(shown, design, workload, why);
}

/** The report of a run that never finished in its child process: nothing was checked. */
function failedRun(shown: Profile, design: Design, workload: Workload, message: string): RunOutput {
  const w = windowOf(shown);
  const verdicts: Record<string, Verdict> = {};
  for (const id of CHECK_IDS) verdicts[id] = { status: 'unchecked' };
  return {
    report: {
      design: design.id,
      profile: shown.id,
      workload: workload.id,
      status: 'model-exception',
      error: { step: 0, message: message.slice(0, 500) },
      opsRun: 0,
      verdicts,
      vmalloc: {
        windowPages: w.windowPages,
        bootUsedPages: 0,
        peakUsedPages: 0,
        peakUsedStep: 0,
        peakLivePages: 0,
        peakLiveStep: 0,
        finalUsedPages: 0,
        finalLivePages: 0,
        series: [],
      },
      firstVmapFailure: null,
      failures: { total: 0, byOp: [] },
      cma: null,
      elapsedMs: 0,
      opsPerSec: 0,
    },
    outcomes: { ok: new Uint8Array(0), errno: new Int32Array(0), value: new Float64Array(0), length: 0 },
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

export async function runCompare(opts: CompareOptions = {}): Promise<CompareReport> {
  const t0 = performance.now();
  const designs = resolveDesigns(opts.designs);
  const profiles = resolveProfiles(opts.profiles);
  const workloads = resolveWorkloads(opts.workloads);
  const nOps = opts.ops ?? DEFAULT_COMPARE_OPS;
  const seed = opts.seed ?? DEFAULT_COMPARE_SEED;
  if (!Number.isSafeInteger(nOps) || nOps < 1)
    throw new CompareError(`--ops must be a positive integer, not ${nOps}`);
  if (!Number.isSafeInteger(seed)) throw new CompareError(`--seed must be an integer, not ${seed}`);
  checkUnique(
    'design',
    designs.map((d) => d.id),
  );
  checkUnique(
    'profile',
    profiles.map((p) => p.id),
  );
  checkUnique(
    'workload',
    workloads.map((w) => w.id),
  );

  const total = designs.length * profiles.length * workloads.length;
  const budgets: Budgets = {
    leftMs: new Map(
      designs.map((d) => [
        d.id,
        opts.timeLimitMs === undefined ? Number.POSITIVE_INFINITY : opts.timeLimitMs / designs.length,
      ]),
    ),
    spent: new Map(),
    cwd: opts.cwd ?? process.cwd(),
  };
  const runs: RunReport[] = [];
  const streams: StreamReport[] = [];
  let done = 0;
  for (const profile of profiles) {
    for (const workload of workloads) {
      const ops = workload.generate(seed, nOps, profile);
      const outs: { design: string; outcomes: Outcomes }[] = [];
      for (const design of designs) {
        const { report, outcomes } = await runIsolated(profile, design, workload, ops, budgets);
        runs.push(report);
        outs.push({ design: design.id, outcomes });
        done++;
        opts.onProgress?.({
          phase: 'run',
          done,
          total,
          design: design.id,
          profile: profile.id,
          workload: workload.id,
          elapsedMs: report.elapsedMs,
        });
      }
      const mix: Record<string, number> = {};
      for (const k of OP_KINDS) mix[k] = 0;
      for (const op of ops) mix[op.op] = (mix[op.op] ?? 0) + 1;
      streams.push({
        profile: profile.id,
        workload: workload.id,
        seed,
        opCount: ops.length,
        mix,
        firstDivergence: firstDivergence(ops, outs, true),
        firstOutcomeDivergence: firstDivergence(ops, outs, false),
        ops,
      });
    }
  }

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
    budgetMs: opts.shrink === false ? 0 : (opts.counterexampleBudgetMs ?? COUNTEREXAMPLE_BUDGET_MS),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  const matrix = buildMatrix(params.profiles, params.designs, runs);
  const report: Omit<CompareReport, 'findings' | 'elapsedMs'> = {
    schema: COMPARE_SCHEMA,
    params,
    command: commandOf(params, designs),
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
    matrix,
    runs,
    streams,
    counterexamples,
  };
  const findings = buildFindings(report);
  return { ...report, findings, elapsedMs: round1(performance.now() - t0) };
}

export type { InvariantId, TraceStep };
