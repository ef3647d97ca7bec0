import { loadTaskTarget, type TaskTarget } from '../plugin/design-arg.ts';
import type { InvariantId } from '../spec/index.ts';
import { type Replay, type ReplayRun, runReplay } from './replay.ts';

export interface ReplayTask extends TaskTarget {
  readonly replay: Replay;
  readonly invariants: readonly InvariantId[];
}

export default async function replayTask(t: ReplayTask): Promise<ReplayRun> {
  const { design, profile } = await loadTaskTarget(t);
  return runReplay(t.replay, design, profile, t.invariants);
}
