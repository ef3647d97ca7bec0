import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ModelBug } from '../../../src/model/types.ts';
import {
  type AllocResult,
  type AreaKind,
  type AreaState,
  type FreeResult,
  lazyMaxPagesOf,
  type PurgedArea,
  VMAP_BLOCK_TAG,
  VMAP_MAX_ALLOC,
  VmapAllocator,
  vmapBlockPagesOf,
} from '../../../src/model/vmalloc.ts';

// arm32-1g (GOLD-5, GOLD-17, GOLD-18): window 0xF0000000-0xFEFFFFFF in pages.
const START = 0xf0000;
const END = 0xff000;
const LAZY_MAX = 24576;
const BLOCK = 512;
const arm32 = (): VmapAllocator => new VmapAllocator(START, END, LAZY_MAX, BLOCK);

const started = (r: AllocResult): number => {
  if (!r.ok) throw new Error('allocation failed');
  return r.start;
};
const area = (start: number, pages: number, tag: number): PurgedArea => ({ start, pages, tag, kind: 'area' });

// ---------------------------------------------------------------------------------------------
// Golden numbers

describe('VmapAllocator: arm32-1g golden numbers', () => {
  it('derives lazy_max_pages and the block size from the CPU count (GOLD-17, GOLD-18)', () => {
    expect(lazyMaxPagesOf(4)).toBe(LAZY_MAX);
    expect(vmapBlockPagesOf(4)).toBe(BLOCK);
    expect(vmapBlockPagesOf(1)).toBe(1024);
    expect(vmapBlockPagesOf(64)).toBe(64);
    expect(arm32().freePages).toBe(61440);
  });

  it('places the pool, a 1 MiB remap and the first vmap block (GOLD-8, -9, -12, -17)', () => {
    const v = arm32();
    expect(v.allocVmapArea(65, 1, 1)).toEqual({ ok: true, start: 0xf0000, purged: [] });
    expect(v.freePages).toBe(61375);
    expect(v.allocVmapArea(257, 1, 2)).toEqual({ ok: true, start: 0xf0041, purged: [] });
    expect(v.freeVmapAreaLazy(0xf0041)).toEqual({ ok: true, purged: [] });
    // Lazy space still occupies the window: the next buffer goes after it (GOLD-12, k = 1).
    expect(v.usedPages).toBe(65 + 257);
    expect(v.livePages).toBe(65);
    expect(v.lazyPages).toBe(257);
    expect(v.find(0xf0041)?.state).toBe('lazy');
    expect(started(v.allocVmapArea(257, 1, 3))).toBe(0xf0142);
    expect(v.freeVmapAreaLazy(0xf0142).ok).toBe(true);
    expect(v.usedPages).toBe(65 + 2 * 257);
    expect(v.purge()).toEqual([area(0xf0041, 257, 2), area(0xf0142, 257, 3)]);
    expect(v.usedPages).toBe(65);
    expect(v.lazyPages).toBe(0);
    expect(v.find(0xf0041)).toBeUndefined();
    // The first vm_map_ram block is aligned to its 512 pages: 0xF0200000.
    expect(v.vmMapRam(1, 7)).toEqual({ ok: true, start: 0xf0200, purged: [] });
    expect(v.find(0xf0200)).toEqual({
      start: 0xf0200,
      pages: 512,
      tag: VMAP_BLOCK_TAG,
      state: 'live',
      kind: 'block',
    });
    // Chunks are handed out sequentially, not aligned to their order.
    expect(started(v.vmMapRam(3, 8))).toBe(0xf0201);
    expect(started(v.vmMapRam(1, 9))).toBe(0xf0205);
    // First fit: the hole below the block takes the next 1 MiB remap.
    expect(started(v.allocVmapArea(257, 1, 4))).toBe(0xf0041);
    expect(v.largestFreeRun()).toBe(END - (0xf0200 + 512));
  });

  it('fits exactly 238 1 MiB remaps after the pool; the 239th fails (GOLD-13)', () => {
    const v = arm32();
    started(v.allocVmapArea(65, 1, 1));
    let k = 0;
    for (;;) {
      const r = v.allocVmapArea(257, 1, 2);
      if (!r.ok) {
        expect(r.purged).toEqual([]);
        break;
      }
      expect(r.start).toBe(0xf0041 + 257 * k);
      k++;
    }
    expect(k).toBe(Math.floor(61375 / 257));
    expect(k).toBe(238);
    expect(v.freePages).toBe(209);
    expect(v.largestFreeRun()).toBe(209);
    // Window used up to 0xFEF2F000.
    expect(0xf0041 + 238 * 257).toBe(0xfef2f);
    expect(v.allocVmapArea(209, 1, 3)).toEqual({ ok: true, start: 0xfef2f, purged: [] });
  });

  it('purges automatically once lazy pages exceed 24,576 (GOLD-18)', () => {
    const v = arm32();
    const starts = Array.from({ length: 100 }, () => started(v.allocVmapArea(257, 1, 5)));
    for (let i = 0; i < 95; i++) expect(v.freeVmapAreaLazy(starts[i]!)).toEqual({ ok: true, purged: [] });
    expect(v.lazyPages).toBe(95 * 257);
    expect(v.lazyPages).toBeLessThanOrEqual(LAZY_MAX);
    const r = v.freeVmapAreaLazy(starts[95]!);
    expect(r).toEqual({ ok: true, purged: starts.slice(0, 96).map((s) => area(s, 257, 5)) });
    expect(v.lazyPages).toBe(0);
    expect(v.usedPages).toBe(4 * 257);
  });
});

