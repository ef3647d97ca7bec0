/**
 * The data of `ionck compare`'s report (schema `ionck-compare/1`), in one place: the engine in
 * src/compare fills it, and markdown.ts, json.ts and html.ts are projections of it.
 *
 * Timing lives only in fields named `elapsedMs` and `opsPerSec`: everything else is a pure function
 * of the parameters, so two runs with the same seed give the same report once those are dropped.
 */
import type { Op } from '../model/ops.ts';
import type { CheckId, MappingInfo } from '../spec/index.ts';
import type { TraceStep } from './trace.ts';

export const COMPARE_SCHEMA = 'ionck-compare/1';

export type FindingKind =
  | 'vmalloc-exhausted'
  | 'invariant-violated'
  | 'allocation-failures'
  | 'held-everything'
  | 'divergence'
  | 'model-exception';

export interface Finding {
  readonly kind: FindingKind;
  /** kernel: a finding about the designs; info: context; model: a bug in the model or a design. */
  readonly severity: 'kernel' | 'info' | 'model';
  /** One paragraph, plain words, with the numbers. */
  readonly text: string;
  readonly profile?: string;
  readonly workload?: string;
  readonly invariant?: string;
  /** The designs the finding is about (the ones that failed or violated, or held). */
  readonly designs: readonly string[];
  readonly step?: number;
}

export type VerdictStatus = 'held' | 'violated' | 'unchecked';

export interface Verdict {
  readonly status: VerdictStatus;
  /** First violating step (0-based op index). */
  readonly step?: number;
  readonly message?: string;
  readonly pfns?: readonly number[];
  readonly mappings?: readonly MappingInfo[];
  /** The violating step and up to TRACE_CONTEXT_STEPS steps before it, with call paths. */
  readonly trace?: readonly TraceStep[];
}

export interface FailureCount {
  readonly op: string;
  readonly errno: number;
  readonly errnoName: string;
  readonly count: number;
  readonly firstStep: number;
}

export interface VmallocMetrics {
  readonly windowPages: number;
  /** Window pages in use right after boot (atomic pool, ...). */
  readonly bootUsedPages: number;
  readonly peakUsedPages: number;
  readonly peakUsedStep: number;
  readonly peakLivePages: number;
  readonly peakLiveStep: number;
  readonly finalUsedPages: number;
  readonly finalLivePages: number;
  /** [step, used, live]: the maximum of each over the steps up to `step` since the previous point. */
  readonly series: readonly (readonly [number, number, number])[];
}

export interface CmaMetrics {
  readonly areaPages: number;
  readonly zone: 'lowmem' | 'highmem';
  readonly peakUsedPages: number;
  readonly finalUsedPages: number;
  readonly finalLargestFreeRunPages: number;
  /** Smallest largest-free-run seen at the sample points. */
  readonly minLargestFreeRunPages: number;
  /** 1 - largest free run / free pages at the end (0 = one free run). */
  readonly finalFragmentation: number;
  /** [step, used, largest free run] at the sample points. */
  readonly series: readonly (readonly [number, number, number])[];
}

export interface RunReport {
  readonly design: string;
  readonly profile: string;
  readonly workload: string;
  /** completed; or stopped by a model exception (a bug in the model or design, not a finding). */
  readonly status: 'completed' | 'model-exception';
  readonly error?: { readonly step: number; readonly message: string };
  readonly opsRun: number;
  readonly verdicts: Readonly<Record<string, Verdict>>;
  readonly vmalloc: VmallocMetrics;
  /** The first op that failed because get_vm_area found no room (the window ran out). */
  readonly firstVmapFailure: (TraceStep & { readonly message: string }) | null;
  readonly failures: { readonly total: number; readonly byOp: readonly FailureCount[] };
  readonly cma: CmaMetrics | null;
  readonly elapsedMs: number;
  readonly opsPerSec: number;
}

export interface DivergenceOutcome {
  readonly design: string;
  readonly ok: boolean;
  readonly errno?: number;
  readonly errnoName?: string;
  readonly value?: number;
}

export interface Divergence {
  readonly step: number;
  readonly op: Op;
  readonly outcomes: readonly DivergenceOutcome[];
}

export interface StreamReport {
  readonly profile: string;
  readonly workload: string;
  readonly seed: number;
  readonly opCount: number;
  /** How many ops of each kind the stream has. */
  readonly mix: Readonly<Record<string, number>>;
  /** First step whose ok / errno / value differ between designs. */
  readonly firstDivergence: Divergence | null;
  /** First step whose ok / errno differ (values aside). */
  readonly firstOutcomeDivergence: Divergence | null;
  readonly ops: readonly Op[];
}

export interface Counterexample {
  readonly design: string;
  readonly profile: string;
  readonly invariant: CheckId;
  /** check: shrunk by runCheck; workload: the workload prefix up to the first violation. */
  readonly source: 'check' | 'workload';
  /** The workload it was seen on (source workload), for reading. */
  readonly workload?: string;
  /** Set when the search was restricted to these heaps (the CMA heap's own shortest trace). */
  readonly heaps?: readonly string[];
  readonly message: string;
  /** Index of the violating op: the replay is ops 0..step. */
  readonly step: number;
  /** The ops (source check; a workload's are its stream's first step + 1 ops). */
  readonly ops?: readonly Op[];
  /** `ionck1:` replay token of the ops (expect violated), ready to paste into an issue. */
  readonly token: string;
  /** Ops replayed with result and call path: all of a shrunk one, the last few of a workload's. */
  readonly steps: readonly TraceStep[];
}

export interface MatrixCell {
  readonly status: VerdictStatus;
  /** Workloads that violated it, with the first step on each. */
  readonly violations: readonly { readonly workload: string; readonly step: number }[];
}

export interface MatrixRow {
  readonly profile: string;
  readonly design: string;
  readonly cells: Readonly<Record<string, MatrixCell>>;
}

export interface CompareReport {
  readonly schema: typeof COMPARE_SCHEMA;
  readonly params: {
    readonly designs: readonly string[];
    readonly profiles: readonly string[];
    readonly workloads: readonly string[];
    readonly opsPerWorkload: number;
    readonly seed: number;
    readonly checks: readonly CheckId[];
  };
  /** The command line that reproduces this report. */
  readonly command: string;
  readonly designs: readonly {
    readonly id: string;
    readonly summary: string;
    readonly citations: readonly string[];
    /** A plugin's file: its replay needs `--design FILE`. */
    readonly source?: string;
    /** The design's own explanation of its verdicts (Design.verdictNotes), when it has one. */
    readonly verdictNotes?: string;
  }[];
  readonly profiles: readonly {
    readonly id: string;
    readonly summary: string;
    readonly windowPages: number;
    readonly vmallocStart: number;
    readonly vmallocEnd: number;
    readonly cma: { readonly base: number; readonly size: number; readonly zone: string } | null;
  }[];
  readonly workloads: readonly {
    readonly id: string;
    readonly summary: string;
    readonly standsFor: string;
  }[];
  readonly checks: readonly { readonly id: CheckId; readonly title: string; readonly definition: string }[];
  readonly matrix: readonly MatrixRow[];
  readonly findings: readonly Finding[];
  readonly runs: readonly RunReport[];
  readonly streams: readonly StreamReport[];
  readonly counterexamples: readonly Counterexample[];
  readonly elapsedMs: number;
}
