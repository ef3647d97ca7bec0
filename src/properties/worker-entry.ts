/**
 * Run one task in a child process of its own (src/cli/worker.ts): a task that loops past its budget is
 * killed, one that exits or crashes ends only its own process; either comes back as a failure
 * message, never as the end of the command.
 */
import { type ChildProcess, fork } from 'node:child_process';
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
 * Run `task` on `input` in a child process of its own, killed KILL_GRACE_MS after `budgetMs`
 * (Infinity: never).
 */
export async function runInChild<T>(
  task: TaskName,
  input: unknown,
  budgetMs: number,
): Promise<ChildOutcome<T>> {
  const w = new WorkerProcess();
  try {
    return await w.run<T>(task, input, budgetMs);
  } finally {
    await w.close();
  }
}

/**
 * A child process that runs tasks one at a time (`check --workers N` keeps one per worker, so a
 * design is loaded and booted once per process). A task that runs KILL_GRACE_MS past its budget
 * is killed with its process; a task whose process exits comes back as a failure; either way the
 * next task starts a new process.
 */
export class WorkerProcess {
  private child: ChildProcess | null = null;
  private nextId = 1;

  async run<T>(task: TaskName, input: unknown, budgetMs: number): Promise<ChildOutcome<T>> {
    const child = this.child ?? this.spawn();
    const id = this.nextId++;
    let killed = false;
    return new Promise<ChildOutcome<T>>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (o: ChildOutcome<T>) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(o);
      };
      const onMessage = (m: { id?: number; result?: T; error?: string }) => {
        if (m.id !== id) return;
        done(
          m.result !== undefined ? { result: m.result } : { failure: m.error ?? 'the child process failed' },
        );
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        done({
          failure: killed
            ? `did not finish within its time budget (${(budgetMs / 1000).toFixed(1)} s of --time-limit): killed`
            : `its process exited (${signal ?? `code ${code}`}) before it finished`,
        });
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
      if (Number.isFinite(budgetMs))
        timer = setTimeout(() => {
          killed = true;
          child.kill('SIGKILL');
        }, budgetMs + KILL_GRACE_MS);
      child.send({ id, task, input });
    });
  }

  /** End the process (it exits when its channel closes) and wait for it. */
  async close(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.disconnect();
    await exited;
  }

  private spawn(): ChildProcess {
    const { file, execArgv } = workerEntry();
    const child = fork(file, [], {
      execArgv,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    // a process that dies between tasks is replaced by the next run; a send to it reports through 'exit'
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    child.on('error', () => {});
    this.child = child;
    return child;
  }
}
