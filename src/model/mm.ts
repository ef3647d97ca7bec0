/**
 * The memory-management core of one booted machine: the page allocator zones, the default CMA
 * area, the vmalloc window and the mappings, with the kernel functions that the DMA layer, ION and
 * drivers call (alloc_pages, cma_alloc, get_vm_area, vmap, vm_map_ram, kmap_atomic, __dma_remap).
 * Each function records its name in the op's call path.
 */
import { BuddyZone } from './buddy.ts';
import { Cma } from './cma.ts';
import { rulesOf } from './kernel-rules.ts';
import type { BootLayout } from './layout.ts';
import { type Mapping, Mmu } from './mmu.ts';
import { NO_LINEAR, Owner, PageState, Zone } from './pages.ts';
import type { Profile } from './profile.ts';
import { MemType, ModelBug, PAGE_SIZE, pagesOf } from './types.ts';

/** Pages [p, p+n) as an Int32Array. */
export function pageRange(p: number, n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = p + i;
  return a;
}

import { lazyMaxPagesOf, VmapAllocator, vmapBlockPagesOf } from './vmalloc.ts';

/** Who holds a vm area, for vmalloc-bounded and the reports. */
export const VM_TAG = {
  OTHER: 0,
  /** a kernel mapping of an ION buffer (DMA remap or ION-14 vmap) */
  ION_MAP: 1,
  /** the atomic pool's permanent area (DMA318-9) */
  ATOMIC_POOL: 2,
  /** ION bookkeeping arrays (ION-4 page arrays, ION-14 pointer arrays) */
  ION_ARRAY: 3,
  /** another driver's vmaps (the seed's product) */
  DRIVER: 4,
} as const;
export type VmTag = (typeof VM_TAG)[keyof typeof VM_TAG];
export const VM_TAG_COUNT = 5;

/** ARCH-8 FIXADDR_START (arch/arm/include/asm/fixmap.h, 3.18): slot idx maps at + idx pages. */
export const FIXADDR_START = 0xffc00000;
/** ARCH-8 KM_TYPE_NR (arch/arm/include/asm/kmap_types.h, 3.18): kmap_atomic slots per CPU. */
export const KM_TYPE_NR = 16;

/** One formatter for every op (toLocaleString builds a new one per call: 5% of a check's time). */
const THOUSANDS = new Intl.NumberFormat('en-US');

/**
 * The model functions one op entered, in order. A function entered again right after itself (one
 * call per page: allocPages for a 61,374-page vmap) is one entry, `allocPages ×61,374`, so a trace
 * grows with the op's calls, not with its pages.
 */
export class CallTrace {
  private readonly names: string[] = [];
  private readonly times: number[] = [];
  /** Kernel log lines (printk) of the current op. */
  readonly log: string[] = [];

  enter(fn: string): void {
    const n = this.names.length;
    if (n > 0 && this.names[n - 1] === fn) this.times[n - 1]!++;
    else {
      this.names.push(fn);
      this.times.push(1);
    }
  }

  /** `fn` entered `times` times in a row (a per-page loop done in bulk). */
  enterMany(fn: string, times: number): void {
    if (times <= 0) return;
    this.enter(fn);
    this.times[this.times.length - 1]! += times - 1;
  }

  /** The path, each run of one function collapsed to `fn ×N`. */
  get path(): string[] {
    return this.names.map((fn, i) => {
      const t = this.times[i]!;
      return t === 1 ? fn : `${fn} ×${THOUSANDS.format(t)}`;
    });
  }
}

/** `dst` made equal to `src` in place (no new Map per clone). */
function copyMap<K, V>(dst: Map<K, V>, src: ReadonlyMap<K, V>): void {
  dst.clear();
  for (const [k, v] of src) dst.set(k, v);
}

