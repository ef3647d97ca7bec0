/**
 * Load and boot plugin designs in a child process first, so a plugin that loops or exits while it
 * loads or while its heaps() builds the machine cannot hang or end the command: that is one line
 * and exit 2, like any other plugin that does not load. Errors are left to the in-process load,
 * which says exactly what was wrong.
 */

import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { Kernel } from '../model/kernel.ts';
import { resolveProfile } from '../model/profile.ts';
import { runInChild } from '../properties/worker-entry.ts';
import { isDesignPath, loadDesign } from './design-arg.ts';

/** How long a plugin may take to load and boot when no --time-limit is smaller. */
export const PROBE_BUDGET_MS = 30_000;

export interface ProbeTask {
  readonly design: string;
  readonly cwd: string;
  readonly profiles: readonly string[];
}

/** In the child: load the plugin and boot it on every profile (errors are reported, not thrown). */
export default async function probeTask(t: ProbeTask): Promise<string> {
  try {
    const d = await loadDesign(t.design, t.cwd);
    for (const p of t.profiles) Kernel.boot(resolveProfile(p), d);
    return 'ok';
  } catch (e) {
    return `error: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** Files (path, size, mtime) already probed in this process (a command probes each once). */
const probed = new Set<string>();

/** Probe every plugin among `specs`; throws a UsageError for one that loops or exits. */
export async function probePlugins(
  specs: readonly string[],
  cwd: string,
  profiles: readonly string[],
  timeLimitMs?: number,
): Promise<void> {
  const budget = Math.min(PROBE_BUDGET_MS, timeLimitMs ?? PROBE_BUDGET_MS);
  for (const spec of specs.filter(isDesignPath)) {
    const abs = resolve(cwd, spec);
    const st = statSync(abs, { throwIfNoEntry: false });
    // a missing file or a folder: the in-process load says so at once
    if (!st?.isFile()) continue;
    const key = JSON.stringify([abs, st.size, st.mtimeMs]);
    if (probed.has(key)) continue;
    const task: ProbeTask = { design: spec, cwd, profiles };
    const out = await runInChild<string>('plugin-probe', task, budget);
    if ('failure' in out)
      throw new UsageError(
        `design file ${spec} did not load and boot: ${out.failure.replace('of --time-limit', 'allowed to load and boot')}`,
        'design-file',
      );
    probed.add(key);
  }
}
