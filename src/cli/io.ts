/**
 * The terminal and file system as the CLI sees them: the terminal is injected (CliIo), so tests
 * run the CLI in-process with captured output. Reports are written atomically (temp file + rename), and only after every input was
 * validated.
 */

import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { OutDirError, UsageError } from '../errors.ts';
import { makeWritableDir } from './write-atomic.ts';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Progress bars only on a terminal; plain lines otherwise. */
  readonly stderrIsTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Relative paths (plugins, --out, replay files) resolve against this directory. */
  readonly cwd: string;
}

/** The real terminal, environment and working directory of this process. */
export function processIo(): CliIo {
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    stderrIsTTY: process.stderr.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
  };
}

export const EXIT = { held: 0, violated: 1, bad: 2 } as const;

/** Create `path` as a writable directory of reports before anything runs (exit 2 if it cannot be). */
export function validateOutDir(path: string, flag: string): void {
  try {
    makeWritableDir(path, flag);
  } catch (e) {
    if (e instanceof OutDirError) throw new UsageError(e.message, 'bad-path');
    throw e;
  }
}

/** Make sure `path` can be written as a file before anything runs: its directory is created. */
export function validateOutFile(path: string, flag: string): void {
  if (existsSync(path) && statSync(path).isDirectory())
    throw new UsageError(`${flag} ${path} is a directory`, 'bad-path');
  validateOutDir(dirname(path), flag);
  try {
    if (existsSync(path)) accessSync(path, constants.W_OK);
  } catch (e) {
    throw new UsageError(`${flag} ${path} cannot be written (${(e as { code?: string }).code})`, 'bad-path');
  }
}