export class Mm {
  readonly pages: PageState;
  readonly mmu: Mmu;
  readonly normal: BuddyZone;
  readonly highmem: BuddyZone | null;
  cma: Cma | null;
  readonly vmalloc: VmapAllocator;
  /** vm areas handed out by getVmArea, by start page: size in pages (guard included) and tag. */
  private readonly vmAreas: Map<number, { pages: number; tag: VmTag }>;
  /** Live (not lazy) vm pages per VM_TAG, guard included: O(1) for vmalloc-bounded. */
  readonly vmTagPages: Int32Array;
  trace = new CallTrace();
  readonly lowmemPages: number;
  /**
   * ARCH-8 the fixmap's kmap_atomic slots (KM_TYPE_NR per CPU): the id of the live mapping each
   * slot's PTE holds, or 0. Every op runs on CPU 0 at nesting depth 0 [A], so slot 0 is the one
   * ION's zeroing loops reuse.
   */
  readonly fixmapSlots: Int32Array;
  /** Pages mapped by a lingering fixmap slot, with how many slots map each (O(1) lookups). */
  private readonly fixmapped: Map<number, number>;
  /**
   * Set by every change of the vm area table or the fixmap slots since this copy was made: a
   * reusing clone copies them back only then, and the explorer reuses its parent's fixmap part.
   */
  private smallWritten = false;

  /** @param from the machine to copy */
  constructor(
    readonly profile: Profile,
    readonly layout: BootLayout,
    from?: Mm,
  ) {
    const basePfn = layout.ramBase / PAGE_SIZE;
    const nPages = (layout.ramEnd - layout.ramBase) / PAGE_SIZE;
    this.lowmemPages = (layout.lowmemLimit - layout.ramBase) / PAGE_SIZE;
    if (from) {
      this.pages = from.pages.clone();
      this.mmu = from.mmu.clone(this.pages);
      this.normal = from.normal.clone();
      this.highmem = from.highmem?.clone() ?? null;
      this.cma = from.cma?.clone() ?? null;
      this.vmalloc = from.vmalloc.clone();
      this.vmAreas = new Map(from.vmAreas);
      this.vmTagPages = from.vmTagPages.slice();
      this.fixmapSlots = from.fixmapSlots.slice();
      this.fixmapped = new Map(from.fixmapped);
      return;
    }
    this.fixmapSlots = new Int32Array(profile.nrCpus * KM_TYPE_NR);
    this.fixmapped = new Map();
    this.pages = new PageState(basePfn, nPages);
    this.mmu = new Mmu(this.pages, profile.staleTlb);
    this.normal = new BuddyZone('Normal', 0, this.lowmemPages);
    this.highmem = nPages > this.lowmemPages ? new BuddyZone('HighMem', this.lowmemPages, nPages) : null;
    this.vmalloc = new VmapAllocator(
      layout.vmallocStart / PAGE_SIZE,
      layout.vmallocEnd / PAGE_SIZE,
      lazyMaxPagesOf(profile.cpus),
      vmapBlockPagesOf(profile.nrCpus),
    );
    this.vmAreas = new Map();
    this.vmTagPages = new Int32Array(VM_TAG_COUNT);
    const c = layout.cma;
    this.cma = c
      ? new Cma(
          'reserved',
          (c.base - layout.ramBase) / PAGE_SIZE,
          c.size / PAGE_SIZE,
          profile.cmaOrderPerBit ?? 0,
        )
      : null;
    this.boot();
  }

  /**
   * A copy. With `reuse` (an earlier clone of this machine, which has not changed since) `reuse`
   * itself, each part restored from this one in time proportional to what `reuse` changed: per-page
   * arrays by dirty chunks, the mapping table, vmap allocator and small tables only if written.
   * `whole`: `reuse` is a copy of another machine of the same boot: everything is copied, into
   * its storage (O(RAM) at memcpy speed, none of the per-page arrays allocated).
   */
  clone(reuse?: Mm, whole = false): Mm {
    if (!reuse) return new Mm(this.profile, this.layout, this);
    this.pages.clone(reuse.pages, whole);
    this.mmu.clone(reuse.pages, reuse.mmu, whole);
    this.normal.clone(reuse.normal, whole);
    if (this.highmem) this.highmem.clone(reuse.highmem!, whole);
    if (this.cma) this.cma.clone(reuse.cma!, whole);
    this.vmalloc.clone(reuse.vmalloc, whole);
    if (reuse.smallWritten || whole) {
      copyMap(reuse.vmAreas, this.vmAreas);
      copyMap(reuse.fixmapped, this.fixmapped);
      reuse.vmTagPages.set(this.vmTagPages);
      reuse.fixmapSlots.set(this.fixmapSlots);
      reuse.smallWritten = false;
    }
    reuse.trace = new CallTrace();
    return reuse;
  }

