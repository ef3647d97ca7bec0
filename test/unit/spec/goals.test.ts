/** Each goal: unreached at boot, reached by the ops that make its state, not by the near miss. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Kernel } from '../../../src/model/kernel.ts';
import type { Op } from '../../../src/model/ops.ts';
import { GOALS } from '../../../src/spec/goals.ts';
import { boot, KiB, uncachedCma } from '../../helpers/kernel.ts';

const goal = (id: string) => {
  const g = GOALS.find((x) => x.id === id);
  if (!g) throw new Error(`no goal ${id}`);
  return g;
};
/** The goals reached after each op, as ids. */
function reachedAfter(k: Kernel, ops: Op[]): string[][] {
  return ops.map((op) => {
    expect(k.apply(op).ok, JSON.stringify(op)).toBe(true);
    return GOALS.filter((g) => g.reached(k)).map((g) => g.id);
  });
}

describe('the goal registry', () => {
  it('ids are unique and the required flags match the docs table', () => {
    const ids = GOALS.map((g) => g.id);
    expect(new Set(ids).size).toBe(ids.length);
    const doc = readFileSync('docs/invariants.md', 'utf8').split('## Goals')[1]!;
    const rows = [...doc.matchAll(/^\| `([a-z0-9-]+)` \| [^|]+ \| (yes|no)\b/gm)].map((m) => [
      m[1],
      m[2] === 'yes',
    ]);
    expect(rows).toEqual(GOALS.map((g) => [g.id, g.required]));
  });
  it('no goal is reached at boot', () => {
    for (const design of ['legacy-3.18', 'cma-direct-remap', 'dmabuf-heap-cma'])
      expect(
        GOALS.filter((g) => g.reached(boot('tiny', design))).map((g) => g.id),
        design,
      ).toEqual([]);
  });
});

describe('vmalloc-90', () => {
  it('reached at 90% of the 512-page window, live or lazy; gone when the lazy area is purged', () => {
    const k = boot('tiny', 'cma-direct-remap');
    const window = k.mm.vmalloc.endPage - k.mm.vmalloc.startPage;
    const base = k.mm.vmalloc.usedPages;
    // 440 pages + guard: below 90%
    k.apply({ op: 'driver-vmap', pages: 440 });
    expect(k.mm.vmalloc.usedPages).toBe(base + 441);
    expect(k.mm.vmalloc.usedPages).toBeLessThan(0.9 * window);
    expect(goal('vmalloc-90').reached(k)).toBe(false);
    k.apply({ op: 'driver-vmap', pages: 15 });
    expect(k.mm.vmalloc.usedPages).toBeGreaterThanOrEqual(0.9 * window);
    expect(goal('vmalloc-90').reached(k)).toBe(true);
    k.apply({ op: 'driver-vunmap', area: 0 });
    expect(goal('vmalloc-90').reached(k)).toBe(true);
    k.apply({ op: 'purge' });
    expect(goal('vmalloc-90').reached(k)).toBe(false);
  });
});

describe('cma-90-fragmented', () => {
  const cached64k: Op = { op: 'alloc', client: 1, heap: 'cma', len: 64 * KiB, cached: true };
  it('reached once the 1024-page area is 90% used with a free run left, not when it is full', () => {
    const k = boot('tiny', 'cma-direct-remap');
    const c = k.mm.cma!;
    expect(c.count).toBe(1024);
    for (let i = 0; i < 57; i++) k.apply(cached64k);
    expect(c.usedPages).toBeLessThan(0.9 * 1024);
    expect(goal('cma-90-fragmented').reached(k)).toBe(false);
    k.apply(cached64k);
    expect(c.usedPages).toBeGreaterThanOrEqual(0.9 * 1024);
    expect(c.largestFreeRunPages()).toBe(80);
    expect(goal('cma-90-fragmented').reached(k)).toBe(true);
    while (k.apply({ op: 'alloc', client: 1, heap: 'cma', len: 4 * KiB, cached: true }).ok);
    expect(c.largestFreeRunPages()).toBe(0);
    expect(goal('cma-90-fragmented').reached(k)).toBe(false);
  });
  it('never reached without a CMA area', () => {
    const k = boot('tiny,cma=0', 'cma-direct-remap');
    expect(k.mm.cma).toBeFalsy();
    expect(goal('cma-90-fragmented').reached(k)).toBe(false);
  });
});

describe('shared-mapped-by-two and exit-with-mmap', () => {
  it('a buffer held by two clients is reached while kmapped or mmapped; an exit with a live VMA is reached at the exit only', () => {
    const k = boot('tiny', 'cma-direct-remap');
    const got = reachedAfter(k, [
      uncachedCma(4 * KiB),
      { op: 'share', client: 1, handle: 0 },
      { op: 'kmap', client: 1, handle: 0 },
      { op: 'import', client: 2, fd: 0 },
      { op: 'kunmap', client: 1, handle: 0 },
      { op: 'mmap', fd: 0 },
      { op: 'client-exit', client: 2 },
      { op: 'purge' },
      { op: 'munmap', vma: 0 },
      { op: 'client-exit', client: 1 },
    ]);
    expect(got).toEqual([
      [],
      [],
      [], // kmapped, but one client
      ['shared-mapped-by-two'],
      [],
      ['shared-mapped-by-two'],
      ['exit-with-mmap'], // client 2 gone: one holder left
      [],
      [],
      [], // exit without a live VMA
    ]);
  });
});

describe('lowmem-type-twice', () => {
  it('reached when a lowmem CMA page flips to NC and back (cma-direct-remap, arm32-1g-cma512), never on cma-direct', () => {
    const ops: Op[] = [uncachedCma(16 * KiB), { op: 'free', client: 1, handle: 0 }, { op: 'purge' }];
    const remap = reachedAfter(boot('arm32-1g-cma512', 'cma-direct-remap'), ops);
    expect(remap.map((ids) => ids.includes('lowmem-type-twice'))).toEqual([false, true, false]);
    const direct = reachedAfter(boot('arm32-1g-cma512', 'cma-direct'), ops);
    expect(direct.map((ids) => ids.includes('lowmem-type-twice'))).toEqual([false, false, false]);
  });
});
