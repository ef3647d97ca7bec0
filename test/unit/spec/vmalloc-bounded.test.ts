/** vmalloc-bounded catches window pinned by unmapped buffers (B2) or overfilled; holds with kmaps. */
import { describe, expect, it } from 'vitest';
import { VM_TAG } from '../../../src/model/mm.ts';
import type { Op } from '../../../src/model/ops.ts';
import { vmallocBounded } from '../../../src/spec/vmalloc-bounded.ts';
import { boot, bootWith, checkBoth, KiB, uncachedCma, verdict } from '../../helpers/kernel.ts';

const kmap = (handle: number): Op => ({ op: 'kmap', client: 1, handle });
const kunmap = (handle: number): Op => ({ op: 'kunmap', client: 1, handle });
const free = (handle: number): Op => ({ op: 'free', client: 1, handle });

describe('vmalloc-bounded on op sequences', () => {
  it('violated on legacy-3.18 (arm32-1g) by one unmapped 1 MiB highmem CMA buffer: 256 pages + guard (B2)', () => {
    const v = verdict('arm32-1g', 'legacy-3.18', [uncachedCma()], 'vmalloc-bounded');
    expect(v?.step).toBe(0);
    expect(v?.message).toMatch(/257 window pages/);
  });
  it('holds on cma-direct (arm32-1g): the kmapped buffer justifies its mapping', () => {
    expect(verdict('arm32-1g', 'cma-direct', [uncachedCma(), kmap(0)], 'vmalloc-bounded')).toBeNull();
  });
  it('holds on legacy-3.18 with lowmem CMA (arm32-1g-cma512): no remap, no window (DMA318-6)', () => {
    expect(
      verdict('arm32-1g-cma512', 'legacy-3.18', [uncachedCma(), uncachedCma()], 'vmalloc-bounded'),
    ).toBeNull();
  });
});

describe('vmalloc-bounded follows kmaps on legacy-3.18 (tiny): held = 17 + 5 pages of DMA remaps', () => {
  const steps: [Op, string | null][] = [
    [
      uncachedCma(64 * KiB),
      'ION holds 17 window pages for buffer mappings; kernel-mapped buffers justify 0 (17 pages pinned by unmapped buffers)',
    ],
    [kmap(0), null],
    [
      uncachedCma(16 * KiB),
      'ION holds 22 window pages for buffer mappings; kernel-mapped buffers justify 17 (5 pages pinned by unmapped buffers)',
    ],
    [
      kunmap(0),
      'ION holds 22 window pages for buffer mappings; kernel-mapped buffers justify 0 (22 pages pinned by unmapped buffers)',
    ],
    [
      kmap(1),
      'ION holds 22 window pages for buffer mappings; kernel-mapped buffers justify 5 (17 pages pinned by unmapped buffers)',
    ],
    [free(0), null],
    [free(1), null],
  ];
  it('after each op, both forms', () => {
    const k = boot('tiny', 'legacy-3.18');
    expect(checkBoth(vmallocBounded, k)).toBeNull();
    for (const [op, want] of steps) {
      expect(k.apply(op).ok).toBe(true);
      const v = checkBoth(vmallocBounded, k);
      expect(v?.message ?? null, JSON.stringify(op)).toBe(want);
      if (v) expect(v).toMatchObject({ invariant: 'vmalloc-bounded', pfns: [], mappings: [] });
    }
  });
});

describe('vmalloc-bounded on hand-corrupted window figures', () => {
  it('live + lazy areas beyond the window are reported with both figures', () => {
    const k = bootWith('tiny', 'cma-direct-remap', [uncachedCma(64 * KiB), kmap(0)]);
    expect(checkBoth(vmallocBounded, k)).toBeNull();
    const window = k.mm.vmalloc.endPage - k.mm.vmalloc.startPage;
    expect(window).toBe(512);
    Object.defineProperty(k.mm.vmalloc, 'usedPages', { get: () => window + 3 });
    expect(checkBoth(vmallocBounded, k)?.message).toBe(
      'live + lazy vmalloc areas use 515 pages of a 512-page window',
    );
  });

  it("the incremental form reads the model's per-tag and kmapped counters; the full form recounts areas and buffers", () => {
    const k = bootWith('tiny', 'legacy-3.18', [uncachedCma(64 * KiB), kmap(0)]);
    expect(k.mm.vmTagPages[VM_TAG.ION_MAP]).toBe(17);
    expect(k.ion.kmappedWindowPages).toBe(17);
    // a counter that drifted from the areas: only the O(1) form sees it
    k.mm.vmTagPages[VM_TAG.ION_MAP] = 20;
    expect(vmallocBounded.incremental(k)?.message).toMatch(/holds 20 window pages.*justify 17 \(3 pages/);
    expect(vmallocBounded.full(k)).toBeNull();
    // a buffer whose kmap count says mapped while ION's sum forgot it: only the full form counts it
    k.mm.vmTagPages[VM_TAG.ION_MAP] = 17;
    k.ion.kmappedWindowPages = 0;
    expect(vmallocBounded.incremental(k)?.message).toMatch(/justify 0 \(17 pages pinned/);
    expect(vmallocBounded.full(k)).toBeNull();
    k.ion.buffers.get(0)!.kmapCnt = 0;
    expect(vmallocBounded.full(k)?.message).toMatch(/holds 17 window pages.*justify 0/);
  });
});