  /** Whether the vm area table or a fixmap slot changed since this copy was made. */
  get smallChanged(): boolean {
    return this.smallWritten;
  }

  /** LAYOUT-6: zones, memblock reservations, map_lowmem, dma_contiguous_remap, CMA activation. */
  private boot(): void {
    const { pages, layout } = this;
    const n = pages.nPages;
    for (let p = this.lowmemPages; p < n; p++) pages.zone[p] = Zone.HIGHMEM;
    // LAYOUT-6 map_lowmem(): every lowmem page linear-mapped WB
    for (let p = 0; p < this.lowmemPages; p++) pages.setLinearType(p, MemType.WB);
    pages.resetTypeChanges();
    const reserved: [number, number][] = [];
    // LAYOUT-6 memblock reservations (image, page tables, initrd): never given to the buddy allocator
    for (const r of layout.memblock) {
      const s = Math.max(0, Math.floor((r.base - layout.ramBase) / PAGE_SIZE));
      const e = Math.min(n, Math.ceil((r.base + r.size - layout.ramBase) / PAGE_SIZE));
      if (s < e) {
        pages.ownerKind.fill(Owner.RESERVED, s, e);
        reserved.push([s, e]);
      }
    }
    if (layout.carveout) {
      const s = (layout.carveout.base - layout.ramBase) / PAGE_SIZE;
      const cnt = layout.carveout.size / PAGE_SIZE;
      pages.ownerKind.fill(Owner.CARVEOUT_FREE, s, s + cnt);
      reserved.push([s, s + cnt]);
    }
    if (this.cma) {
      // CMA-6 cma_activate_area(): pageblocks become MIGRATE_CMA; free pages stay in the area
      const { basePage, count } = this.cma;
      pages.ownerKind.fill(Owner.CMA_FREE, basePage, basePage + count);
      reserved.push([basePage, basePage + count]);
      // CMA-9 dma_contiguous_remap(): lowmem part re-mapped with WB PTEs (MT_MEMORY_DMA_READY)
    }
    reserved.sort((a, b) => a[0] - b[0]);
    // free_all_bootmem(): everything else goes to the buddy allocator, zone by zone
    let cursor = 0;
    const freeTo = (from: number, to: number) => {
      const lowEnd = Math.min(to, this.lowmemPages);
      if (from < lowEnd) this.normal.freeRange(from, lowEnd - from);
      const hiStart = Math.max(from, this.lowmemPages);
      if (hiStart < to) this.highmem!.freeRange(hiStart, to - hiStart);
    };
    for (const [s, e] of reserved) {
      if (s > cursor) freeTo(cursor, s);
      cursor = Math.max(cursor, e);
    }
    if (cursor < n) freeTo(cursor, n);
    pages.clearTouched();
    this.mmu.clearCreations();
  }

  enter(fn: string): void {
    this.trace.enter(fn);
  }

  printk(line: string): void {
    this.trace.log.push(line);
  }

  isHighmem(p: number): boolean {
    return p >= this.lowmemPages;
  }

  linearAddr(p: number): number {
    return this.layout.pageOffset + p * PAGE_SIZE;
  }

  // --- page allocator ----------------------------------------------------------------------

  /**
   * HEAP-SYS-1 / DMA318-7 alloc_pages(gfp, order): zonelist HighMem then Normal when __GFP_HIGHMEM, else Normal only.
   * The pages are claimed for `owner`. Returns the first page index or -1.
   */
  allocPages(order: number, highmem: boolean, owner: Owner, id: number): number {
    this.enter('allocPages');
    let p = -1;
    if (highmem && this.highmem) p = this.highmem.allocPages(order);
    if (p < 0) p = this.normal.allocPages(order);
    if (p >= 0) this.pages.claim(p, 1 << order, owner, id);
    return p;
  }

  /**
   * `out.length` calls of alloc_page(gfp), as a driver filling a page array does (VMALLOC-6): each
   * from HighMem while it has a page (__GFP_HIGHMEM), else Normal. Returns how many succeeded: all,
   * or fewer when both zones ran dry (the failed call is in the trace, as the loop makes it).
   * O(pages + blocks), not O(pages · MAX_ORDER) (issue 14).
   */
  allocPagesBulk(out: Int32Array, highmem: boolean, owner: Owner, id: number): number {
    let got = 0;
    if (highmem && this.highmem) got = this.highmem.allocOrder0Bulk(out, 0, out.length);
    got += this.normal.allocOrder0Bulk(out, got, out.length);
    this.trace.enterMany('allocPages', Math.min(out.length, got + 1));
    for (let i = 0; i < got; ) {
      let end = i + 1;
      while (end < got && out[end] === out[end - 1]! + 1) end++;
      this.pages.claim(out[i]!, end - i, owner, id);
      i = end;
    }
    return got;
  }

