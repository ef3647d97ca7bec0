/**
 * What `ionck explore` prints: a text summary per design (one line per invariant: the shortest
 * counterexample with its ops, or "none within depth D") and the same as JSON. Pure functions of
 * the results; the CLI writes them.
 */

import type { ExploreResult } from '../explore/search.ts';
import { opBrief } from '../model/ops.ts';
import { fmt } from './text.ts';

export interface ExploreReport {
  readonly profile: string;
  readonly depth: number;
  readonly results: readonly ExploreResult[];
}

const ms = (x: number): string => (x < 1000 ? `${Math.round(x)} ms` : `${(x / 1000).toFixed(2)} s`);
/** Per second over the search's elapsed time (0 when no time was measured). */
const perSec = (n: number, elapsedMs: number): number => (elapsedMs > 0 ? (1000 * n) / elapsedMs : 0);

/** How states were told apart: the key kind, the symmetry reduction, the workers. */
function keysNote(r: ExploreResult): string {
  const keys = r.keys === 'sha256' ? 'sha256 keys' : '64-bit fingerprints';
  const sym = r.symmetries > 0 ? `, ${r.symmetries + 1} client renamings per state` : '';
  const workers = r.workers > 1 ? `, ${r.workers} workers` : '';
  return `${keys}${sym}${workers}`;
}

function effortLine(r: ExploreResult): string {
  const stop =
    r.stoppedBy === 'all-found'
      ? ', stopped: every invariant violated'
      : r.stoppedBy !== null
        ? `, stopped by ${r.stoppedBy}: complete to depth ${r.depthCompleted} only`
        : '';
  const rate = `${fmt(perSec(r.statesExplored, r.elapsedMs))} states/s, ${fmt(perSec(r.distinctStates, r.elapsedMs))} distinct/s`;
  return `${r.statesExplored} states explored, ${r.distinctStates} distinct, ${ms(r.elapsedMs)} (${rate}; ${keysNote(r)})${stop}`;
}

export function renderText(rep: ExploreReport): string {
  const out: string[] = [];
  const width = Math.max(...rep.results.flatMap((r) => r.invariants.map((i) => i.length)), 10);
  for (const r of rep.results) {
    if (r.failure !== undefined) {
      out.push(`${r.design} on ${r.profile}: FAILED (${r.failure})`);
      continue;
    }
    out.push(
      `${r.design} on ${r.profile}, depth ${r.depth} (alphabet ${r.alphabetSize} ops): ${effortLine(r)}`,
    );
    for (const id of r.invariants) {
      const c = r.counterexamples[id];
      if (!c) {
        out.push(`  ${id.padEnd(width)}  none within depth ${r.depthCompleted}`);
        continue;
      }
      out.push(
        `  ${id.padEnd(width)}  VIOLATED at depth ${c.depth}: ${c.ops.map(opBrief).join(', ') || '(at boot)'}`,
      );
      out.push(`  ${''.padEnd(width)}    ${c.message}`);
      out.push(`  ${''.padEnd(width)}    ops: ${JSON.stringify(c.ops)}`);
      out.push(
        `  ${''.padEnd(width)}    found after ${c.statesExplored} states (${c.distinctStates} distinct), ${ms(c.elapsedMs)}`,
      );
    }
    for (const b of r.modelBugs)
      out.push(`  MODEL BUG (${b.check}) after ${JSON.stringify(b.ops)}: ${b.message}`);
  }
  return `${out.join('\n')}\n`;
}

/** The JSON form: `{ profile, depth, results: [ { design, ..., invariants: [...] } ] }`. */
export function toJson(rep: ExploreReport): unknown {
  return {
    profile: rep.profile,
    depth: rep.depth,
    results: rep.results.map((r) => ({
      design: r.design,
      profile: r.profile,
      depth: r.depth,
      depthCompleted: r.depthCompleted,
      stoppedBy: r.stoppedBy,
      alphabetSize: r.alphabetSize,
      statesExplored: r.statesExplored,
      distinctStates: r.distinctStates,
      statesExpanded: r.statesExpanded,
      keys: r.keys,
      symmetries: r.symmetries,
      workers: r.workers,
      elapsedMs: Math.round(r.elapsedMs),
      statesPerSec: {
        explored: Math.round(perSec(r.statesExplored, r.elapsedMs)),
        distinct: Math.round(perSec(r.distinctStates, r.elapsedMs)),
      },
      ...(r.failure !== undefined ? { failure: r.failure } : {}),
      status:
        r.failure !== undefined
          ? 'failed'
          : r.modelBugs.length > 0
            ? 'model-bug'
            : r.invariants.some((i) => r.counterexamples[i])
              ? 'violated'
              : 'held',
      invariants: r.invariants.map((id) => {
        const c = r.counterexamples[id];
        if (!c) return { invariant: id, status: 'none', withinDepth: r.depthCompleted };
        return {
          invariant: id,
          status: 'violated',
          depth: c.depth,
          message: c.message,
          ops: c.ops,
          statesExplored: c.statesExplored,
          distinctStates: c.distinctStates,
          elapsedMs: Math.round(c.elapsedMs),
        };
      }),
      modelBugs: r.modelBugs,
      timingMs: Object.fromEntries(Object.entries(r.timing).map(([k, v]) => [k, Math.round(v)])),
    })),
  };
}
