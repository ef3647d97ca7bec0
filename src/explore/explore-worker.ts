/**
 * One design's exhaustive search in a child process (`ionck explore` of a plugin design, through
 * src/cli/worker.ts): a plugin that loops or exits ends only this process.
 */
import { resolveProfile } from '../model/profile.ts';
import { loadDesign } from '../plugin/design-arg.ts';
import type { InvariantId } from '../spec/index.ts';
import { type ExploreResult, explore } from './search.ts';

export interface ExploreTask {
  /** A plugin file, resolved from `cwd`. */
  readonly design: string;
  readonly cwd: string;
  readonly profile: string;
  readonly depth: number;
  readonly invariants: readonly InvariantId[];
  readonly maxStates: number;
  readonly timeLimitMs?: number;
}

export default async function exploreTask(t: ExploreTask): Promise<ExploreResult> {
  const design = await loadDesign(t.design, t.cwd);
  return explore({
    profile: resolveProfile(t.profile),
    design,
    depth: t.depth,
    invariants: t.invariants,
    maxStates: t.maxStates,
    ...(t.timeLimitMs === undefined ? {} : { timeLimitMs: t.timeLimitMs }),
  });
}