  /** __free_pages(page, order): a page already free is counted, never double-linked (B15). */
  freePages(p: number, order: number): void {
    this.enter('freePages');
    this.freeToZone(p, order);
  }

  /** freePages without the trace entry (its callers count the calls). */
  private freeToZone(p: number, order: number): void {
    const zone = this.isHighmem(p) ? this.highmem! : this.normal;
    const r = zone.freePages(p, order);
    if (!r.ok) {
      if (r.reason === 'double-free') this.pages.noteDoubleFree(r.page);
      else throw new ModelBug(`__free_pages(${p}, ${order}): ${r.reason}`);
      return;
    }
    this.pages.release(p, 1 << order, Owner.FREE);
  }

  /**
   * __free_page() of each page of `pages` (an array, or [start, start + count)) in turn, as the
   * kernel's per-page loops do: the same result and trace as a freePages(p, 0) call per page,
   * without the per-call overhead (issue 14).
   */
  freePagesEach(pages: ArrayLike<number> | { readonly start: number; readonly count: number }): void {
    const arr = 'start' in pages ? null : pages;
    const n = arr ? arr.length : (pages as { count: number }).count;
    const start = arr ? 0 : (pages as { start: number }).start;
    const at = (i: number): number => (arr ? arr[i]! : start + i);
    let i = 0;
    while (i < n) {
      // a run of consecutive pages in one zone, none of them free, frees at once: freeRange()
      // leaves the lists exactly as page-by-page frees in ascending order do (buddy.test.ts)
      const p = at(i);
      const zone = this.isHighmem(p) ? this.highmem! : this.normal;
      let end = i + 1;
      while (end < n && at(end) === p + (end - i) && zone.inZone(p + (end - i))) end++;
      if (end - i > 1 && zone.freeRange(p, end - i).ok) {
        this.pages.release(p, end - i, Owner.FREE);
        i = end;
        continue;
      }
      for (; i < end; i++) {
        try {
          this.freeToZone(at(i), 0);
        } catch (e) {
          // the trace shows the calls made up to the one that threw, as the loop would
          this.trace.enterMany('freePages', i + 1);
          throw e;
        }
      }
    }
    // nothing in the loop enters another function, so the calls are counted once at the end
    this.trace.enterMany('freePages', n);
  }

  /** split_page() + free the tail (DMA318-7, HEAP-CONTIG-1): keep `keep` of 2^order pages. */
  splitAndTrim(p: number, order: number, keep: number): void {
    const zone = this.isHighmem(p) ? this.highmem! : this.normal;
    const r = zone.splitAllocated(p, order, keep);
    if (!r.ok) throw new ModelBug(`split_page tail free failed: ${r.reason}`);
    this.pages.release(p + keep, (1 << order) - keep, Owner.FREE);
  }

  // --- CMA -------------------------------------------------------------------------------

  /** CMA-4 cma_alloc() + alloc_contig_range(): pages claimed for `owner`; -1 = NULL. */
  cmaAlloc(count: number, alignOrder: number, owner: Owner, id: number): number {
    this.enter('cmaAlloc');
    if (!this.cma) return -1;
    const { page } = this.cma.cmaAlloc(count, alignOrder);
    if (page >= 0) this.pages.claim(page, count, owner, id);
    // CMA-4 cma_alloc(): 6.1 logs the failure (kernel-rules.ts)
    const msg = rulesOf(this.profile.kernel).cmaAllocFailMessage;
    if (page < 0 && msg) this.printk(msg('reserved', count, 12));
    return page;
  }

  /** CMA-5 cma_release(): no ownership check; a release of free pages counts double frees. */
  cmaRelease(page: number, count: number): boolean {
    this.enter('cmaRelease');
    if (!this.cma) return false;
    const r = this.cma.cmaRelease(page, count);
    if (!r.released) return false;
    // CMA-5 free_contig_range(): each page back to the allocator (CMA pageblocks: the area)
    const end = Math.min(page + count, this.pages.nPages);
    for (let p = page; p < end; p++) {
      this.pages.release(p, 1, this.cma.contains(p) ? Owner.CMA_FREE : Owner.FREE);
    }
    return true;
  }

