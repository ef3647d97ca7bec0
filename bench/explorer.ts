/**
 * Explorer throughput on the tiny profile: a bounded BFS (src/explore) of every built-in design to
 * a fixed depth, all invariants. "explored" counts transitions (a clone of the parent with one op
 * applied), "distinct" the states kept after hashing. The time split shows where a transition's
 * cost goes: cloning the parent, applying the op, hashing the child (sha256 over the whole state),
 * checking the invariants (on a clone the incremental checkers rebuild their memos by a full scan)
 * and replaying frontier states from the booted machine.
 */
import { explore } from '../src/explore/search.ts';
import { BUILTIN_DESIGNS } from '../src/model/designs/index.ts';
import { fmtRate, table } from './harness.ts';

export const EXPLORER_PROFILE = 'tiny';

export interface ExplorerRow {
  readonly design: string;
  readonly explored: number;
  readonly distinct: number;
  readonly ms: number;
  readonly timing: Readonly<Record<string, number>>;
}

export function runExplorerBench(log: (s: string) => void, depth = 3): ExplorerRow[] {
  const rows: ExplorerRow[] = [];
  // warm-up
  explore({ profile: EXPLORER_PROFILE, design: BUILTIN_DESIGNS[0]!, depth: 2, stopWhenAllFound: false });
  for (const design of BUILTIN_DESIGNS) {
    const r = explore({ profile: EXPLORER_PROFILE, design, depth, stopWhenAllFound: false });
    rows.push({
      design: design.id,
      explored: r.statesExplored,
      distinct: r.distinctStates,
      ms: r.elapsedMs,
      timing: r.timing,
    });
  }
  const pct = (r: ExplorerRow, k: string) => `${Math.round((100 * (r.timing[k] ?? 0)) / r.ms)}%`;
  log(
    table(
      [
        'design',
        'explored',
        'distinct',
        'time',
        'explored/s',
        'distinct/s',
        'clone',
        'apply',
        'hash',
        'check',
        'replay',
      ],
      rows.map((r) => [
        r.design,
        String(r.explored),
        String(r.distinct),
        `${(r.ms / 1000).toFixed(2)} s`,
        fmtRate((1000 * r.explored) / r.ms),
        fmtRate((1000 * r.distinct) / r.ms),
        pct(r, 'clone'),
        pct(r, 'apply'),
        pct(r, 'hash'),
        pct(r, 'check'),
        pct(r, 'replay'),
      ]),
    ),
  );
  return rows;
}