// ---------------------------------------------------------------------------------------------
// Allocation, purge and refusals

describe('VmapAllocator: alloc_vmap_area', () => {
  it('purges lazy areas when nothing fits, and succeeds when that makes room (VMALLOC-4)', () => {
    const v = new VmapAllocator(100, 164, 1000, 32);
    const a = started(v.allocVmapArea(30, 1, 1));
    const b = started(v.allocVmapArea(30, 1, 2));
    started(v.allocVmapArea(4, 1, 3));
    expect(v.freePages).toBe(0);
    expect(v.freeVmapAreaLazy(a)).toEqual({ ok: true, purged: [] });
    expect(v.freeVmapAreaLazy(b)).toEqual({ ok: true, purged: [] });
    // 60 free pages once purged; the request only fits after the purge.
    expect(v.allocVmapArea(50, 1, 4)).toEqual({
      ok: true,
      start: 100,
      purged: [area(100, 30, 1), area(130, 30, 2)],
    });
    expect(v.lazyPages).toBe(0);
    // A request that cannot fit even after a purge still purges, then fails.
    started(v.allocVmapArea(10, 1, 5));
    const c = v.find(150);
    expect(c?.pages).toBe(10);
    expect(v.freeVmapAreaLazy(150).ok).toBe(true);
    expect(v.allocVmapArea(64, 1, 6)).toEqual({ ok: false, purged: [area(150, 10, 5)] });
  });

  it('aligns on absolute page numbers, like ALIGN() on addresses', () => {
    const v = new VmapAllocator(3, 200, 1000, 32);
    expect(started(v.allocVmapArea(1, 4, 1))).toBe(4);
    expect(started(v.allocVmapArea(1, 1, 2))).toBe(3);
    expect(started(v.allocVmapArea(5, 8, 3))).toBe(8);
    expect(started(v.allocVmapArea(2, 1, 4))).toBe(5);
    // Holes: [7,8) and [13, 200). 16-aligned, 20 pages: 16.
    expect(started(v.allocVmapArea(20, 16, 5))).toBe(16);
    // A run long enough but whose aligned start does not fit is skipped.
    const w = new VmapAllocator(0, 300, 1000, 32);
    started(w.allocVmapArea(1, 1, 1)); // [0,1)
    started(w.allocVmapArea(64, 1, 2)); // [1,65)
    const hole = started(w.allocVmapArea(36, 1, 3)); // [65,101)
    started(w.allocVmapArea(100, 1, 4)); // [101,201)
    expect(w.freeVmapAreaLazy(hole).ok).toBe(true);
    expect(w.purge()).toEqual([area(65, 36, 3)]); // free: [65,101) and [201,300)
    expect(started(w.allocVmapArea(30, 64, 5))).toBe(256); // 36 ≥ 30 but 128 + 30 > 101
    expect(started(w.allocVmapArea(30, 32, 6))).toBe(224); // 96 + 30 > 101; [224,254) in [201,256)
    expect(started(w.allocVmapArea(4, 32, 7))).toBe(96);
  });

  it('handles windows of a quarter million pages in few tree steps', () => {
    const v = new VmapAllocator(0x40000, 0x40000 + 250_000, 1 << 30, 1024);
    const starts: number[] = [];
    for (let i = 0; i < 5000; i++) starts.push(started(v.allocVmapArea(40, 1, i)));
    for (let i = 0; i < 5000; i += 2) expect(v.freeVmapAreaLazy(starts[i]!).ok).toBe(true);
    expect(v.purge()).toHaveLength(2500);
    expect(started(v.allocVmapArea(41, 1, 0))).toBe(0x40000 + 5000 * 40);
    expect(started(v.allocVmapArea(40, 1, 0))).toBe(0x40000);
    // Holes are [80j, 80j + 40) for even j ≥ 2; the first holding a 64-aligned 8-page run is [160, 200).
    expect(started(v.allocVmapArea(8, 64, 0))).toBe(0x40000 + 192);
    expect(v.largestFreeRun()).toBe(250_000 - 5000 * 40 - 41);
  });

  it('refuses bad frees without change', () => {
    const v = new VmapAllocator(0, 128, 1000, 64);
    const a = started(v.allocVmapArea(4, 1, 1));
    const before = v.snapshot();
    expect(v.freeVmapAreaLazy(a + 1)).toEqual({ ok: false, reason: 'no-area' });
    expect(v.snapshot()).toBe(before);
    expect(v.freeVmapAreaLazy(a).ok).toBe(true);
    const lazy = v.snapshot();
    expect(v.freeVmapAreaLazy(a)).toEqual({ ok: false, reason: 'already-lazy' });
    expect(v.snapshot()).toBe(lazy);
    const blk = started(v.vmMapRam(1, 2));
    expect(v.freeVmapAreaLazy(blk)).toEqual({ ok: false, reason: 'block-area' });
  });

  it('throws ModelBug on requests the kernel BUGs on', () => {
    const v = new VmapAllocator(0, 128, 1000, 64);
    expect(() => v.allocVmapArea(0, 1, 0)).toThrow(ModelBug);
    expect(() => v.allocVmapArea(2, 3, 0)).toThrow(ModelBug);
    expect(() => v.vmMapRam(0, 0)).toThrow(ModelBug);
    expect(() => new VmapAllocator(0, 128, 1000, 48)).toThrow(ModelBug);
    expect(() => new VmapAllocator(10, 10, 1000, 64)).toThrow(ModelBug);
  });
});

