/**
 * Swarm configurations turn kinds off, and their two new dimensions do what they say: an
 * all-cached swarm allocates cached, a newest-picks swarm names the newest object.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HEAP_NAMES } from '../../../src/model/ion/heap.ts';
import type { Action } from '../../../src/properties/arbitraries.ts';
import { type SwarmConfig, swarmActionArb, swarmConfigArb } from '../../../src/properties/swarm.ts';

const SEED = 1312;
const base: SwarmConfig = {
  off: [],
  heaps: HEAP_NAMES,
  clients: 4,
  sizes: 'everyday',
  cached: 'mixed',
  picks: 'mixed',
};
const sample = (c: SwarmConfig, n = 3000): Action[] =>
  fc.sample(swarmActionArb(c), { numRuns: n, seed: SEED });
const allocs = (xs: Action[]) => xs.filter((a) => a.kind === 'alloc');
const share = (xs: readonly unknown[], p: (x: never) => boolean) => xs.filter(p as never).length / xs.length;

describe('swarm', () => {
  it('a kind turned off never appears; the kinds kept do', () => {
    const xs = sample({ ...base, off: ['import', 'write', 'use'] });
    const kinds = new Set(xs.map((a) => a.kind));
    for (const k of ['import', 'write', 'use']) expect(kinds.has(k as Action['kind'])).toBe(false);
    for (const k of ['alloc', 'free', 'release', 'mmap']) expect(kinds.has(k as Action['kind'])).toBe(true);
  });

  it('an all-cached swarm allocates cached almost always; a mixed one seldom', () => {
    const cached = (c: SwarmConfig) =>
      share(allocs(sample(c)), (a: Extract<Action, { kind: 'alloc' }>) => a.cached === true);
    expect(cached({ ...base, cached: 'all' })).toBeGreaterThan(0.9);
    expect(cached(base)).toBeLessThan(0.35);
  });

  it('a newest-picks swarm names the newest object (or a gone one), never a random live one', () => {
    const modes = sample({ ...base, picks: 'newest' }).flatMap((a) =>
      'handle' in a ? [a.handle.mode] : 'fd' in a ? [a.fd.mode] : [],
    );
    expect(modes.length).toBeGreaterThan(100);
    expect(new Set(modes)).toEqual(new Set(['last', 'stale']));
  });

  it('configurations cover both values of each new dimension', () => {
    const cs = fc.sample(swarmConfigArb(HEAP_NAMES), { numRuns: 200, seed: SEED });
    expect(new Set(cs.map((c) => c.cached))).toEqual(new Set(['mixed', 'all']));
    expect(new Set(cs.map((c) => c.picks))).toEqual(new Set(['mixed', 'newest']));
    expect(cs.every((c) => c.heaps.length >= 1 && c.clients >= 1 && c.clients <= 4)).toBe(true);
  });
});
