/**
 * `--design ID|FILE` for check and replay: load every value (src/plugin/design-arg.ts) and boot
 * each design once. Every way a plugin can be wrong (missing, throws at load, no default export,
 * not a design, heaps() that returns garbage or throws at boot) is a UsageError naming the file,
 * so the CLI exits 2 with one line.
 */
import { DesignError, firstLine, UsageError } from '../errors.ts';
import type { Design } from '../model/designs/design.ts';
import { Kernel } from '../model/kernel.ts';
import type { Profile } from '../model/profile.ts';
import { loadDesign } from '../plugin/design-arg.ts';

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