describe('VmapAllocator: vm_map_ram blocks', () => {
  it('puts a new block at the head of the free list and skips blocks without room', () => {
    const v = new VmapAllocator(0, 1024, 10_000, 64);
    expect(started(v.vmMapRam(32, 1))).toBe(0); // block A [0,64): 32 left
    expect(started(v.vmMapRam(20, 2))).toBe(32); // order 5: A full, off the list
    expect(v.blocks()[0]?.onFreeList).toBe(false);
    expect(started(v.vmMapRam(16, 3))).toBe(64); // block B
    expect(started(v.vmMapRam(30, 4))).toBe(64 + 16); // B: 16 left
    expect(started(v.vmMapRam(32, 5))).toBe(128); // C at the head, B skipped
    expect(started(v.vmMapRam(1, 6))).toBe(128 + 32); // head first: C, not B
    expect(v.snapshot()).toContain('freeList 0x00000080 0x00000040');
    // > VMAP_MAX_ALLOC: own area, no guard, alignment 1.
    expect(v.vmMapRam(VMAP_MAX_ALLOC + 1, 7)).toEqual({ ok: true, start: 192, purged: [] });
    expect(v.find(192)).toEqual({ start: 192, pages: 33, tag: 7, state: 'live', kind: 'ram' });
    expect(v.vmUnmapRam(192, 34)).toEqual({ ok: false, reason: 'size-mismatch' });
    expect(v.vmUnmapRam(192, 33)).toEqual({ ok: true, purged: [] });
    expect(v.vmUnmapRam(192, 33)).toEqual({ ok: false, reason: 'already-unmapped' });
    expect(v.vmUnmapRam(0, 33)).toEqual({ ok: false, reason: 'not-handed-out' });
  });

  it('frees a block lazily when all of it is unmapped', () => {
    const v = new VmapAllocator(0, 256, 10_000, 64);
    const a = started(v.vmMapRam(32, 1));
    const b = started(v.vmMapRam(17, 2));
    expect(v.vmUnmapRam(a + 1, 32)).toEqual({ ok: false, reason: 'not-handed-out' });
    expect(v.vmUnmapRam(a, 2)).toEqual({ ok: false, reason: 'size-mismatch' });
    expect(v.vmUnmapRam(a, 31)).toEqual({ ok: true, purged: [] }); // same order: accepted
    expect(v.vmUnmapRam(a, 32)).toEqual({ ok: false, reason: 'already-unmapped' });
    expect(v.hasDirtyBlocks()).toBe(true);
    expect(v.lazyPages).toBe(0);
    expect(v.vmUnmapRam(b, 17)).toEqual({ ok: true, purged: [] });
    expect(v.blocks()).toEqual([]);
    expect(v.hasDirtyBlocks()).toBe(false);
    expect(v.find(0)).toEqual({ start: 0, pages: 64, tag: VMAP_BLOCK_TAG, state: 'lazy', kind: 'block' });
    expect(v.lazyPages).toBe(64);
    expect(v.vmUnmapRam(b, 17)).toEqual({ ok: false, reason: 'not-handed-out' });
    expect(v.purge()).toEqual([area(0, 64, VMAP_BLOCK_TAG)]);
  });

  it('purge() frees free-list blocks whose handed-out space is all unmapped', () => {
    const v = new VmapAllocator(0, 256, 10_000, 64);
    const a = started(v.vmMapRam(8, 1));
    started(v.vmMapRam(8, 2)); // keeps block 0 alive
    const c = started(v.vmMapRam(32, 3)); // [16,48): block 0 has 16 left
    expect(v.vmUnmapRam(a, 8).ok).toBe(true);
    expect(v.vmUnmapRam(c, 32).ok).toBe(true);
    expect(v.purge()).toEqual([]); // block 0 still has a mapped chunk
    expect(v.vmUnmapRam(a + 8, 8).ok).toBe(true);
    expect(v.purge()).toEqual([area(0, 64, VMAP_BLOCK_TAG)]);
    expect(v.usedPages).toBe(0);
  });

  it('vm_unmap_aliases() reports dirty chunks of free-list blocks only, and purges', () => {
    const v = new VmapAllocator(0, 512, 10_000, 64);
    // Block 0 full (off the free list) with one dirty chunk; block 64 on the list with dirty chunks.
    const f = [started(v.vmMapRam(32, 1)), started(v.vmMapRam(32, 2))];
    const g = [started(v.vmMapRam(4, 3)), started(v.vmMapRam(2, 4)), started(v.vmMapRam(8, 5))];
    expect(g).toEqual([64, 68, 70]);
    expect(v.vmUnmapRam(f[0]!, 32).ok).toBe(true);
    expect(v.vmUnmapRam(g[0]!, 4).ok).toBe(true);
    expect(v.vmUnmapRam(g[2]!, 8).ok).toBe(true);
    const x = started(v.allocVmapArea(10, 1, 9));
    expect(v.freeVmapAreaLazy(x).ok).toBe(true);
    expect(v.vmUnmapAliases()).toEqual([
      { start: 64, pages: 4, tag: 3, kind: 'block-dirty' },
      { start: 70, pages: 8, tag: 5, kind: 'block-dirty' },
      area(128, 10, 9),
    ]);
    // Dirty chunks stay dirty: a second call reports them again; blocks stay.
    expect(v.vmUnmapAliases()).toHaveLength(2);
    expect(v.blocks().map((b) => b.start)).toEqual([0, 64]);
    // Once block 64 has no mapped chunk left, the sync purge frees it and reports only its area.
    expect(v.vmUnmapRam(g[1]!, 2).ok).toBe(true);
    expect(v.vmUnmapAliases()).toEqual([area(64, 64, VMAP_BLOCK_TAG)]);
  });

  it('fails vm_map_ram when no aligned block fits even after a purge', () => {
    const v = new VmapAllocator(1, 129, 10_000, 64);
    // Only [64,128) can hold a 64-aligned block.
    started(v.allocVmapArea(70, 1, 1)); // [1,71)
    const r = v.vmMapRam(1, 2);
    expect(r).toEqual({ ok: false, purged: [] });
    expect(v.blocks()).toEqual([]);
    expect(v.freeVmapAreaLazy(1).ok).toBe(true);
    expect(v.vmMapRam(1, 2)).toEqual({ ok: true, start: 64, purged: [area(1, 70, 1)] });
  });

  it('clone() is deep', () => {
    const v = new VmapAllocator(0, 512, 10_000, 64);
    started(v.vmMapRam(4, 1));
    started(v.allocVmapArea(7, 1, 2));
    const c = v.clone();
    const snap = v.snapshot();
    expect(c.snapshot()).toBe(snap);
    started(c.vmMapRam(4, 3));
    expect(c.vmUnmapRam(0, 4).ok).toBe(true);
    expect(c.freeVmapAreaLazy(64).ok).toBe(true);
    c.purge();
    expect(v.snapshot()).toBe(snap);
    expect(c.snapshot()).not.toBe(snap);
  });
});

