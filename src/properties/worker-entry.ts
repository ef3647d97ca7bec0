/**
 * Run one task in a child process of its own (src/cli/worker.ts): a task that loops past its budget is
 * killed, one that exits or crashes ends only its own process; either comes back as a failure
 * message, never as the end of the command.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The tasks src/cli/worker.ts runs. */
export type TaskName = 'check' | 'compare' | 'explore' | 'plugin-probe' | 'replay';

/**
 * The worker's entry: the TypeScript source through tsx in a checkout, the compiled JavaScript in
 * a package (no tsx at run time).
 */
function workerEntry(): { file: string; execArgv: string[] } {
  const source = new URL('../cli/worker.ts', import.meta.url);
  if (existsSync(source)) {
    const tsx = createRequire(import.meta.url).resolve('tsx/esm');
    return { file: fileURLToPath(source), execArgv: ['--import', tsx] };
  }
  return { file: fileURLToPath(new URL('../cli/worker.js', import.meta.url)), execArgv: [] };
}

/** How far past its budget a child may run before it is killed. */
export const KILL_GRACE_MS = 5000;

export type ChildOutcome<T> = { readonly result: T } | { readonly failure: string };

/**
 * Run `task` on `input` in a child process, killed KILL_GRACE_MS after `budgetMs` (Infinity:
 * never).
 */
export async function runInChild<T>(
  task: TaskName,
  input: unknown,
  budgetMs: number,
): Promise<ChildOutcome<T>> {
  const { file, execArgv } = workerEntry();
  const child = fork(file, [], {
    execArgv,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
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
    child.send({ id: 0, task, input });
  });
  clearTimeout(timer);
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.disconnect();
    await exited;
  }
  return outcome;
}
