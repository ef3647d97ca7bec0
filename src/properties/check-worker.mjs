// Child process for `ionck check` (--workers N, and every plugin design): answers one
// { id, task } message with { id, result } (or { id, error }) and exits when the parent
// disconnects. Processes, not threads: worker threads ran this workload several times slower than
// the main thread on Node 20, and a plugin that loops or exits can only be stopped as a process.
// In a checkout it registers tsx for the TypeScript sources; a package runs the compiled ones.
import { existsSync } from 'node:fs';

const source = new URL('./check-worker.ts', import.meta.url);
let checkTask;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ default: checkTask } = await import(source.href));
} else ({ default: checkTask } = await import(new URL('./check-worker.js', import.meta.url).href));
process.on('message', async ({ id, task }) => {
  try {
    process.send({ id, result: await checkTask(task) });
  } catch (e) {
    process.send({ id, error: e instanceof Error ? e.message.split('\n')[0] : String(e) });
  }
});
process.on('disconnect', () => process.exit(0));
