/**
 * One run of `ionck compare`: one design on one workload's op stream, every invariant checked after
 * every op (checkStep, incremental). A RunRecorder gathers the run's figures step by step; the run's
 * report is assembled from them once the ops are done (or a model exception stopped them).
 */

import type { Design } from '../model/designs/design.ts';
import type { Kernel, OpResult } from '../model/kernel.ts';
import { computeLayout } from '../model/layout.ts';
import type { Op } from '../model/ops.ts';
import { type Profile, resolveProfile, withHeaps } from '../model/profile.ts';
import { errnoName, PAGE_SIZE } from '../model/types.ts';
import { runOps } from '../properties/run.ts';
import type { Workload } from '../properties/workloads.ts';
import { traceStep } from '../report/trace.ts';
import type { CmaMetrics, RunReport, Verdict } from '../report/types.ts';
import { type CheckId, INVARIANT_IDS, type Violation } from '../spec/index.ts';

/** At most this many points per time series. */
export const SERIES_POINTS_MAX = 200;
/** Steps of context kept before a violating step in a trace. */
export const TRACE_CONTEXT_STEPS = 4;
/** Checks every run reports: type-ok first, then the invariants. */
export const CHECK_IDS: readonly CheckId[] = ['type-ok', ...INVARIANT_IDS];
/** A log line of get_vm_area failing: the window is exhausted (VMALLOC-4). */
const VMAP_FAILURE_RE = /^vmap allocation for size \d+ failed/;

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

/** The vmalloc window and the CMA area of a profile's layout. */
export function windowOf(profile: Profile) {
  const l = computeLayout(profile);
  return {
    windowPages: Math.floor((l.vmallocEnd - l.vmallocStart) / PAGE_SIZE),
    start: l.vmallocStart,
    end: l.vmallocEnd,
    cma: l.cma,
  };
}

export const round1 = (x: number): number => Math.round(x * 10) / 10;
const round4 = (x: number): number => Math.round(x * 10000) / 10000;

/** Run one design on one workload's op stream, every invariant checked after every op. */
export function runWorkload(
  shown: Profile,
  design: Design,
  workload: Pick<Workload, 'id' | 'heaps'>,
  ops: readonly Op[],
): RunOutput {
  // ION-1: the board declares the heaps the workload uses (the report keeps the profile's name)
  const profile = resolveProfile(withHeaps(shown.id, workload.heaps));
  const recorder = new RunRecorder(ops.length);
  const t0 = performance.now();
  const { kernel, error } = execute(profile, design, ops, recorder);
  const elapsedMs = performance.now() - t0;
  const report = assembleReport({ shown, profile, design, workload, recorder, kernel, error, elapsedMs });
  return { report, outcomes: recorder.outcomes };
}

type RunError = RunReport['error'];

/** Runs the ops with the recorder watching; a model exception ends the run, never the comparison. */
function execute(
  profile: Profile,
  design: Design,
  ops: readonly Op[],
  recorder: RunRecorder,
): { kernel: Kernel | null; error: RunError } {
  try {
    const res = runOps(profile, design, ops, {
      invariants: INVARIANT_IDS,
      mode: 'incremental',
      onStep: recorder.onStep,
    });
    // a design that threw stopped there: the rest of the workload was never checked
    const error = res.threw ? { step: res.threw.step, message: res.threw.message.slice(0, 500) } : undefined;
    return { kernel: res.kernel, error };
  } catch (e) {
    // a model exception is a bug in the model or the design: reported as such, never as a finding
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    const error = { step: recorder.outcomes.length, message: message.split('\n')[0]!.slice(0, 500) };
    return { kernel: recorder.kernel, error };
  }
}

interface StepRecord {
  op: Op;
  result: OpResult;
  violations: readonly Violation[];
}

