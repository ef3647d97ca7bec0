/**
 * The files a profile spec names (`boot-vmallocinfo=FILE`): read here, outside the model (which
 * does no I/O), and handed to it before the spec is resolved. A file that cannot be read is a
 * ProfileError: one line, exit 2.
 */

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ProfileError } from '../errors.ts';
import { provideBootVmallocinfo } from '../model/boot-vmallocinfo.ts';

/** Read every `boot-vmallocinfo=` file of `spec` (relative names from `cwd`). */
export function loadProfileFiles(spec: string, cwd: string = process.cwd()): void {
  for (const opt of spec.split(',').slice(1)) {
    if (!opt.startsWith('boot-vmallocinfo=')) continue;
    const path = opt.slice('boot-vmallocinfo='.length);
    if (path === '') continue; // resolveProfile names the empty value
    let text: string;
    try {
      text = readFileSync(resolve(cwd, path), 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new ProfileError(`boot-vmallocinfo ${path}: cannot read the file (${code})`);
    }
    provideBootVmallocinfo(path, text);
  }
}
