/**
 * Explorer throughput on the tiny profile: a bounded BFS (src/explore) of every built-in design to
 * a fixed depth, all invariants, not stopping at the first violations. "explored" counts
 * transitions (a clone of the parent with one op applied), "distinct" the states kept (64-bit
 * fingerprints, one state per orbit of the client renamings). The time split shows where a
 * transition's cost goes: cloning the parent (Kernel.clone(reuse) of the previous sibling),
 * applying the op, fingerprinting the child (O(touched pages) plus the small structures),
 * checking the invariants (from the parent's memos) and replaying frontier states from the booted
 * machine; then the same search again, warm ("warm": distinct/s). "cpu" is this process's CPU
 * time (user + system) in the first search, a steadier figure than wall time on a shared
 * machine. Then one design with the frontier spread over worker processes, against the inline
 * search: the same result, and the speed-up.
 */
import { explore } from '../src/explore/search.ts';
import { exploreSharded } from '../src/explore/shards.ts';
import { BUILTIN_DESIGNS } from '../src/model/designs/index.ts';
import { cpuMs, fmtRate, fmtRatio, table } from './harness.ts';

export const EXPLORER_PROFILE = 'tiny';
export const EXPLORER_DEPTH = 4;
/** The design and worker count of the sharded row. */
export const SHARDED = { design: 'cma-direct-remap', workers: 2 } as const;

export interface ExplorerRow {
  readonly design: string;
  readonly explored: number;
  readonly distinct: number;
  /** The first search of the design (as one `ionck explore` runs it): wall ms, CPU ms, time split. */
  readonly ms: number;
  /** The same search run again straight after (the design's code paths warm). */
  readonly warmMs: number;
  readonly cpuMs: number;
  readonly timing: Readonly<Record<string, number>>;
}

export interface ShardedRow {
  readonly design: string;
  readonly workers: number;
  readonly inlineMs: number;
  readonly shardedMs: number;
  readonly speedup: number;
  readonly sameResult: boolean;
}

/** What must agree between an inline and a sharded search: everything but the time. */
function verdictKey(r: ReturnType<typeof explore>): string {
  const cx = Object.entries(r.counterexamples).map(([id, c]) => [
    id,
    c?.ops ?? null,
    c?.statesExplored ?? null,
  ]);
  return JSON.stringify([
    r.statesExplored,
    r.distinctStates,
    r.statesExpanded,
    r.depthCompleted,
    cx,
    r.modelBugs,
  ]);
}

export async function runExplorerBench(
  log: (s: string) => void,
  depth = EXPLORER_DEPTH,
): Promise<{ rows: ExplorerRow[]; sharded: ShardedRow }> {
  const rows: ExplorerRow[] = [];
  // warm-up
  explore({ profile: EXPLORER_PROFILE, design: BUILTIN_DESIGNS[0]!, depth: 3, stopWhenAllFound: false });
  for (const design of BUILTIN_DESIGNS) {
    // the first search is what one `ionck explore` gets (this design's code paths cold); the same
    // search again shows the warm rate a longer exploration settles at
    const search = () => explore({ profile: EXPLORER_PROFILE, design, depth, stopWhenAllFound: false });
    const c0 = cpuMs();
    const r = search();
    const cpu = cpuMs() - c0;
    rows.push({
      design: design.id,
      explored: r.statesExplored,
      distinct: r.distinctStates,
      ms: r.elapsedMs,
      warmMs: search().elapsedMs,
      cpuMs: cpu,
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
        'warm',
        'cpu',
        'distinct/cpu-s',
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
        fmtRate((1000 * r.distinct) / r.warmMs),
        `${(r.cpuMs / 1000).toFixed(2)} s`,
        fmtRate((1000 * r.distinct) / r.cpuMs),
        pct(r, 'clone'),
        pct(r, 'apply'),
        pct(r, 'hash'),
        pct(r, 'check'),
        pct(r, 'replay'),
      ]),
    ),
  );
  const o = { profile: EXPLORER_PROFILE, design: SHARDED.design, depth, stopWhenAllFound: false };
  const inline = explore(o);
  const sharded = await exploreSharded(o, SHARDED.workers);
  const row: ShardedRow = {
    design: SHARDED.design,
    workers: SHARDED.workers,
    inlineMs: inline.elapsedMs,
    shardedMs: sharded.elapsedMs,
    speedup: inline.elapsedMs / sharded.elapsedMs,
    sameResult: verdictKey(inline) === verdictKey(sharded),
  };
  log(
    `\n--workers ${row.workers} on ${row.design}, depth ${depth}: ${(row.shardedMs / 1000).toFixed(2)} s against ${(row.inlineMs / 1000).toFixed(2)} s inline, ${fmtRatio(row.speedup)}; same result: ${row.sameResult ? 'yes' : 'NO'}`,
  );
  return { rows, sharded: row };
}
