/**
 * Run tasks in child processes (src/cli/worker.ts): a task that loops past its budget is killed,
 * one that exits or crashes ends only its own process; either comes back as a failure message,
 * never as the end of the command.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The tasks src/cli/worker.ts runs. */
export type TaskName = 'check' | 'compare' | 'explore' | 'plugin-probe' | 'replay';

/**
 * A forked process's entry: the TypeScript source through tsx in a checkout, the compiled
 * JavaScript beside it in a package (no tsx at run time). `source` is a `.ts` file URL.
 */
export function forkEntry(source: URL): { file: string; execArgv: string[] } {
  if (existsSync(source)) {
    const tsx = createRequire(import.meta.url).resolve('tsx/esm');
    return { file: fileURLToPath(source), execArgv: ['--import', tsx] };
  }
  return { file: fileURLToPath(new URL(source.href.replace(/\.ts$/, '.js'))), execArgv: [] };
}

const workerEntry = () => forkEntry(new URL('../cli/worker.ts', import.meta.url));

/** How far past its budget a child may run before it is killed. */
export const KILL_GRACE_MS = 5000;

/**
 * A task's result, or why it has none. `lost`: the task was waiting behind another one whose
 * process died; it did nothing wrong and can run again.
 */
export type ChildOutcome<T> = { readonly result: T } | { readonly failure: string; readonly lost?: boolean };

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

/** A task sent to a WorkerProcess and not answered yet. */
interface Pending {
  readonly id: number;
  /** Its budget (Infinity: none); it is killed with its process KILL_GRACE_MS after it. */
  readonly budgetMs: number;
  readonly resolve: (o: ChildOutcome<never>) => void;
  timer?: NodeJS.Timeout;
}

/**
 * A child process that runs tasks one after the other, in the order sent (`check --workers N`
 * keeps one per worker, so a design is loaded and booted once per process, and sends the next
 * task before the last one is back, so the process never waits for the parent). The running task
 * is killed with its process KILL_GRACE_MS after its budget; a task whose process exits comes back
 * as a failure, the tasks queued behind it as `lost`; the next task starts a new process.
 */
export class WorkerProcess {
  private child: ChildProcess | null = null;
  private nextId = 1;
  /** Sent and not answered, oldest (the running one) first. */
  private pending: Pending[] = [];
  private killed = false;

  /** Tasks sent and not answered. */
  get queued(): number {
    return this.pending.length;
  }

  run<T>(task: TaskName, input: unknown, budgetMs: number): Promise<ChildOutcome<T>> {
    const child = this.child ?? this.spawn();
    const id = this.nextId++;
    return new Promise<ChildOutcome<T>>((resolve) => {
      this.pending.push({
        id,
        budgetMs,
        resolve: resolve as Pending['resolve'],
      });
      if (this.pending.length === 1) this.arm(child);
      child.send({ id, task, input });
    });
  }

  /** The running task's kill timer, from when it starts running (a queued one waits its turn). */
  private arm(child: ChildProcess): void {
    const p = this.pending[0];
    if (!p || !Number.isFinite(p.budgetMs)) return;
    p.timer = setTimeout(() => {
      this.killed = true;
      child.kill('SIGKILL');
    }, p.budgetMs + KILL_GRACE_MS);
  }

  private onMessage(child: ChildProcess, m: { id?: number; result?: unknown; error?: string }): void {
    const i = this.pending.findIndex((p) => p.id === m.id);
    if (i < 0) return;
    const [p] = this.pending.splice(i, 1);
    clearTimeout(p!.timer);
    p!.resolve(
      (m.result !== undefined
        ? { result: m.result }
        : { failure: m.error ?? 'the child process failed' }) as ChildOutcome<never>,
    );
    if (i === 0) this.arm(child);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    const [running, ...queued] = this.pending;
    this.pending = [];
    this.child = null;
    for (const p of [running, ...queued]) clearTimeout(p?.timer);
    running?.resolve({
      failure: this.killed
        ? `did not finish within its time budget (${(running.budgetMs / 1000).toFixed(1)} s of --time-limit): killed`
        : `its process exited (${signal ?? `code ${code}`}) before it finished`,
    });
    for (const p of queued) p.resolve({ failure: 'its process died while it waited', lost: true });
    this.killed = false;
  }

  /** End the process (it exits when its channel closes) and wait for it. */
  async close(): Promise<void> {
    const child = this.child;
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
    child.on('message', (m: { id?: number }) => {
      if (this.child === child) this.onMessage(child, m);
    });
    child.once('exit', (code, signal) => {
      if (this.child === child) this.onExit(code, signal);
    });
    // a send to a process that just died reports through 'exit'
    child.on('error', () => {});
    this.child = child;
    return child;
  }
}