  // --- vmalloc -----------------------------------------------------------------------------

  private dropPurged(purged: readonly { start: number; pages: number }[]): void {
    for (const a of purged) this.mmu.dropStaleRange(a.start, a.pages);
  }

  /**
   * VMALLOC-1/3/4 get_vm_area_caller(): PAGE_ALIGN(size) + one guard page, first fit, one purge
   * and retry before failing. Returns the start address or 0 (NULL) after the kernel's message.
   */
  getVmArea(bytes: number, tag: VmTag): number {
    this.enter('getVmArea');
    const n = pagesOf(bytes);
    if (n === 0) return 0;
    const r = this.vmalloc.allocVmapArea(n + 1, 1, tag);
    this.dropPurged(r.purged);
    if (!r.ok) {
      this.printk(rulesOf(this.profile.kernel).vmapFailMessage((n + 1) * PAGE_SIZE));
      return 0;
    }
    this.smallWritten = true;
    this.vmAreas.set(r.start, { pages: n + 1, tag });
    this.vmTagPages[tag] = this.vmTagPages[tag]! + n + 1;
    return r.start * PAGE_SIZE;
  }

  /**
   * A boot-time area at a fixed address (boot-vmallocinfo=): its pages leave the window; a lazily
   * freed one (`unpurged vm_area`) is then freed lazily, so it occupies the window until a purge
   * (VMALLOC-5). Returns false if the range is not free inside the window.
   */
  reserveBootVmArea(start: number, bytes: number, lazy: boolean): boolean {
    const ok = this.vmalloc.reserveAt(start / PAGE_SIZE, bytes / PAGE_SIZE, VM_TAG.OTHER);
    if (!ok) return false;
    if (!lazy) return true;
    const r = this.vmalloc.freeVmapAreaLazy(start / PAGE_SIZE);
    if (r.ok) this.dropPurged(r.purged);
    return true;
  }

  /** VMALLOC-5 remove_vm_area() + free_unmap_vmap_area(): PTEs cleared now, range lazy. */
  private removeVmArea(vaddr: number): boolean {
    const start = vaddr / PAGE_SIZE;
    const area = this.vmAreas.get(start);
    if (!area) return false;
    this.smallWritten = true;
    this.vmAreas.delete(start);
    this.vmTagPages[area.tag] = this.vmTagPages[area.tag]! - area.pages;
    const m = this.mmu.findVm(vaddr);
    if (m && m.state === 'live') this.mmu.unmap(m, true);
    const r = this.vmalloc.freeVmapAreaLazy(start);
    if (!r.ok) throw new ModelBug(`free_unmap_vmap_area(${vaddr}): ${r.reason}`);
    this.dropPurged(r.purged);
    return true;
  }

  /** VMALLOC-6 map_vm_area(): map pages into an area from getVmArea. */
  mapVmArea(
    vaddr: number,
    pages: Int32Array,
    type: MemType,
    owner: string,
    bufferId = -1,
    maintained = false,
  ) {
    this.enter('mapVmArea');
    return this.mmu.map('vm', type, pages, vaddr, owner, bufferId, maintained);
  }

  /** VMALLOC-6 vmap(): NULL if n > RAM pages; area + guard, pages mapped with `type`. */
  vmap(pages: Int32Array, type: MemType, owner: string, bufferId: number, tag: VmTag, maintained = false) {
    this.enter('vmap');
    if (pages.length > this.pages.nPages || pages.length === 0) return null;
    const addr = this.getVmArea(pages.length * PAGE_SIZE, tag);
    if (addr === 0) return null;
    return this.mapVmArea(addr, pages, type, owner, bufferId, maintained);
  }

  /** VMALLOC-5 vunmap(): clears the PTEs, leaves the range lazy (stale until purge, ARCH-4). */
  vunmap(vaddr: number): boolean {
    this.enter('vunmap');
    return this.removeVmArea(vaddr);
  }

  /** vfree() of a vmalloc'ed area: the area goes lazy; its pages are the caller's. */
  vfree(vaddr: number): boolean {
    this.enter('vfree');
    return this.removeVmArea(vaddr);
  }