/** What a run gathers step by step: outcomes, failures, window and CMA use, first violations. */
class RunRecorder {
  readonly outcomes: Outcomes;
  /** Every step so far, for the trace before a violation. */
  readonly seen: { op: Op; result: OpResult }[] = [];
  /** The first violation of each check. */
  readonly verdicts = new Map<CheckId, Verdict>();
  /** Failed ops by op and errno. */
  readonly failures = new Map<string, { op: string; errno: number; count: number; firstStep: number }>();
  failuresTotal = 0;
  firstVmapFailure: RunReport['firstVmapFailure'] = null;
  /** Window use: peaks, and the maxima of the current sample bucket. */
  readonly vm = {
    peakUsed: -1,
    peakUsedStep: 0,
    peakLive: -1,
    peakLiveStep: 0,
    bucketUsed: 0,
    bucketLive: 0,
    series: [] as [number, number, number][],
  };
  readonly cma = {
    peakUsed: 0,
    minLargest: Number.POSITIVE_INFINITY,
    series: [] as [number, number, number][],
  };
  /** The kernel of the first step: what is left to report on after a model exception. */
  kernel: Kernel | null = null;
  /** Steps per sample point of the time series. */
  private readonly stride: number;

  constructor(private readonly n: number) {
    this.stride = Math.max(1, Math.ceil(n / SERIES_POINTS_MAX));
    this.outcomes = {
      ok: new Uint8Array(n),
      errno: new Int32Array(n),
      value: new Float64Array(n),
      length: 0,
    };
  }

  readonly onStep = (k: Kernel, i: number, rec: StepRecord): void => {
    if (this.kernel === null) this.kernel = k;
    this.seen.push({ op: rec.op, result: rec.result });
    this.recordOutcome(i, rec.result);
    if (!rec.result.ok) this.recordFailure(i, rec.op, rec.result);
    this.recordUse(k, i);
    this.recordViolations(i, rec.violations);
  };

  private recordOutcome(i: number, r: OpResult): void {
    const o = this.outcomes;
    o.ok[i] = r.ok ? 1 : 0;
    o.errno[i] = r.ok ? 0 : (r.errno ?? 0);
    o.value[i] = r.ok ? (r.value ?? 0) : 0;
    o.length = i + 1;
  }

  private recordFailure(i: number, op: Op, r: OpResult): void {
    this.failuresTotal++;
    const errno = r.errno ?? 0;
    const key = `${op.op}:${errno}`;
    const f = this.failures.get(key);
    if (f) f.count++;
    else this.failures.set(key, { op: op.op, errno, count: 1, firstStep: i });
    if (this.firstVmapFailure === null) {
      const line = r.log.find((l) => VMAP_FAILURE_RE.test(l));
      if (line !== undefined) this.firstVmapFailure = { ...traceStep(i, op, r), message: line };
    }
  }

  /** Window and CMA use: peaks every step, a series point at every stride. */
  private recordUse(k: Kernel, i: number): void {
    const vm = this.vm;
    const used = k.mm.vmalloc.usedPages;
    const live = k.mm.vmalloc.livePages;
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
    if (c) this.cma.peakUsed = Math.max(this.cma.peakUsed, c.usedPages);
    if ((i + 1) % this.stride === 0 || i === this.n - 1) {
      vm.series.push([i, vm.bucketUsed, vm.bucketLive]);
      vm.bucketUsed = 0;
      vm.bucketLive = 0;
      if (c) {
        // O(area): only at the sample points
        const largest = c.largestFreeRunPages();
        this.cma.minLargest = Math.min(this.cma.minLargest, largest);
        this.cma.series.push([i, c.usedPages, largest]);
      }
    }
  }

  /** The first violation of each check, with the steps before it. */
  private recordViolations(i: number, violations: readonly Violation[]): void {
    for (const viol of violations) {
      if (this.verdicts.has(viol.invariant)) continue;
      const from = Math.max(0, this.seen.length - 1 - TRACE_CONTEXT_STEPS);
      const trace = this.seen.slice(from).map((s, j) => traceStep(from + j, s.op, s.result));
      this.verdicts.set(viol.invariant, {
        status: 'violated',
        step: i,
        message: viol.message,
        pfns: [...viol.pfns],
        mappings: [...viol.mappings],
        trace,
      });
    }
  }
}

