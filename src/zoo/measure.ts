/**
 * `ionck zoo`'s measurement: for each entry, the default `ionck check` budget (CHECK_DEFAULTS:
 * runs, ops per run; seeds 1..N) on the entry's profile, watching the entry's invariants; whether
 * and by which invariant the bug is found, after how many runs (deterministic) and how much wall
 * clock (elapsedMs fields only), the shrunk length; and the explorer's shortest length on `tiny`.
 *
 * Deterministic except the elapsedMs fields: the same entries and options give the same result.
 */
import { performance } from 'node:perf_hooks';
import { buildAlphabet, explore, type Letter, withOps } from '../explore/index.ts';
import type { Op } from '../model/ops.ts';
import { resolveProfile } from '../model/profile.ts';
import { CHECK_DEFAULTS, runCheck } from '../properties/check.ts';
import type { ZooEntry } from './entries.ts';

export interface ZooOptions {
  /** Seeds 1..seeds (default 5). */
  readonly seeds?: number;
  /** Explorer depth on tiny (default 4; 0 skips the explorer). */
  readonly exploreDepth?: number;
  /** Explorer state cap per entry (deterministic, unlike a time limit). */
  readonly exploreMaxStates?: number;
  readonly onEntry?: (done: number, total: number, id: string) => void;
}

export const ZOO_DEFAULTS = { seeds: 5, exploreDepth: 4, exploreMaxStates: 20_000 } as const;

export interface ZooSeedResult {
  readonly seed: number;
  /** The first of the entry's invariants found, or null (missed within the budget). */
  readonly invariant: string | null;
  /** Search runs up to and including the one that found it. */
  readonly runs: number | null;
  /** Ops of the shrunk (minimized) trace. */
  readonly shrunk: number | null;
  /** Wall clock until the finding run ended (null: missed). */
  readonly elapsedMs: number | null;
}

export interface ZooExplorer {
  /** Shortest trace length on tiny for any of the entry's invariants, or null. */
  readonly length: number | null;
  /** null when found; else why not: 'not within depth N' or 'state cap at depth N'. */
  readonly reason: string | null;
}

export interface ZooResult {
  readonly id: string;
  readonly kind: ZooEntry['kind'];
  readonly status: ZooEntry['status'];
  readonly design: string | null;
  readonly profile: string | null;
  readonly invariants: readonly string[];
  readonly note: string;
  /** Measured entries: found on every seed. Unmeasured: null. */
  readonly detected: boolean | null;
  readonly detectedSeeds: number;
  /** Invariants that found it, over the seeds. */
  readonly detectedBy: readonly string[];
  readonly runsToDetect: { readonly median: number; readonly worst: number } | null;
  readonly elapsedMs: { readonly median: number; readonly worst: number } | null;
  readonly shrunk: { readonly best: number; readonly worst: number } | null;
  readonly explorer: ZooExplorer | null;
  readonly seeds: readonly ZooSeedResult[];
}

export interface ZooReport {
  readonly seeds: number;
  readonly runs: number;
  readonly maxOps: number;
  readonly exploreDepth: number;
  readonly results: readonly ZooResult[];
  readonly summary: {
    readonly measured: number;
    readonly detected: number;
    readonly missed: readonly string[];
    /** Tiny entries the explorer reaches whose shrunk trace is as short as the explorer's. */
    readonly shrunkAsShortAsExplorer: { readonly equal: number; readonly of: number };
  };
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
};

/** One seed: the default check budget, stopping once the entry's invariants are found. */
async function measureSeed(e: ZooEntry, seed: number): Promise<ZooSeedResult> {
  const t0 = performance.now();
  // the run that found it: the last search-phase progress before the first finding was recorded
  let lastSearch: { runs: number; at: number } | null = null;
  let found: { runs: number; at: number } | null = null;
  const r = await runCheck({
    designs: [e.design!],
    profile: e.profile!,
    invariants: e.invariants,
    seed,
    stopWhenFound: true,
    onProgress: (p) => {
      if (p.phase !== 'search') return;
      if (p.findings > 0 && !found) found = lastSearch;
      if (p.findings === 0) lastSearch = { runs: p.runsDone, at: performance.now() };
    },
  });
  const d = r.results[0]!;
  const v = d.violations.find((x) => (e.invariants as readonly string[]).includes(x.invariant));
  if (!v) return { seed, invariant: null, runs: null, shrunk: null, elapsedMs: null };
  const at = (found ?? lastSearch) as { runs: number; at: number } | null;
  return {
    seed,
    invariant: v.invariant,
    runs: at?.runs ?? d.runs,
    shrunk: v.ops.length,
    elapsedMs: Math.round((at?.at ?? performance.now()) - t0),
  };
}

