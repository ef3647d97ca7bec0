/**
 * FaultyCmaHeap (src/model/designs/zoo/cma-heap-faults.ts): cma-direct-remap's CMA heap
 * (HEAP-CMA-4 as fixed) with one fault switched on. With none it is the same machine as
 * cma-direct-remap; each fault changes exactly what its name says (CMA-4 alignment, CMA-5
 * release count, ION-9 mmap range, HEAP-CMA-4 zeroing, B6's buddy/CMA mismatch).
 */
import { describe, expect, it } from 'vitest';
import { defineDesign, HEAP_ID, standardHeaps } from '../../../../../src/model/designs/design.ts';
import { type CmaHeapFaults, FaultyCmaHeap } from '../../../../../src/model/designs/zoo/cma-heap-faults.ts';
import { REMAP_LINEAR } from '../../../../../src/model/ion/heaps/linear-policy.ts';
import { Kernel } from '../../../../../src/model/kernel.ts';
import type { Op } from '../../../../../src/model/ops.ts';
import { resolveProfile } from '../../../../../src/model/profile.ts';
import { alloc, boot, KiB, MiB } from '../../../../helpers/kernel.ts';
import { free0, share } from '../../../../helpers/zoo.ts';

const faulty = (faults: CmaHeapFaults, profile = 'tiny') =>
  Kernel.boot(
    resolveProfile(profile),
    defineDesign({
      id: 'test-faulty-cma',
      summary: 'FaultyCmaHeap under test',
      citations: [],
      dmaLayer: '4.1',
      heaps: (ctx) => [...standardHeaps(ctx, REMAP_LINEAR), new FaultyCmaHeap(HEAP_ID.cma, faults)],
    }),
  );

/** Offset of handle h's first page from the CMA area base, in pages. */
const offsetOf = (k: Kernel, h: number) => k.ion.handles[h]!.buffer.pages[0]! - k.mm.cma!.basePage;

describe('FaultyCmaHeap with no fault is cma-direct-remap', () => {
  it('the same op sequence gives the same machine state (hash) on tiny and on arm32-1g-cma512', () => {
    const ops: Op[] = [
      alloc(4 * KiB),
      alloc(100_000, { cached: true }),
      share,
      { op: 'mmap', fd: 0 },
      { op: 'write', vma: 0 },
      { op: 'kmap', client: 1, handle: 1 },
      { op: 'munmap', vma: 0 },
      { op: 'close', fd: 0 },
      free0,
      { op: 'kunmap', client: 1, handle: 1 },
      { op: 'free', client: 1, handle: 1 },
      alloc(16 * KiB),
    ];
    for (const profile of ['tiny', 'arm32-1g-cma512']) {
      const a = faulty({}, profile);
      const b = boot(profile, 'cma-direct-remap');
      const ra = ops.map((op) => a.apply(op));
      const rb = ops.map((op) => b.apply(op));
      expect(ra.map((r) => [r.ok, r.value ?? r.errno])).toEqual(rb.map((r) => [r.ok, r.value ?? r.errno]));
      expect(a.hash(), profile).toBe(b.hash());
    }
  });
});

describe('each fault does what its name says', () => {
  it('alignRoundsDown: a 3-page buffer is aligned to ilog2(3) = 1 (2 pages), not get_order = 2 (4 pages)', () => {
    const ops = [alloc(4 * KiB), alloc(12 * KiB)];
    const good = faulty({});
    const bad = faulty({ alignRoundsDown: true });
    for (const op of ops) expect([good.apply(op).ok, bad.apply(op).ok]).toEqual([true, true]);
    expect(offsetOf(good, 1) % 4).toBe(0);
    expect(offsetOf(bad, 1) % 4).toBe(2);
  });

  it('alignCapOneLess: a 1 MiB buffer is 512 KiB aligned (order 7), not 1 MiB (CONFIG_CMA_ALIGNMENT 8)', () => {
    const good = faulty({});
    const bad = faulty({ alignCapOneLess: true });
    for (const k of [good, bad]) {
      k.apply(alloc(4 * KiB));
      expect(k.apply(alloc(MiB)).ok).toBe(true);
    }
    expect(offsetOf(good, 1) % 256).toBe(0);
    expect(offsetOf(bad, 1) % 256).toBe(128);
  });

  it('releaseOneShort: one page of every freed buffer stays allocated in the area', () => {
    const k = faulty({ releaseOneShort: true });
    const used = k.mm.cma!.usedPages;
    k.apply(alloc(16 * KiB));
    k.apply(free0);
    expect(k.mm.cma!.usedPages - used).toBe(1);
  });

  it('leakOrder 5: a 32-page (order 5) buffer is never released; a 16-page one is', () => {
    const k = faulty({ leakOrder: 5 });
    const used = k.mm.cma!.usedPages;
    k.apply(alloc(64 * KiB));
    k.apply(free0);
    expect(k.mm.cma!.usedPages).toBe(used);
    k.apply(alloc(128 * KiB));
    k.apply({ op: 'free', client: 1, handle: 1 });
    expect(k.mm.cma!.usedPages - used).toBe(32);
  });

  it('mmapOffsetTwice / mmapOnePastEnd: the user mapping reaches past the 4-page buffer', () => {
    const run = (f: CmaHeapFaults, mmap: Op) => {
      const k = faulty(f);
      for (const op of [alloc(16 * KiB), share, mmap]) expect(k.apply(op).ok).toBe(true);
      const buf = k.ion.handles[0]!.buffer;
      return [...k.ion.vmas[0]!.mapping!.pages].map((p) => p - buf.pages[0]!);
    };
    const partial: Op = { op: 'mmap', fd: 0, pgoff: 2, pages: 2 };
    expect(run({}, partial)).toEqual([2, 3]);
    expect(run({ mmapOffsetTwice: true }, partial)).toEqual([4, 5]);
    expect(run({}, { op: 'mmap', fd: 0 })).toEqual([0, 1, 2, 3]);
    expect(run({ mmapOnePastEnd: true }, { op: 'mmap', fd: 0 })).toEqual([0, 1, 2, 3, 4]);
  });

  it('zeroOnlyUncached: a cached buffer is handed out without zeroing, an uncached one is zeroed', () => {
    const k = faulty({ zeroOnlyUncached: true });
    expect(k.apply(alloc(16 * KiB, { cached: true })).callPath).not.toContain('remapZeroOwnType');
    expect(k.apply(alloc(16 * KiB)).callPath).toContain('remapZeroOwnType');
    expect(faulty({}).apply(alloc(16 * KiB, { cached: true })).callPath).toContain('remapZeroOwnType');
  });

  it('allocFromBuddyFreeAsCma (B6): pages from the buddy allocator, outside the CMA area', () => {
    const k = faulty({ allocFromBuddyFreeAsCma: true });
    const r = k.apply(alloc(16 * KiB, { cached: true }));
    expect(r.callPath).toContain('allocPages');
    expect(r.callPath).not.toContain('cmaAlloc');
    expect(k.mm.cma!.contains(k.ion.handles[0]!.buffer.pages[0]!)).toBe(false);
  });
});
