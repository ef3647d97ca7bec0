/**
 * Reports are written atomically (docs/architecture.md section 7): every file goes to a temporary name in the
 * same directory first, and only when all are written are they renamed into place, so a reader
 * never sees a half-written report and a failed run never leaves a mix of old and new files.
 */
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class OutDirError extends Error {
  override name = 'OutDirError';
}

/** Create `dir` (and parents) or fail with one line if it is not a usable directory. */
export function ensureOutDir(dir: string): void {
  try {
    const st = statSync(dir, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) throw new OutDirError(`--out ${dir} exists and is not a directory`);
    if (!st) mkdirSync(dir, { recursive: true });
  } catch (e) {
    if (e instanceof OutDirError) throw e;
    const code = (e as { code?: string }).code ?? 'error';
    throw new OutDirError(`cannot create --out directory ${dir} (${code})`);
  }
}

/** Write `files` (name -> content) into `dir`: all temporaries first, then all renames. */
export function writeFilesAtomic(dir: string, files: Readonly<Record<string, string>>): string[] {
  ensureOutDir(dir);
  const temps: [string, string][] = [];
  try {
    for (const [name, content] of Object.entries(files)) {
      const final = join(dir, name);
      const tmp = join(dir, `.${name}.${process.pid}.tmp`);
      writeFileSync(tmp, content);
      temps.push([tmp, final]);
    }
  } catch (e) {
    for (const [tmp] of temps) rmSync(tmp, { force: true });
    throw e;
  }
  for (const [tmp, final] of temps) renameSync(tmp, final);
  return temps.map(([, final]) => final);
}