/**
 * The explorer's alphabet for the zoo: the default one plus the interleaving point (a racing FREE
 * of each handle) and a partial mmap of the last page of a 16 KiB buffer.
 */
export function zooAlphabet(depth: number): Letter[] {
  const extra: Op[] = [];
  for (let h = 0; h < depth; h++)
    for (const client of [1, 2]) extra.push({ op: 'free', client, handle: h, race: true });
  for (let fd = 0; fd < depth; fd++) extra.push({ op: 'mmap', fd, pgoff: 3, pages: 1 });
  return withOps(buildAlphabet(depth), extra);
}

function measureExplorer(e: ZooEntry, depth: number, maxStates: number): ZooExplorer {
  const x = explore({
    profile: resolveProfile('tiny'),
    design: e.design!,
    depth,
    invariants: e.invariants,
    alphabet: zooAlphabet(depth),
    maxStates,
  });
  const lengths = Object.values(x.counterexamples)
    .filter((c) => c !== null)
    .map((c) => c!.depth);
  if (lengths.length > 0) return { length: Math.min(...lengths), reason: null };
  return {
    length: null,
    reason:
      x.stoppedBy === 'max-states' ? `state cap at depth ${x.depthCompleted}` : `not within depth ${depth}`,
  };
}

export async function measureZoo(entries: readonly ZooEntry[], o: ZooOptions = {}): Promise<ZooReport> {
  const nSeeds = o.seeds ?? ZOO_DEFAULTS.seeds;
  const depth = o.exploreDepth ?? ZOO_DEFAULTS.exploreDepth;
  const results: ZooResult[] = [];
  for (const [i, e] of entries.entries()) {
    o.onEntry?.(i, entries.length, e.id);
    const base = {
      id: e.id,
      kind: e.kind,
      status: e.status,
      design: e.design?.id ?? null,
      profile: e.profile,
      invariants: [...e.invariants],
      note: e.note,
    };
    if (!e.design || !e.profile) {
      results.push({
        ...base,
        detected: null,
        detectedSeeds: 0,
        detectedBy: [],
        runsToDetect: null,
        elapsedMs: null,
        shrunk: null,
        explorer: null,
        seeds: [],
      });
      continue;
    }
    const seeds: ZooSeedResult[] = [];
    for (let s = 1; s <= nSeeds; s++) seeds.push(await measureSeed(e, s));
    const hits = seeds.filter((s) => s.invariant !== null);
    const runs = hits.map((s) => s.runs!);
    const times = hits.map((s) => s.elapsedMs!);
    const shrunk = hits.map((s) => s.shrunk!);
    results.push({
      ...base,
      detected: hits.length === nSeeds,
      detectedSeeds: hits.length,
      detectedBy: [...new Set(hits.map((s) => s.invariant!))].sort(),
      runsToDetect: hits.length ? { median: median(runs), worst: Math.max(...runs) } : null,
      elapsedMs: hits.length ? { median: median(times), worst: Math.max(...times) } : null,
      shrunk: hits.length ? { best: Math.min(...shrunk), worst: Math.max(...shrunk) } : null,
      explorer:
        depth > 0 ? measureExplorer(e, depth, o.exploreMaxStates ?? ZOO_DEFAULTS.exploreMaxStates) : null,
      seeds,
    });
  }
  o.onEntry?.(entries.length, entries.length, '');
  const measured = results.filter((r) => r.detected !== null);
  const comparable = measured.filter(
    (r) => r.profile === 'tiny' && r.explorer?.length != null && r.shrunk !== null,
  );
  return {
    seeds: nSeeds,
    runs: CHECK_DEFAULTS.runs,
    maxOps: CHECK_DEFAULTS.maxOps,
    exploreDepth: depth,
    results,
    summary: {
      measured: measured.length,
      detected: measured.filter((r) => r.detected).length,
      missed: measured.filter((r) => !r.detected).map((r) => r.id),
      shrunkAsShortAsExplorer: {
        equal: comparable.filter((r) => r.shrunk!.worst <= r.explorer!.length!).length,
        of: comparable.length,
      },
    },
  };
}
