import { loadTaskTarget } from '../plugin/design-arg.ts';
import type { CompareTask } from './isolate.ts';
import { type RunOutput, runWorkload } from './run-workload.ts';

export default async function compareTask(t: CompareTask): Promise<RunOutput> {
  const { design, profile } = await loadTaskTarget(t);
  return runWorkload(profile, design, t.workload, t.ops);
}
