/**
 * The fixed decomposition of one design's search (docs/architecture.md section 6): the run budget
 * is cut into chunks of CHUNK_RUNS runs, whatever the number of workers; chunk c is searched from
 * its own seed, deriveSeed(seed, c), for every finding, on its own. The chunks' results are merged
 * in chunk order by mergeChunks, a pure function, so the inline check (chunks one after the other)
 * and `--workers N` (chunks spread over processes) give the same result. Nothing here runs the model.
 */
import { OP_KINDS, type Op, type OpKind } from '../model/ops.ts';
import { GOALS } from '../spec/index.ts';
import type { ActionStat } from './check-result.ts';
import type { FindingId } from './commands.ts';

/** Runs per chunk: small enough to spread 400 runs over a few workers, large enough for fast-check's bias to ease off. */
export const CHUNK_RUNS = 25;

export interface Chunk {
  /** From 0, in run order. */
  readonly index: number;
  readonly runs: number;
}

/** Seed of chunk c: the base seed for the first, mixed after. */
export function deriveSeed(seed: number, k: number): number {
  if (k === 0) return seed;
  return (Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) + Math.imul(k, 0x9e3779b1)) >>> 1;
}

/** The chunks of a budget of `runs` runs: CHUNK_RUNS each, the last one what is left. */
export function chunkPlan(runs: number): Chunk[] {
  const out: Chunk[] = [];
  for (let done = 0, index = 0; done < runs; index++, done += CHUNK_RUNS)
    out.push({ index, runs: Math.min(CHUNK_RUNS, runs - done) });
  return out;
}

/** Where a finding showed first: fast-check's run `run` (from 0) of the chunk seeded `seed`. */
export interface FindingSource {
  readonly finding: FindingId;
  readonly chunk: number;
  readonly seed: number;
  readonly run: number;
}

/** What one chunk's search saw: a function of the design, profile, options and the chunk alone. */
export interface ChunkResult {
  readonly chunk: number;
  readonly seed: number;
  /** Search runs executed (fewer than the chunk's when it found everything or a time limit cut it). */
  readonly runs: number;
  readonly opsApplied: number;
  readonly actions: Readonly<Record<OpKind, ActionStat>>;
  /** Per goal (GOALS order): the shortest op prefix that reached it, the first one on a tie. */
  readonly reached: readonly (readonly Op[] | null)[];
  /** The chunk's findings in the order found, each with the run that showed it first. */
  readonly findings: readonly FindingSource[];
  /** A time limit ended the chunk before its runs. */
  readonly interrupted: boolean;
}

/**
 * The chunks merged: what a single search over them in chunk order records. Its findings are, per
 * finding, the source in the lowest chunk that found it; `interrupted`: some chunk before the
 * search was complete did not run to its end (a time limit).
 */
export type MergedSearch = Omit<ChunkResult, 'chunk' | 'seed'>;

/** When the search is over: every finding found (or, stopWhenFound, every chosen invariant). */
export type Completion = (found: ReadonlySet<FindingId>) => boolean;

export function completion(
  all: readonly FindingId[],
  chosen: readonly FindingId[],
  stopWhenFound: boolean,
): Completion {
  const wanted = stopWhenFound ? chosen : all;
  return (found) => wanted.every((id) => found.has(id));
}

export const emptyActions = (): Record<OpKind, ActionStat> =>
  Object.fromEntries(OP_KINDS.map((k) => [k, { applied: 0, ok: 0, failed: 0 }])) as Record<
    OpKind,
    ActionStat
  >;

/**
 * Merge chunk results (any order, any subset of `plan`) in plan order: counters summed, per goal
 * the shortest prefix (the lower chunk on a tie), per finding the lowest chunk's source. Chunks
 * after the first prefix that completes the search are ignored, so a worker that ran ahead
 * changes nothing; a missing or cut chunk before that point makes the result interrupted.
 */
export function mergeChunks(
  plan: readonly Chunk[],
  results: readonly ChunkResult[],
  complete: Completion,
): MergedSearch {
  const byIndex = new Map(results.map((r) => [r.chunk, r]));
  const actions = emptyActions();
  const reached: (readonly Op[] | null)[] = GOALS.map(() => null);
  const findings: FindingSource[] = [];
  const found = new Set<FindingId>();
  let runs = 0;
  let opsApplied = 0;
  let interrupted = false;
  for (const c of plan) {
    if (complete(found)) break;
    const r = byIndex.get(c.index);
    if (!r) {
      interrupted = true;
      continue;
    }
    runs += r.runs;
    opsApplied += r.opsApplied;
    interrupted ||= r.interrupted;
    for (const k of OP_KINDS) {
      actions[k].applied += r.actions[k].applied;
      actions[k].ok += r.actions[k].ok;
      actions[k].failed += r.actions[k].failed;
    }
    r.reached.forEach((ops, g) => {
      const best = reached[g];
      if (ops && (!best || ops.length < best.length)) reached[g] = ops;
    });
    for (const f of r.findings) {
      if (found.has(f.finding)) continue;
      found.add(f.finding);
      findings.push(f);
    }
  }
  return { runs, opsApplied, actions, reached, findings, interrupted };
}
