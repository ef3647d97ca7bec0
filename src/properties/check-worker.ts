/**
 * One design's check in a child process (`ionck check --workers N`, and every plugin design): the
 * same checkDesign as the inline path, so results are identical whatever the number of workers
 * (elapsed times aside). Run through src/cli/worker.ts.
 */

import type { HeapName } from '../model/ion/heap.ts';
import { loadTaskTarget, type TaskTarget } from '../plugin/design-arg.ts';
import type { CheckMode, InvariantId } from '../spec/index.ts';
import { checkDesign } from './check-design.ts';
import type { DesignCheck } from './check-result.ts';

export interface CheckTask extends TaskTarget {
  readonly invariants: readonly InvariantId[];
  readonly runs: number;
  readonly maxOps: number;
  readonly seed: number;
  /** Wall-clock budget of this design in ms (Infinity: none). */
  readonly budgetMs: number;
  readonly mode: CheckMode;
  readonly shrinkRunsMax: number;
  readonly heaps: readonly HeapName[];
}

export default async function checkTask(t: CheckTask): Promise<DesignCheck> {
  const { design, profile } = await loadTaskTarget(t);
  return checkDesign(design, profile, {
    invariants: t.invariants,
    runs: t.runs,
    maxOps: t.maxOps,
    seed: t.seed,
    deadline: performance.now() + t.budgetMs,
    mode: t.mode,
    shrinkRunsMax: t.shrinkRunsMax,
    heaps: t.heaps,
    progress: undefined,
  });
}
