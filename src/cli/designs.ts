/**
 * `--design ID|FILE`: a built-in (or zoo) design by id, or a plugin module whose default export
 * goes through defineDesign. Every way a plugin can be wrong (missing, throws at load, no default
 * export, not a design, heaps() that returns garbage or throws at boot) is a UsageError naming the
 * file, so the CLI exits 2 with one line.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Design, DesignError, defineDesign } from '../model/designs/design.ts';
import { ALL_DESIGNS, builtinDesign } from '../model/designs/index.ts';
import { Kernel } from '../model/kernel.ts';
import type { Profile } from '../model/profile.ts';
import { UsageError } from './io.ts';

/** A design argument names a file when it looks like a path. */
export const isDesignPath = (s: string): boolean =>
  s.startsWith('./') || s.startsWith('../') || isAbsolute(s) || /\.(m?[jt]s|c[jt]s)$/.test(s);

const firstLine = (e: unknown): string => {
  const msg = e instanceof Error ? e.message : String(e);
  return (msg.split('\n').find((l) => l.trim() !== '') ?? 'unknown error').trim().slice(0, 300);
};

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
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`design file ${spec} failed to load: ${firstLine(e)}`, 'design-file');
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

/** Load every --design value (default: the given ids), dropping repeats. */
export async function loadDesigns(specs: readonly string[], cwd: string): Promise<Design[]> {
  const out: Design[] = [];
  for (const s of specs) {
    const d = await loadDesign(s, cwd);
    if (out.some((x) => x.id === d.id)) {
      if (out.some((x) => x.id === d.id && x.source !== d.source))
        throw new UsageError(`two designs have the id '${d.id}'`, 'design-file');
      continue;
    }
    out.push(d);
  }
  return out;
}

/** Boot each design once: a plugin whose heaps() fails is bad input, found before any work. */
export function validateBoot(designs: readonly Design[], profile: Profile): void {
  for (const d of designs) {
    try {
      Kernel.boot(profile, d);
    } catch (e) {
      const where = d.source ? `design file ${d.source}` : `design '${d.id}'`;
      const what = e instanceof DesignError ? firstLine(e) : `boot failed: ${firstLine(e)}`;
      throw new UsageError(`${where}: ${what}`, 'design-boot');
    }
  }
}
