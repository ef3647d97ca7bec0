/**
 * DesignSearch: a chunk's search and a finding's shrinking are functions of their inputs alone, so
 * a worker process may run any of them in any order (what `check --workers N` relies on).
 */
import { describe, expect, it } from 'vitest';
import { builtinDesign } from '../../../src/model/designs/index.ts';
import { HEAP_NAMES } from '../../../src/model/ion/heap.ts';
import { resolveProfile } from '../../../src/model/profile.ts';
import { chunkPlan, mergeChunks } from '../../../src/properties/check-chunks.ts';
import { checkDesign, DesignSearch, type SearchOptions } from '../../../src/properties/check-design.ts';
import { INVARIANT_IDS } from '../../../src/spec/index.ts';

const options: SearchOptions = {
  invariants: INVARIANT_IDS,
  maxOps: 40,
  seed: 11,
  mode: 'incremental',
  shrinkRunsMax: 100,
  heaps: HEAP_NAMES,
};
const profile = resolveProfile('tiny');
const legacy = builtinDesign('legacy-3.18')!;

describe('DesignSearch', () => {
  it('a chunk gives the same result whatever ran before it in the process', () => {
    const plan = chunkPlan(60);
    const forward = new DesignSearch(legacy, profile, options);
    const a = plan.map((c) => forward.searchChunk(c, Number.POSITIVE_INFINITY));
    const backward = new DesignSearch(legacy, profile, options);
    const b = [...plan].reverse().map((c) => backward.searchChunk(c, Number.POSITIVE_INFINITY));
    expect(b.reverse()).toEqual(a);
    // and it found something, so the comparison covers findings
    expect(a.flatMap((r) => r.findings).length).toBeGreaterThan(0);
  });

  it('shrinking a merged finding in another process gives checkDesign’s counterexample', () => {
    const plan = chunkPlan(60);
    const s = new DesignSearch(legacy, profile, options);
    const merged = mergeChunks(
      plan,
      plan.map((c) => s.searchChunk(c, Number.POSITIVE_INFINITY)),
      s.complete,
    );
    const inline = checkDesign(legacy, profile, {
      ...options,
      runs: 60,
      deadline: Number.POSITIVE_INFINITY,
      progress: undefined,
    });
    // a second search object stands for a worker process: the findings shrunk in reverse order
    const other = new DesignSearch(legacy, profile, options);
    const shrunk = [...merged.findings]
      .reverse()
      .map((f) => other.shrinkFinding(f, Number.POSITIVE_INFINITY));
    const byInvariant = (v: { invariant: string }[]) =>
      [...v].sort((x, y) => x.invariant.localeCompare(y.invariant));
    expect(byInvariant(shrunk.map((x) => x.violation))).toEqual(byInvariant([...inline.violations]));
    expect(inline.violations.length).toBe(merged.findings.length);
    expect(inline.runs).toBe(60);
  });

  it('a different base seed searches differently', () => {
    const c = chunkPlan(25)[0]!;
    const a = new DesignSearch(legacy, profile, options).searchChunk(c, Number.POSITIVE_INFINITY);
    const b = new DesignSearch(legacy, profile, { ...options, seed: 12 }).searchChunk(
      c,
      Number.POSITIVE_INFINITY,
    );
    expect(b.opsApplied).not.toBe(a.opsApplied);
  });
});
