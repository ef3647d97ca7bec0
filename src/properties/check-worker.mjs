// Child process for `ionck check --workers N`: registers tsx, then answers { id, task } messages
// with { id, result } (or { id, error }) until the parent disconnects. Processes, not threads:
// worker threads ran this workload several times slower than the main thread on Node 20.
import { register } from 'tsx/esm/api';

register();
const { default: checkTask } = await import('./check-worker.ts');
process.on('message', async ({ id, task }) => {
  try {
    process.send({ id, result: await checkTask(task) });
  } catch (e) {
    process.send({ id, error: e instanceof Error ? e.message : String(e) });
  }
});
process.on('disconnect', () => process.exit(0));
