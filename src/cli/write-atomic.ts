/**
 * Reports are written atomically (docs/architecture.md section 7): every file goes to a temporary name in the
 * same directory first, and only when all are written are they renamed into place, so a reader
 * never sees a half-written report and a failed run never leaves a mix of old and new files.
 */
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { OutDirError } from '../errors.ts';

/** stat, or null when nothing is there (ENOTDIR too: an ancestor is a file, found next). */
function statOrNull(p: string) {
  try {
    return statSync(p, { throwIfNoEntry: false }) ?? null;
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOTDIR') return null;
    throw e;
  }
}

/**
 * Create `dir` and its missing parents one level at a time (a recursive mkdir under /proc loops
 * forever on Node 20), then prove it writable with a probe file: an unusable directory is found
 * before any work, not after it.
 */
export function makeWritableDir(dir: string, flag: string): void {
  const missing: string[] = [];
  let d = dir;
  for (;;) {
    const st = statOrNull(d);
    if (st) {
      if (!st.isDirectory())
        throw new OutDirError(
          d === dir
            ? `${flag} ${dir} exists and is not a directory`
            : `${flag} ${dir}: ${d} is not a directory`,
        );
      break;
    }
    missing.unshift(d);
    if (dirname(d) === d) break;
    d = dirname(d);
  }
  const probe = join(dir, `.ionck-probe-${process.pid}`);
  try {
    for (const m of missing) mkdirSync(m);
    writeFileSync(probe, '');
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'error';
    throw new OutDirError(`${flag} ${dir} cannot be written (${code})`);
  } finally {
    rmSync(probe, { force: true });
  }
}

/** Create `dir` (and parents) or fail with one line if it is not a usable directory. */
export function ensureOutDir(dir: string): void {
  makeWritableDir(dir, '--out');
}

let tmpCounter = 0;

/** Write each file to a temporary name beside it; then rename them all into place, or remove them all. */
function writeAll(files: readonly (readonly [path: string, text: string])[]): string[] {
  const temps: [string, string][] = [];
  try {
    for (const [path, text] of files) {
      mkdirSync(dirname(path), { recursive: true });
      const tmp = join(dirname(path), `.${basename(path)}.${process.pid}-${++tmpCounter}.tmp`);
      temps.push([tmp, path]);
      writeFileSync(tmp, text);
    }
  } catch (e) {
    for (const [tmp] of temps) rmSync(tmp, { force: true });
    throw e;
  }
  for (const [tmp, path] of temps) renameSync(tmp, path);
  return temps.map(([, path]) => path);
}

/** Write one file atomically: a temporary file beside it, then a rename over the target. */
export function writeFileAtomic(path: string, text: string): void {
  writeAll([[path, text]]);
}

/** Write `files` (name -> content) into `dir`: all temporaries first, then all renames. */
export function writeFilesAtomic(dir: string, files: Readonly<Record<string, string>>): string[] {
  ensureOutDir(dir);
  return writeAll(Object.entries(files).map(([name, text]) => [join(dir, name), text] as const));
}
