// Child process for work that must not take the CLI down with it (`ionck check` designs with
// --workers N and every plugin design; `ionck explore` of plugin designs): answers one
// { id, module, task } message with { id, result } (or { id, error }), where `module` is a path
// relative to this directory without extension whose default export does the task, and exits when
// the parent disconnects. Processes, not threads: worker threads ran this workload several times
// slower than the main thread on Node 20, and a plugin that loops or exits can only be stopped as a
// process. In a checkout it registers tsx for the TypeScript sources; a package runs the compiled
// ones.
import { existsSync } from 'node:fs';

const inSource = existsSync(new URL('./worker-entry.ts', import.meta.url));
if (inSource) (await import('tsx/esm/api')).register();
process.on('message', async ({ id, module, task }) => {
  try {
    const url = new URL(`./${module}.${inSource ? 'ts' : 'js'}`, import.meta.url);
    const { default: run } = await import(url.href);
    process.send({ id, result: await run(task) });
  } catch (e) {
    process.send({ id, error: e instanceof Error ? e.message.split('\n')[0] : String(e) });
  }
});
process.on('disconnect', () => process.exit(0));
