/**
 * Run one task in a child process of its own (./worker.mjs): a task that loops past its budget is
 * killed, one that exits or crashes ends only its own process; either comes back as a failure
 * message, never as the end of the command.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** How far past its budget a child may run before it is killed. */
export const KILL_GRACE_MS = 5000;

export type ChildOutcome<T> = { readonly result: T } | { readonly failure: string };

/**
 * Run the default export of `module` (relative to src/properties, no extension) on `task` in a
 * child process, killed KILL_GRACE_MS after `budgetMs` (Infinity: never).
 */
export async function runInChild<T>(
  module: string,
  task: unknown,
  budgetMs: number,
): Promise<ChildOutcome<T>> {
  const entry = fileURLToPath(new URL('./worker.mjs', import.meta.url));
  const child = fork(entry, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced' });
  let timer: NodeJS.Timeout | undefined;
  let killed = false;
  const outcome = await new Promise<ChildOutcome<T>>((resolve) => {
    child.once('message', (m: { result?: T; error?: string }) =>
      resolve(
        m.result !== undefined ? { result: m.result } : { failure: m.error ?? 'the child process failed' },
      ),
    );
    child.once('exit', (code, signal) =>
      resolve({
        failure: killed
          ? `did not finish within its time budget (${(budgetMs / 1000).toFixed(1)} s of --time-limit): killed`
          : `its process exited (${signal ?? `code ${code}`}) before it finished`,
      }),
    );
    if (Number.isFinite(budgetMs))
      timer = setTimeout(() => {
        killed = true;
        child.kill('SIGKILL');
      }, budgetMs + KILL_GRACE_MS);
    child.send({ id: 0, module, task });
  });
  clearTimeout(timer);
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.disconnect();
    await exited;
  }
  return outcome;
}
