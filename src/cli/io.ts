/**
 * The terminal and file system as the CLI sees them: injected, so tests run the CLI in-process
 * with captured output. Reports are written atomically (temp file + rename), and only after every
 * input was validated.
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, parse } from 'node:path';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Progress bars only on a terminal. */
  readonly stderrIsTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Relative paths (plugins, --out, replay files) resolve against this directory. */
  readonly cwd: string;
}

/**
 * What `src/report/compare.ts` (runCompareCli) and `src/explore/cli.ts` (runExploreCli) export:
 * run with the arguments after the subcommand name; return the exit code (0, 1 or 2).
 */
export type SubcommandCli = (argv: readonly string[], io: CliIo) => Promise<number> | number;

/** Bad input: exit 2 with this one line. `code` is stable for scripts and tests. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly code: string = 'usage',
  ) {
    super(message);
  }
}

export const EXIT = { held: 0, violated: 1, bad: 2 } as const;

export function processIo(): CliIo {
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    stderrIsTTY: process.stderr.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
  };
}

let tmpCounter = 0;

/** Write a file atomically: a temp file beside it, then rename over the target. */
export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${++tmpCounter}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Check that `path` can become a directory of reports (before anything runs). */
export function validateOutDir(path: string, flag: string): void {
  if (existsSync(path) && !statSync(path).isDirectory())
    throw new UsageError(`${flag} ${path} exists and is not a directory`, 'bad-path');
  validateParents(path, flag);
}

/** Check that `path` can become a file (before anything runs). */
export function validateOutFile(path: string, flag: string): void {
  if (existsSync(path) && statSync(path).isDirectory())
    throw new UsageError(`${flag} ${path} is a directory`, 'bad-path');
  validateParents(dirname(path), flag);
}

/** No ancestor of `dir` may be an existing non-directory. */
function validateParents(dir: string, flag: string): void {
  const root = parse(dir).root;
  for (let d = dir; d !== root && d !== '.'; d = dirname(d)) {
    if (existsSync(d)) {
      if (!statSync(d).isDirectory()) throw new UsageError(`${flag}: ${d} is not a directory`, 'bad-path');
      return;
    }
  }
}
