/**
 * Where a run of `ionck compare` happens: a built-in design in this process, a plugin design (one
 * with a source file) in a child process of its own (./compare-worker.ts) within its share of the
 * time limit.
 */

import type { Design } from '../model/designs/design.ts';
import type { Op } from '../model/ops.ts';
import type { Profile } from '../model/profile.ts';
import type { TaskTarget } from '../plugin/design-arg.ts';
import { runInChild } from '../properties/worker-entry.ts';
import type { Workload } from '../properties/workloads.ts';
import type { Verdict } from '../report/types.ts';
import { CHECK_IDS, type RunOutput, runWorkload, windowOf } from './run-workload.ts';

/** One plugin design's run, as sent to its child process (./compare-worker.ts). */
/** A plugin's run; `profile` is the spec as shown in the report. */
export interface CompareTask extends TaskTarget {
  readonly workload: Pick<Workload, 'id' | 'heaps'>;
  readonly ops: readonly Op[];
}

/** Each plugin design's time left, and why a design that ran out is not run again. */
export interface Budgets {
  readonly leftMs: Map<string, number>;
  readonly spent: Map<string, string>;
  readonly cwd: string;
}

/** An equal share of the time limit (if any) for each design. */
export function newBudgets(
  designs: readonly Design[],
  timeLimitMs: number | undefined,
  cwd: string,
): Budgets {
  return {
    leftMs: new Map(
      designs.map((d) => [
        d.id,
        timeLimitMs === undefined ? Number.POSITIVE_INFINITY : timeLimitMs / designs.length,
      ]),
    ),
    spent: new Map(),
    cwd,
  };
}

/**
 * A built-in design runs in this process; a plugin design (one with a source file) runs in a child
 * process within what is left of its budget, and a child that is killed or exits becomes a failed
 * run of that design, as does every later run of a design that already failed that way.
 */
export async function runIsolated(
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
