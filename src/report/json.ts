/**
 * The compare report as JSON: everything in the report object. Small objects and arrays of numbers
 * stay on one line, so the file stays readable and diffable (one op per line). Timing is only in
 * fields named `elapsedMs` and `opsPerSec`; `withoutTiming` drops them for comparisons.
 */

import { MODEL_VERSION, TOOL_VERSION } from '../version.ts';
import { conclude } from './conclusion.ts';
import type { CompareReport } from './types.ts';

/** Fields that hold wall-clock figures; everything else is a function of the parameters. */
export const TIMING_FIELDS: readonly string[] = ['elapsedMs', 'opsPerSec'];

/** Inline an object or array when its one-line form is at most this long. */
const INLINE_CHARS_MAX = 100;

function stringify(v: unknown, indent: string): string {
  const flat = JSON.stringify(v);
  if (flat === undefined) return 'null';
  if (v === null || typeof v !== 'object' || flat.length <= INLINE_CHARS_MAX) return flat;
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x !== 'object' || x === null)) return flat;
    return `[\n${v.map((x) => inner + stringify(x, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${stringify(x, inner)}`).join(',\n')}\n${indent}}`;
}

/**
 * The compare report as written to compare.json: versions, seed, profiles, parameters and each
 * design's status first, then the conclusion and the report, without the timing fields so the same
 * seed writes the same bytes (throughput goes to the terminal: see throughputText).
 */
export function renderJson(rep: CompareReport): string {
  const c = conclude(rep);
  const status = (d: string) =>
    rep.runs.some((r) => r.design === d && r.status === 'model-exception')
      ? 'failed'
      : rep.matrix.some(
            (row) => row.design === d && Object.values(row.cells).some((x) => x.status === 'violated'),
          )
        ? 'violated'
        : 'held';
  const head = {
    tool: 'ionck',
    toolVersion: TOOL_VERSION,
    modelVersion: MODEL_VERSION,
    seed: rep.params.seed,
    // the profiles' ids are parameters.profiles (`profiles` below describes each)
    parameters: rep.params,
    designStatus: Object.fromEntries(rep.params.designs.map((d) => [d, status(d)])),
    conclusion: { recommended: c.recommended, text: c.text },
  };
  return `${stringify({ ...head, ...withoutTiming(rep) }, '')}\n`;
}

/** Throughput of each run (ops/s): wall-clock figures, for the terminal only. */
export function throughputText(rep: CompareReport): string {
  const lines = rep.runs.map(
    (r) => `  ${r.profile} · ${r.workload} · ${r.design}: ${r.opsPerSec.toLocaleString('en-US')} ops/s`,
  );
  return `throughput (not in the reports, which are the same for the same seed):\n${lines.join('\n')}\n`;
}

/** A deep copy without the timing fields (for determinism checks). */
export function withoutTiming<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => withoutTiming(x)) as T;
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (TIMING_FIELDS.includes(k)) continue;
    out[k] = withoutTiming(x);
  }
  return out as T;
}
