/**
 * One plugin design's run of one workload in a child process (`ionck compare`): the same
 * runWorkload as a built-in design's, so the report is the same whichever process ran it. Run
 * through src/cli/worker.ts.
 */
import { resolveProfile } from '../model/profile.ts';
import { loadDesign } from '../plugin/design-arg.ts';
import { loadProfileFiles } from '../properties/profile-files.ts';
import type { CompareTask } from './isolate.ts';
import { type RunOutput, runWorkload } from './run-workload.ts';

export default async function compareTask(t: CompareTask): Promise<RunOutput> {
  const design = await loadDesign(t.design, t.cwd);
  loadProfileFiles(t.profile); // boot-vmallocinfo=: this process's model has not seen the file yet
  return runWorkload(resolveProfile(t.profile), design, t.workload, t.ops);
}
