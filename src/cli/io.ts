/**
 * The terminal and file system as the CLI sees them: the terminal is injected (CliIo, shared with
 * compare and explore in src/properties/cli-io.ts), so tests run the CLI in-process with captured
 * output. Reports are written atomically (temp file + rename), and only after every input was
 * validated.
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, parse } from 'node:path';
import { UsageError } from '../properties/cli-args.ts';
import type { CliIo } from '../properties/cli-io.ts';

export { UsageError } from '../properties/cli-args.ts';
export { type CliIo, processIo } from '../properties/cli-io.ts';

/**
 * What `src/report/compare-cli.ts` (runCompareCli) and `src/explore/cli.ts` (runExploreCli) export:
 * run with the arguments after the subcommand name; return the exit code (0, 1 or 2).
 */
export type SubcommandCli = (argv: readonly string[], io: CliIo) => Promise<number> | number;

export const EXIT = { held: 0, violated: 1, bad: 2 } as const;

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