interface Finished {
  readonly shown: Profile;
  readonly profile: Profile;
  readonly design: Design;
  readonly workload: Pick<Workload, 'id' | 'heaps'>;
  readonly recorder: RunRecorder;
  readonly kernel: Kernel | null;
  readonly error: RunError;
  readonly elapsedMs: number;
}

/** The run's report from what the recorder gathered and the kernel it ended with. */
function assembleReport(run: Finished): RunReport {
  const { shown, profile, design, workload, recorder, kernel, error, elapsedMs } = run;
  const opsRun = recorder.outcomes.length;
  const vm = recorder.vm;
  const layout = windowOf(profile);
  const boot = bootFigures(profile, design);
  return {
    design: design.id,
    profile: shown.id,
    workload: workload.id,
    status: error ? 'model-exception' : 'completed',
    ...(error ? { error } : {}),
    opsRun,
    verdicts: verdictsOf(recorder, error !== undefined && opsRun < recorder.outcomes.ok.length),
    vmalloc: {
      windowPages: layout.windowPages,
      bootUsedPages: boot.vmUsed,
      peakUsedPages: Math.max(0, vm.peakUsed),
      peakUsedStep: vm.peakUsedStep,
      peakLivePages: Math.max(0, vm.peakLive),
      peakLiveStep: vm.peakLiveStep,
      finalUsedPages: kernel?.mm.vmalloc.usedPages ?? boot.vmUsed,
      finalLivePages: kernel?.mm.vmalloc.livePages ?? boot.vmLive,
      series: vm.series,
    },
    firstVmapFailure: recorder.firstVmapFailure,
    failures: { total: recorder.failuresTotal, byOp: failuresByOp(recorder) },
    cma: cmaMetrics(kernel, layout.cma?.zone ?? 'highmem', recorder),
    elapsedMs: round1(elapsedMs),
    opsPerSec: elapsedMs > 0 ? Math.round((opsRun * 1000) / elapsedMs) : 0,
  };
}

/** Every check's verdict: violated where seen, else held (or unchecked when the run stopped early). */
function verdictsOf(recorder: RunRecorder, stoppedEarly: boolean): Record<string, Verdict> {
  const verdicts: Record<string, Verdict> = {};
  for (const id of CHECK_IDS) {
    // after a model exception, what was not seen violated was not checked to the end
    verdicts[id] = recorder.verdicts.get(id) ?? { status: stoppedEarly ? 'unchecked' : 'held' };
  }
  return verdicts;
}

/** Failed ops by op and errno, the most frequent first. */
function failuresByOp(recorder: RunRecorder): RunReport['failures']['byOp'] {
  return [...recorder.failures.values()]
    .map((f) => ({
      op: f.op,
      errno: f.errno,
      errnoName: errnoName(f.errno),
      count: f.count,
      firstStep: f.firstStep,
    }))
    .sort((a, b) => b.count - a.count || a.firstStep - b.firstStep);
}

/** The CMA area's use and fragmentation, when the kernel has one. */
function cmaMetrics(
  kernel: Kernel | null,
  zone: CmaMetrics['zone'],
  recorder: RunRecorder,
): CmaMetrics | null {
  const c = kernel?.mm.cma;
  if (!c) return null;
  const largest = c.largestFreeRunPages();
  const free = c.count - c.usedPages;
  const { peakUsed, minLargest, series } = recorder.cma;
  return {
    areaPages: c.count,
    zone,
    peakUsedPages: peakUsed,
    finalUsedPages: c.usedPages,
    finalLargestFreeRunPages: largest,
    minLargestFreeRunPages: Number.isFinite(minLargest) ? minLargest : largest,
    finalFragmentation: free === 0 ? 0 : round4(1 - largest / free),
    series,
  };
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
