/**
 * The child process for work that must not take the CLI down with it (`check --workers N`, and
 * every plugin design in check, compare, explore, replay and the plugin probe). It answers each
 * { id, task, input } message with { id, result } (or { id, error }), one at a time in the order
 * sent, and exits when the parent disconnects. Processes, not threads: worker threads ran this workload several times slower than
 * the main thread on Node 20, and a plugin that loops or exits can only be stopped as a process.
 * The tasks are imported statically: the compiler sees every one of them.
 */

import compareTask from '../compare/compare-worker.ts';
import exploreTask from '../explore/explore-worker.ts';
import probeTask from '../plugin/probe.ts';
import checkTask from '../properties/check-worker.ts';
import replayTask from '../properties/replay-worker.ts';
import type { TaskName } from '../properties/worker-entry.ts';

// biome-ignore lint/suspicious/noExplicitAny: each task checks its own input
const TASKS: Record<TaskName, (input: any) => Promise<unknown>> = {
  check: checkTask,
  compare: compareTask,
  explore: exploreTask,
  'plugin-probe': probeTask,
  replay: replayTask,
};

async function answer({ id, task, input }: { id: number; task: TaskName; input: unknown }): Promise<void> {
  try {
    process.send?.({ id, result: await TASKS[task](input) });
  } catch (e) {
    process.send?.({ id, error: e instanceof Error ? e.message.split('\n')[0] : String(e) });
  }
}

// one task at a time, in the order sent: a task queued behind the running one waits its turn
let queue: Promise<void> = Promise.resolve();
process.on('message', (m: { id: number; task: TaskName; input: unknown }) => {
  queue = queue.then(() => answer(m));
});
process.on('disconnect', () => process.exit(0));
