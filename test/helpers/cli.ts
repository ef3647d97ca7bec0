/** Run the ionck CLI in-process with captured output, or as a child process through bin/ionck. */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function cli(
  argv: readonly string[],
  opts: { env?: Record<string, string | undefined>; cwd?: string } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    stderrIsTTY: false,
    env: opts.env ?? {},
    cwd: opts.cwd ?? ROOT,
  });
  return { code, stdout, stderr };
}

/** Spawn ./bin/ionck (the real entry point, tsx loader and all). */
export function spawnCli(
  argv: readonly string[],
  env: Record<string, string> = {},
  opts: { cwd?: string; bin?: string; timeout?: number } = {},
): CliRun {
  const r = spawnSync(opts.bin ?? resolve(ROOT, 'bin/ionck'), [...argv], {
    cwd: opts.cwd ?? ROOT,
    encoding: 'utf8',
    env: { ...process.env, GITHUB_STEP_SUMMARY: '', ...env },
    timeout: opts.timeout ?? 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Drop every elapsedMs field and check's `timing` (wall clock and what each worker process did):
 * the only things allowed to differ between identical runs.
 */
export function withoutTimes(json: string): unknown {
  return JSON.parse(json, (k, v) => (k === 'elapsedMs' || k === 'timing' ? undefined : v));
}
