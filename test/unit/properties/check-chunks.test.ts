/**
 * The fixed decomposition of a design's search: the chunk plan, chunk seeds, and the merge that
 * makes the result independent of which process ran which chunk (and in what order).
 */
import { describe, expect, it } from 'vitest';
import type { Op } from '../../../src/model/ops.ts';
import {
  CHUNK_RUNS,
  type ChunkResult,
  chunkPlan,
  completion,
  deriveSeed,
  emptyActions,
  mergeChunks,
} from '../../../src/properties/check-chunks.ts';
import type { FindingId } from '../../../src/properties/commands.ts';
import { GOALS } from '../../../src/spec/index.ts';

const ALL: FindingId[] = ['type-ok', 'no-conflicting-alias', 'vmalloc-bounded', 'model-exception'];
const done = completion(ALL, ['no-conflicting-alias', 'vmalloc-bounded'], false);
const purge: Op = { op: 'purge' };
const shrink: Op = { op: 'shrink' };

function chunk(index: number, o: Partial<ChunkResult> & { found?: [FindingId, number][] } = {}): ChunkResult {
  const actions = emptyActions();
  actions.purge.applied = 10 + index;
  return {
    chunk: index,
    seed: deriveSeed(1, index),
    runs: CHUNK_RUNS,
    opsApplied: 100 + index,
    actions,
    reached: GOALS.map(() => null),
    findings: (o.found ?? []).map(([finding, run]) => ({
      finding,
      chunk: index,
      seed: deriveSeed(1, index),
      run,
    })),
    interrupted: false,
    ...o,
  };
}

describe('chunkPlan and deriveSeed', () => {
  it('cuts a budget into CHUNK_RUNS-run chunks, the last one the rest, whatever the budget', () => {
    expect(chunkPlan(1)).toEqual([{ index: 0, runs: 1 }]);
    expect(chunkPlan(CHUNK_RUNS * 2 + 3).map((c) => c.runs)).toEqual([CHUNK_RUNS, CHUNK_RUNS, 3]);
    for (const runs of [1, 60, 150, 400, 1001])
      expect(chunkPlan(runs).reduce((a, c) => a + c.runs, 0)).toBe(runs);
  });

  it('chunk 0 keeps the base seed; the others get distinct seeds', () => {
    expect(deriveSeed(7, 0)).toBe(7);
    const seeds = new Set(Array.from({ length: 64 }, (_, c) => deriveSeed(7, c)));
    expect(seeds.size).toBe(64);
    expect(deriveSeed(7, 1)).not.toBe(deriveSeed(8, 1));
  });
});

describe('mergeChunks', () => {
  const plan = chunkPlan(CHUNK_RUNS * 4);

  it('keeps, per finding, the lowest chunk that found it, and sums the counters', () => {
    const results = [
      chunk(0, { found: [['vmalloc-bounded', 7]] }),
      chunk(1, {
        found: [
          ['no-conflicting-alias', 3],
          ['vmalloc-bounded', 1],
        ],
      }),
      chunk(2, { found: [['no-conflicting-alias', 0]] }),
      chunk(3),
    ];
    const m = mergeChunks(plan, results, done);
    expect(m.findings).toEqual([
      { finding: 'vmalloc-bounded', chunk: 0, seed: 1, run: 7 },
      { finding: 'no-conflicting-alias', chunk: 1, seed: deriveSeed(1, 1), run: 3 },
    ]);
    expect(m.runs).toBe(CHUNK_RUNS * 4);
    expect(m.opsApplied).toBe(100 + 101 + 102 + 103);
    expect(m.actions.purge.applied).toBe(10 + 11 + 12 + 13);
    expect(m.interrupted).toBe(false);
  });

  it('gives the same merge whatever order the chunks came back in', () => {
    const results = [
      chunk(0, { found: [['type-ok', 4]] }),
      chunk(1, { found: [['no-conflicting-alias', 3]] }),
      chunk(2, { found: [['no-conflicting-alias', 0]], reached: GOALS.map(() => [purge]) }),
      chunk(3, { reached: GOALS.map(() => [shrink]) }),
    ];
    const forward = mergeChunks(plan, results, done);
    expect(mergeChunks(plan, [...results].reverse(), done)).toEqual(forward);
    expect(mergeChunks(plan, [results[2]!, results[0]!, results[3]!, results[1]!], done)).toEqual(forward);
    // goals: the shortest prefix, the lower chunk on a tie
    expect(forward.reached.every((ops) => ops?.[0] === purge)).toBe(true);
  });

  it('ignores chunks after the search is complete, so a worker that ran ahead changes nothing', () => {
    const everything = chunk(1, { found: ALL.map((f, i) => [f, i]) });
    const m = mergeChunks(
      plan,
      [chunk(0), everything, chunk(2, { found: [['type-ok', 0]] }), chunk(3)],
      done,
    );
    expect(m.runs).toBe(CHUNK_RUNS * 2);
    expect(m.findings.map((f) => f.chunk)).toEqual([1, 1, 1, 1]);
    expect(mergeChunks(plan, [chunk(0), everything], done)).toEqual(m);
    // stopWhenFound: complete once the chosen invariants are found, type-ok and exceptions aside
    const chosen = completion(ALL, ['vmalloc-bounded'], true);
    const early = mergeChunks(plan, [chunk(0, { found: [['vmalloc-bounded', 2]] }), chunk(1)], chosen);
    expect(early.runs).toBe(CHUNK_RUNS);
  });

  it('a chunk missing or cut short before the search is complete makes the merge interrupted', () => {
    expect(mergeChunks(plan, [chunk(0), chunk(1), chunk(2), chunk(3)], done).interrupted).toBe(false);
    expect(mergeChunks(plan, [chunk(0), chunk(2), chunk(3)], done).interrupted).toBe(true);
    expect(mergeChunks(plan, [chunk(0), chunk(1, { interrupted: true, runs: 4 })], done)).toMatchObject({
      interrupted: true,
      runs: CHUNK_RUNS + 4,
    });
  });
});