  /**
   * VMALLOC-8 vmalloc() of a kernel array (ION-4 page arrays, ION-14 pointer arrays): the area
   * (+ guard) is what ION costs the window; the backing order-0 pages are not modelled [A] beyond
   * the window. Returns the address or 0.
   */
  vmallocArray(bytes: number, tag: VmTag): number {
    this.enter('vmalloc');
    return this.getVmArea(bytes, tag);
  }

  /** VMALLOC-7 vm_map_ram(): block space (no guard) or an own area for n > 32. */
  vmMapRam(pages: Int32Array, type: MemType, owner: string, bufferId = -1): Mapping | null {
    this.enter('vmMapRam');
    const r = this.vmalloc.vmMapRam(pages.length, 0);
    this.dropPurged(r.purged);
    if (!r.ok) return null;
    return this.mmu.map('vm-ram', type, pages, r.start * PAGE_SIZE, owner, bufferId);
  }

  /** VMALLOC-7 vm_unmap_ram(): PTEs cleared, TLB flush deferred (stale until the block is purged). */
  vmUnmapRam(m: Mapping): void {
    this.enter('vmUnmapRam');
    this.mmu.unmap(m, true);
    const r = this.vmalloc.vmUnmapRam(m.vaddr / PAGE_SIZE, m.pages.length);
    if (!r.ok) throw new ModelBug(`vm_unmap_ram(${m.vaddr}): ${r.reason}`);
    this.dropPurged(r.purged);
  }

  /**
   * vm_map_ram(), memset(0), vm_unmap_ram() of one batch (ion_heap_clear_pages, ION-15): the
   * same calls, trace and result as vmMapRam, zeroPages and vmUnmapRam, with the mapping made and
   * lazily unmapped in one pass (Mmu.mapUnmappedLazily). False if vm_map_ram fails.
   */
  vmMapRamZeroed(pages: Int32Array, type: MemType, owner: string, bufferId = -1): boolean {
    this.enter('vmMapRam');
    const r = this.vmalloc.vmMapRam(pages.length, 0);
    this.dropPurged(r.purged);
    if (!r.ok) return false;
    this.mmu.mapUnmappedLazily(type, pages, r.start * PAGE_SIZE, owner, bufferId);
    this.zeroPages(pages);
    this.enter('vmUnmapRam');
    const u = this.vmalloc.vmUnmapRam(r.start, pages.length);
    if (!u.ok) throw new ModelBug(`vm_unmap_ram(${r.start * PAGE_SIZE}): ${u.reason}`);
    this.dropPurged(u.purged);
    return true;
  }

  /** VMALLOC-5 purge_vmap_area_lazy(): flush the TLB of every lazy range and release it. */
  purgeVmapAreaLazy(): void {
    this.enter('purgeVmapAreaLazy');
    this.dropPurged(this.vmalloc.purge());
  }

  /** vm_unmap_aliases(): purge lazy areas and flush dirty vmap-block ranges. */
  vmUnmapAliases(): void {
    this.enter('vmUnmapAliases');
    this.dropPurged(this.vmalloc.vmUnmapAliases());
  }

  // --- mappings ----------------------------------------------------------------------------

  /**
   * ARCH-8 kmap_atomic() + kunmap_atomic() of each highmem page in turn, as the zeroing loops do
   * (__dma_clear_buffer, clear_highpage, HEAP-CMA-4): every page gets the same slot (CPU 0, depth
   * 0 [A]); set_fixmap_pte() replaces the slot's PTE and flushes its TLB entry, so the previous
   * page's slot mapping goes without a stale entry. Without CONFIG_DEBUG_HIGHMEM __kunmap_atomic()
   * leaves the PTE in place, so the last page stays mapped WB until the slot is reused; with it the
   * PTE is cleared and flushed. The pages between are mapped and unmapped within the op: checked at
   * creation (ARCH-3). Lowmem pages take the linear map (page_address), no slot.
   */
  kmapAtomic(pages: Int32Array, owner: string): void {
    this.enter('kmapAtomic');
    if (pages.length === 0) return;
    this.setFixmapSlot(0, null, owner);
    this.mmu.transient('kmap-atomic', MemType.WB, pages, owner);
    if (!this.profile.debugHighmem) this.setFixmapSlot(0, pages[pages.length - 1]!, owner);
  }

