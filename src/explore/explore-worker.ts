/**
 * One design's exhaustive search in a child process (`ionck explore` of a plugin design, through
 * src/cli/worker.ts): a plugin that loops or exits ends only this process.
 */
import { loadTaskTarget, type TaskTarget } from '../plugin/design-arg.ts';
import type { InvariantId } from '../spec/index.ts';
import { type ExploreResult, explore } from './search.ts';

export interface ExploreTask extends TaskTarget {
  readonly depth: number;
  readonly invariants: readonly InvariantId[];
  readonly maxStates: number;
  readonly timeLimitMs?: number;
  readonly exact?: boolean;
  readonly symmetry?: boolean;
}

export default async function exploreTask(t: ExploreTask): Promise<ExploreResult> {
  const { design, profile } = await loadTaskTarget(t);
  return explore({
    profile,
    design,
    depth: t.depth,
    invariants: t.invariants,
    maxStates: t.maxStates,
    ...(t.exact === undefined ? {} : { exact: t.exact }),
    ...(t.symmetry === undefined ? {} : { symmetry: t.symmetry }),
    ...(t.timeLimitMs === undefined ? {} : { timeLimitMs: t.timeLimitMs }),
  });
}
