/**
 * A replay on a plugin design in a child process (`ionck replay --design FILE`): the same runReplay
 * as a built-in design's, so the trace is the same whichever process ran it. Run through
 * src/cli/worker.ts.
 */
import { resolveProfile } from '../model/profile.ts';
import { loadDesign } from '../plugin/design-arg.ts';
import type { InvariantId } from '../spec/index.ts';
import { loadProfileFiles } from './profile-files.ts';
import { type Replay, type ReplayRun, runReplay } from './replay.ts';

export interface ReplayTask {
  /** The plugin file, resolved from `cwd`. */
  readonly design: string;
  readonly cwd: string;
  readonly replay: Replay;
  readonly profile: string;
  readonly invariants: readonly InvariantId[];
}

export default async function replayTask(t: ReplayTask): Promise<ReplayRun> {
  const design = await loadDesign(t.design, t.cwd);
  loadProfileFiles(t.profile); // boot-vmallocinfo=: this process's model has not seen the file yet
  return runReplay(t.replay, design, resolveProfile(t.profile), t.invariants);
}