  /** ARCH-8 set_fixmap_pte(): the slot's PTE to `page` (or none), that TLB entry flushed. */
  private setFixmapSlot(idx: number, page: number | null, owner: string): void {
    this.smallWritten = true;
    const old = this.fixmapSlots[idx]!;
    if (old !== 0) {
      const m = this.mmu.mappings.get(old);
      if (m) {
        this.mmu.unmap(m, false);
        const p = m.pages[0]!;
        const n = this.fixmapped.get(p)! - 1;
        if (n === 0) this.fixmapped.delete(p);
        else this.fixmapped.set(p, n);
      }
      this.fixmapSlots[idx] = 0;
    }
    if (page === null) return;
    const m = this.mmu.map(
      'kmap-atomic',
      MemType.WB,
      Int32Array.of(page),
      FIXADDR_START + idx * PAGE_SIZE,
      `fixmap slot ${idx} (kmap_atomic left in place: ${owner})`,
    );
    // the creation was already checked with the whole zeroing loop
    this.mmu.creations.pop();
    this.fixmapSlots[idx] = m.id;
    this.fixmapped.set(page, (this.fixmapped.get(page) ?? 0) + 1);
  }

  /** ARCH-8 how many lingering fixmap slots map page p (freed-completely allows them). */
  fixmapCount(p: number): number {
    return this.fixmapped.size === 0 ? 0 : (this.fixmapped.get(p) ?? 0);
  }

  /**
   * ARCH-8 [A] the end of boot: later boot code (initramfs unpacking, page cache) reuses the
   * fixmap slots, so no slot still maps a page the model's boot zeroed when the first op runs.
   */
  resetFixmapSlots(): void {
    for (let i = 0; i < this.fixmapSlots.length; i++)
      if (this.fixmapSlots[i] !== 0) this.setFixmapSlot(i, null, '');
  }

  /**
   * DMA318-8 unmap_kernel_range(): clear the area's PTEs and flush the TLB range at once, so no
   * stale alias is left; the area itself stays allocated until vunmap() (lazy, VMALLOC-5).
   */
  unmapKernelRange(vaddr: number): void {
    this.enter('unmapKernelRange');
    const m = this.mmu.findVm(vaddr);
    if (m && m.state === 'live') this.mmu.unmap(m, false);
  }

  /**
   * DMA318-6 __dma_remap(): rewrite the linear PTEs of lowmem pages [p, p+n) in place and flush
   * the TLB range: no break-before-make and no purge of lazy aliases (B18).
   */
  dmaRemap(p: number, n: number, type: MemType, owner: string): void {
    this.enter('dmaRemap');
    for (let i = p; i < p + n; i++) {
      if (this.pages.linearType[i] === NO_LINEAR)
        throw new ModelBug(`__dma_remap on page ${i} which has no linear PTE (highmem or section-mapped)`);
    }
    this.mmu.setLinear(p, n, type, owner);
  }

  /** Zero pages (memset through whatever alias the caller made): writer tags become CLEAN. */
  zeroPages(pages: Int32Array | { start: number; count: number }): void {
    if (pages instanceof Int32Array) for (const p of pages) this.pages.setWriter(p, 0);
    else for (let p = pages.start; p < pages.start + pages.count; p++) this.pages.setWriter(p, 0);
  }

  /** Live vm area size and tag at a start address (find_vm_area), for checkers and reports. */
  vmAreaAt(vaddr: number): { pages: number; tag: VmTag } | undefined {
    return this.vmAreas.get(vaddr / PAGE_SIZE);
  }

  /**
   * Live window pages outside vm_map_ram blocks: a block with free space stays on the per-CPU
   * free list in 3.18 (VMALLOC-7), so it is not a leak. O(areas): quiescence checks only.
   */
  liveVmPagesOutsideBlocks(): number {
    let n = 0;
    for (const a of this.vmalloc.areas()) if (a.state === 'live' && a.kind !== 'block') n += a.pages;
    return n;
  }

  liveVmAreas(): IterableIterator<[number, { pages: number; tag: VmTag }]> {
    return this.vmAreas.entries();
  }

  beginOp(): void {
    this.pages.clearTouched();
    this.mmu.clearCreations();
    this.trace = new CallTrace();
  }
}