// ---------------------------------------------------------------------------------------------
// Differential test against a deliberately simple reference

interface RArea {
  start: number;
  pages: number;
  tag: number;
  state: AreaState;
  kind: AreaKind;
}
interface RChunk {
  start: number;
  order: number;
  tag: number;
  dirty: boolean;
}
interface RBlock {
  start: number;
  handed: number;
  dirty: number;
  chunks: RChunk[];
}

const hex8 = (n: number): string => `0x${n.toString(16).toUpperCase().padStart(8, '0')}`;

/** Arrays and linear scans: an occupancy bitmap rebuilt for every search. */
class RefVmap {
  areas: RArea[] = [];
  blocks: RBlock[] = [];
  freeList: number[] = [];
  constructor(
    readonly startPage: number,
    readonly endPage: number,
    readonly lazyMax: number,
    readonly blockPages: number,
  ) {}

  sum(state: AreaState): number {
    return this.areas.filter((a) => a.state === state).reduce((s, a) => s + a.pages, 0);
  }
  usedMap(): Uint8Array {
    const used = new Uint8Array(this.endPage - this.startPage);
    for (const a of this.areas) used.fill(1, a.start - this.startPage, a.start - this.startPage + a.pages);
    return used;
  }
  largestFree(): number {
    let best = 0;
    let run = 0;
    for (const u of this.usedMap()) {
      run = u ? 0 : run + 1;
      best = Math.max(best, run);
    }
    return best;
  }
  fit(pages: number, align: number): number {
    const used = this.usedMap();
    let a = Math.ceil(this.startPage / align) * align;
    for (; a + pages <= this.endPage; a += align) {
      let ok = true;
      for (let p = a; p < a + pages; p++) {
        if (used[p - this.startPage]) {
          ok = false;
          break;
        }
      }
      if (ok) return a;
    }
    return -1;
  }
  alloc(pages: number, align: number, tag: number, kind: AreaKind): AllocResult {
    let a = this.fit(pages, align);
    let purged: PurgedArea[] = [];
    if (a < 0) {
      purged = this.purgeSync();
      a = this.fit(pages, align);
      if (a < 0) return { ok: false, purged };
    }
    this.areas.push({ start: a, pages, tag, state: 'live', kind });
    return { ok: true, start: a, purged };
  }
  purgeLazy(): PurgedArea[] {
    const lazy = this.areas.filter((a) => a.state === 'lazy').sort((x, y) => x.start - y.start);
    this.areas = this.areas.filter((a) => a.state === 'live');
    return lazy.map((a) => ({ start: a.start, pages: a.pages, tag: a.tag, kind: 'area' }));
  }
  purgeSync(): PurgedArea[] {
    for (const s of [...this.freeList]) {
      const b = this.blocks.find((x) => x.start === s)!;
      const free = this.blockPages - b.handed;
      if (free + b.dirty === this.blockPages && b.dirty !== this.blockPages) {
        this.freeList = this.freeList.filter((x) => x !== s);
        this.blocks = this.blocks.filter((x) => x !== b);
        this.areas.find((a) => a.start === s)!.state = 'lazy';
      }
    }
    return this.purgeLazy();
  }
  lazyFree(a: RArea): PurgedArea[] {
    a.state = 'lazy';
    return this.sum('lazy') > this.lazyMax ? this.purgeLazy() : [];
  }
  free(start: number): FreeResult {
    const a = this.areas.find((x) => x.start === start);
    if (!a) return { ok: false, reason: 'no-area' };
    if (a.state === 'lazy') return { ok: false, reason: 'already-lazy' };
    if (a.kind === 'block') return { ok: false, reason: 'block-area' };
    return { ok: true, purged: this.lazyFree(a) };
  }
  map(pages: number, tag: number): AllocResult {
    if (pages > 32) return this.alloc(pages, 1, tag, 'ram');
    let order = 0;
    while (2 ** order < pages) order++;
    let purged: PurgedArea[] = [];
    let b = this.freeList
      .map((s) => this.blocks.find((x) => x.start === s)!)
      .find((x) => this.blockPages - x.handed >= 2 ** order);
    if (!b) {
      const r = this.alloc(this.blockPages, this.blockPages, -1, 'block');
      if (!r.ok) return r;
      purged = r.purged;
      b = { start: r.start, handed: 0, dirty: 0, chunks: [] };
      this.blocks.push(b);
      this.freeList = [r.start, ...this.freeList];
    }
    const start = b.start + b.handed;
    b.handed += 2 ** order;
    b.chunks.push({ start, order, tag, dirty: false });
    if (b.handed === this.blockPages) this.freeList = this.freeList.filter((x) => x !== b.start);
    return { ok: true, start, purged };
  }
  unmap(start: number, pages: number): FreeResult {
    if (pages > 32) {
      const a = this.areas.find((x) => x.start === start && x.kind === 'ram');
      if (!a) return { ok: false, reason: 'not-handed-out' };
      if (a.state === 'lazy') return { ok: false, reason: 'already-unmapped' };
      if (a.pages !== pages) return { ok: false, reason: 'size-mismatch' };
      return { ok: true, purged: this.lazyFree(a) };
    }
    const b = this.blocks.find((x) => start >= x.start && start < x.start + this.blockPages);
    const c = b?.chunks.find((x) => x.start === start);
    if (!b || !c) return { ok: false, reason: 'not-handed-out' };
    if (c.dirty) return { ok: false, reason: 'already-unmapped' };
    let order = 0;
    while (2 ** order < pages) order++;
    if (c.order !== order) return { ok: false, reason: 'size-mismatch' };
    c.dirty = true;
    b.dirty += 2 ** order;
    if (b.dirty < this.blockPages) return { ok: true, purged: [] };
    this.blocks = this.blocks.filter((x) => x !== b);
    return { ok: true, purged: this.lazyFree(this.areas.find((a) => a.start === b.start)!) };
  }
  aliases(): PurgedArea[] {
    const dirty: PurgedArea[] = [];
    const from: number[] = [];
    for (const s of this.freeList) {
      const b = this.blocks.find((x) => x.start === s)!;
      for (const c of b.chunks) {
        if (c.dirty) {
          dirty.push({ start: c.start, pages: 2 ** c.order, tag: c.tag, kind: 'block-dirty' });
          from.push(s);
        }
      }
    }
    const purged = this.purgeSync();
    const alive = dirty.filter((_, i) => this.blocks.some((b) => b.start === from[i]));
    return [...purged, ...alive].sort((x, y) => x.start - y.start);
  }
  snapshot(): string {
    const live = this.sum('live');
    const lazy = this.sum('lazy');
    const lines = [
      `vmap [${hex8(this.startPage)},${hex8(this.endPage)}) lazyMax=${this.lazyMax} blockPages=${this.blockPages}`,
      `pages live=${live} lazy=${lazy} used=${live + lazy} free=${this.endPage - this.startPage - live - lazy} largestFree=${this.largestFree()}`,
    ];
    for (const a of [...this.areas].sort((x, y) => x.start - y.start)) {
      lines.push(`area ${hex8(a.start)} +${a.pages} ${a.state} ${a.kind} tag=${a.tag}`);
    }
    for (const b of [...this.blocks].sort((x, y) => x.start - y.start)) {
      lines.push(
        `block ${hex8(b.start)} free=${this.blockPages - b.handed} dirty=${b.dirty} onFreeList=${this.freeList.includes(b.start)}`,
      );
      for (const c of b.chunks) {
        lines.push(`  chunk ${hex8(c.start)} order=${c.order} tag=${c.tag} ${c.dirty ? 'dirty' : 'mapped'}`);
      }
    }
    lines.push(`freeList ${this.freeList.map(hex8).join(' ')}`.trimEnd());
    return lines.join('\n');
  }
}

