/**
 * `ionck zoo [--seeds N] [--json] [--design FILE]...`: measure how the default `ionck check`
 * budget finds every zoo entry (src/zoo). Exit 0 when every measured entry is found on every
 * seed, 1 when one is missed, 2 on bad input.
 */

import { resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import type { Design } from '../model/designs/design.ts';
import { loadDesign } from '../plugin/design-arg.ts';
import { zooJson, zooMarkdown } from '../report/zoo.ts';
import { zooEntries } from '../zoo/entries.ts';
import { measureZoo } from '../zoo/measure.ts';
import { type CliIo, EXIT } from './io.ts';
import { writeFileAtomic } from './write-atomic.ts';

export interface ZooCliOptions {
  readonly seeds: number;
  readonly json: boolean;
  readonly design: readonly string[];
  /** Only these entries (ids as the table prints them). */
  readonly entry: readonly string[];
  readonly exploreDepth: number;
  readonly out?: string;
}

export async function zooCommand(o: ZooCliOptions, io: CliIo): Promise<number> {
  const plugins: Design[] = [];
  for (const spec of o.design) plugins.push(await loadDesign(spec, io.cwd));
  let entries = zooEntries(plugins);
  if (o.entry.length > 0) {
    // an entry by its id or the id's prefix up to a dash (m15 for m15-kmap-count-underflow)
    const named = (id: string, x: string) => id === x || id.startsWith(`${x}-`);
    const unknown = o.entry.filter((x) => !entries.some((e) => named(e.id, x)));
    if (unknown.length > 0)
      throw new UsageError(
        `unknown zoo entry '${unknown[0]}' (known: ${entries.map((e) => e.id).join(', ')})`,
      );
    entries = entries.filter((e) => o.entry.some((x) => named(e.id, x)));
  }
  io.stderr(`ionck zoo: ${entries.length} entries, seeds 1..${o.seeds}\n`);
  const report = await measureZoo(entries, {
    seeds: o.seeds,
    exploreDepth: o.exploreDepth,
    onEntry: (done, total, id) => {
      if (id) io.stderr(`  [${done + 1}/${total}] ${id}\n`);
    },
  });
  if (o.out) writeFileAtomic(resolve(io.cwd, o.out), zooJson(report));
  io.stdout(o.json ? zooJson(report) : zooMarkdown(report));
  return report.summary.missed.length > 0 ? EXIT.violated : EXIT.held;
}
