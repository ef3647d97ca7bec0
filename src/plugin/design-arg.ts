/**
 * `--design ID|FILE`, as every subcommand takes it: a built-in (or zoo) design by id, or a plugin
 * module whose default export goes through defineDesign. Every way a plugin can be wrong (missing,
 * not a file, throws at load, no default export, not a design, a built-in's id) is a UsageError
 * naming the file, so the command exits 2 with one line.
 */

import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { firstLine, UsageError } from '../errors.ts';
import { type Design, defineDesign } from '../model/designs/design.ts';
import { ALL_DESIGNS, builtinDesign } from '../model/designs/index.ts';
import { type Profile, resolveProfile } from '../model/profile.ts';
import { loadProfileFiles } from '../properties/profile-files.ts';
import { importPlugin } from './load.ts';

/** A design argument names a file when it looks like a path. */
export const isDesignPath = (s: string): boolean =>
  s.startsWith('./') || s.startsWith('../') || isAbsolute(s) || /\.(m?[jt]s|c[jt]s)$/.test(s);

/** A built-in or zoo design id, or a plugin file (relative to `cwd`); plugins record it as `source`. */
export async function loadDesign(spec: string, cwd: string): Promise<Design> {
  if (!isDesignPath(spec)) {
    const d = builtinDesign(spec);
    if (!d)
      throw new UsageError(
        `unknown design '${spec}' (known: ${ALL_DESIGNS.map((x) => x.id).join(', ')}; or a plugin file ./name.ts)`,
        'unknown-design',
      );
    return d;
  }
  const abs = resolve(cwd, spec);
  if (!existsSync(abs)) throw new UsageError(`design file ${spec} not found`, 'design-file');
  if (!statSync(abs).isFile()) throw new UsageError(`design file ${spec} is not a file`, 'design-file');
  let mod: Record<string, unknown>;
  try {
    mod = await importPlugin(abs, spec);
  } catch (e) {
    throw new UsageError(`design file ${firstLine(e)}`, 'design-file');
  }
  if (!('default' in mod) || mod.default === undefined)
    throw new UsageError(
      `design file ${spec} has no default export (export default defineDesign({ ... }))`,
      'design-file',
    );
  let d: Design;
  try {
    const raw = mod.default as Record<string, unknown>;
    d = defineDesign(typeof raw === 'object' && raw !== null ? { ...raw, source: spec } : raw);
  } catch (e) {
    throw new UsageError(`design file ${spec}: ${firstLine(e)}`, 'design-file');
  }
  if (builtinDesign(d.id))
    throw new UsageError(
      `design file ${spec}: id '${d.id}' is a built-in design's id; give the plugin its own id`,
      'design-file',
    );
  return d;
}

/** What every child-process task names: a design (built-in id or plugin file) and a profile spec. */
export interface TaskTarget {
  /** A built-in id or a plugin file, resolved from `cwd`. */
  readonly design: string;
  readonly cwd: string;
  readonly profile: string;
}

/**
 * The design and board of a task in a fresh child process: the plugin loaded again, and the
 * profile's files (boot-vmallocinfo=) read again, since this process's model has not seen them.
 */
export async function loadTaskTarget(t: TaskTarget): Promise<{ design: Design; profile: Profile }> {
  const design = await loadDesign(t.design, t.cwd);
  loadProfileFiles(t.profile);
  return { design, profile: resolveProfile(t.profile) };
}