type Op =
  | { k: 'alloc'; pages: number; align: number; tag: number }
  | { k: 'free'; pick: number; bogus: boolean }
  | { k: 'purge' }
  | { k: 'map'; pages: number; tag: number }
  | { k: 'unmap'; pick: number; how: 'same' | 'other-size' | 'bogus' }
  | { k: 'aliases' }
  | { k: 'clone' };

const configArb = fc.record({
  startPage: fc.integer({ min: 0, max: 5000 }),
  pages: fc.oneof(fc.integer({ min: 64, max: 320 }), fc.integer({ min: 64, max: 2048 })),
  lazyMax: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 2048 })),
  blockPages: fc.constantFrom(32, 64, 128, 256),
});

const opArb = (windowPages: number): fc.Arbitrary<Op> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        k: fc.constant('alloc' as const),
        pages: fc.oneof(
          { weight: 4, arbitrary: fc.integer({ min: 1, max: 16 }) },
          { weight: 3, arbitrary: fc.integer({ min: 1, max: 128 }) },
          { weight: 1, arbitrary: fc.integer({ min: 1, max: windowPages + 8 }) },
        ),
        align: fc.constantFrom(1, 1, 1, 1, 2, 4, 8, 32, 64, 256),
        tag: fc.nat(9),
      }),
    },
    {
      weight: 5,
      arbitrary: fc.record({ k: fc.constant('free' as const), pick: fc.nat(), bogus: fc.boolean() }),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('purge' as const) }) },
    {
      weight: 5,
      arbitrary: fc.record({
        k: fc.constant('map' as const),
        pages: fc.oneof(
          { weight: 5, arbitrary: fc.integer({ min: 1, max: 32 }) },
          { weight: 1, arbitrary: fc.integer({ min: 33, max: 90 }) },
        ),
        tag: fc.nat(9),
      }),
    },
    {
      weight: 5,
      arbitrary: fc.record({
        k: fc.constant('unmap' as const),
        pick: fc.nat(),
        how: fc.constantFrom(
          'same' as const,
          'same' as const,
          'same' as const,
          'other-size' as const,
          'bogus' as const,
        ),
      }),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('aliases' as const) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('clone' as const) }) },
  );

const scenarioArb = configArb.chain((cfg) =>
  fc.array(opArb(cfg.pages), { minLength: 10, maxLength: 70 }).map((ops) => ({ cfg, ops })),
);

const SEED = 0x7a11;

function runDifferential(
  cfg: { startPage: number; pages: number; lazyMax: number; blockPages: number },
  ops: Op[],
): void {
  const end = cfg.startPage + cfg.pages;
  let m = new VmapAllocator(cfg.startPage, end, cfg.lazyMax, cfg.blockPages);
  const ref = new RefVmap(cfg.startPage, end, cfg.lazyMax, cfg.blockPages);
  const handed: { start: number; pages: number }[] = [];
  const frozen: { m: VmapAllocator; snap: string }[] = [];
  for (const op of ops) {
    switch (op.k) {
      case 'alloc': {
        const r = m.allocVmapArea(op.pages, op.align, op.tag);
        expect(r).toEqual(ref.alloc(op.pages, op.align, op.tag, 'area'));
        if (!r.ok) {
          // VMALLOC-5: no allocation fails while a purge would satisfy it.
          expect(m.lazyPages).toBe(0);
          const c = m.clone();
          c.purge();
          expect(c.allocVmapArea(op.pages, op.align, op.tag).ok).toBe(false);
        }
        break;
      }
      case 'free': {
        const all = [...ref.areas].sort((x, y) => x.start - y.start);
        const start =
          op.bogus || all.length === 0
            ? cfg.startPage + (op.pick % cfg.pages)
            : all[op.pick % all.length]!.start;
        expect(m.freeVmapAreaLazy(start)).toEqual(ref.free(start));
        break;
      }
      case 'purge':
        expect(m.purge()).toEqual(ref.purgeSync());
        break;
      case 'map': {
        const r = m.vmMapRam(op.pages, op.tag);
        expect(r).toEqual(ref.map(op.pages, op.tag));
        if (r.ok) handed.push({ start: r.start, pages: op.pages });
        break;
      }
      case 'unmap': {
        let start = cfg.startPage + (op.pick % cfg.pages);
        let pages = (op.pick % 40) + 1;
        const h = handed[op.pick % Math.max(1, handed.length)];
        if (h && op.how !== 'bogus') {
          start = h.start;
          pages = op.how === 'same' ? h.pages : h.pages > 32 ? h.pages - 1 : (h.pages % 32) + 1;
        }
        expect(m.vmUnmapRam(start, pages)).toEqual(ref.unmap(start, pages));
        break;
      }
      case 'aliases':
        expect(m.vmUnmapAliases()).toEqual(ref.aliases());
        break;
      case 'clone': {
        const c = m.clone();
        frozen.push({ m, snap: m.snapshot() });
        m = c;
        break;
      }
    }
    // what purge() would leave, read without purging: as a purged copy reads it, and m unchanged
    const purged = m.clone();
    purged.purge();
    expect(m.largestFreeRunAfterPurge()).toBe(purged.largestFreeRun());
    expect(m.snapshot()).toBe(ref.snapshot());
    expect(m.hasDirtyBlocks()).toBe(ref.blocks.some((b) => b.dirty > 0));
    // VMALLOC-5: past the threshold a purge always follows.
    expect(m.lazyPages).toBeLessThanOrEqual(cfg.lazyMax);
  }
  for (const f of frozen) expect(f.m.snapshot()).toBe(f.snap);
}

describe('VmapAllocator: differential against a naive reference', () => {
  it(`agrees on every result and snapshot (seed ${SEED})`, () => {
    fc.assert(
      fc.property(scenarioArb, ({ cfg, ops }) => {
        runDifferential(cfg, ops);
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });

  it(`agrees on tiny windows driven to exhaustion (seed ${SEED + 1})`, () => {
    const tiny = fc
      .record({
        startPage: fc.integer({ min: 0, max: 200 }),
        pages: fc.integer({ min: 64, max: 160 }),
        lazyMax: fc.integer({ min: 0, max: 100 }),
        blockPages: fc.constantFrom(32, 64),
      })
      .chain((cfg) =>
        fc.array(opArb(cfg.pages), { minLength: 30, maxLength: 100 }).map((ops) => ({ cfg, ops })),
      );
    fc.assert(
      fc.property(tiny, ({ cfg, ops }) => {
        runDifferential(cfg, ops);
      }),
      { seed: SEED + 1, numRuns: 1000 },
    );
  });
});
