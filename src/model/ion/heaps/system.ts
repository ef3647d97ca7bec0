/**
 * The 3.18 system heap (ion_system_heap.c, HEAP-SYS-1, HEAP-POOL-1): chunks of order 8, 4, 0;
 * uncached buffers draw on per-order page pools and are zeroed through NC vm_map_ram on free
 * (ION-15); cached ones come from the buddy allocator zeroed and are fault-mapped (ION-4).
 */

import { pageRange } from '../../mm.ts';
import { Owner } from '../../pages.ts';
import { Errno, getOrder, MemType, PAGE_SIZE } from '../../types.ts';
import { GenericIonHeap, type HeapCtx, type IonBuffer, type IonHeap, ionHeapBufferZero } from '../heap.ts';
import type { LinearPolicy } from './linear-policy.ts';

/** HEAP-SYS-1 orders[] = {8, 4, 0}. */
export const SYSTEM_ORDERS = [8, 4, 0] as const;

interface Chunk {
  page: number;
  order: number;
}

/** HEAP-POOL-1 ion_page_pool: highmem and lowmem item lists of one order. */
class PagePool {
  constructor(
    readonly order: number,
    readonly high: number[] = [],
    readonly low: number[] = [],
  ) {}
  get count(): number {
    return this.high.length + this.low.length;
  }
  clone(): PagePool {
    return new PagePool(this.order, [...this.high], [...this.low]);
  }
}

/** A pool's item lists, as both system heaps keep them. */
export interface PoolLists {
  readonly high: number[];
  readonly low: number[];
}

/** `to`'s pools made equal to `from`'s in place: a reusing clone allocates no arrays. */
export function restorePools(to: readonly PoolLists[], from: readonly PoolLists[]): void {
  for (let i = 0; i < from.length; i++) {
    copyInto(to[i]!.high, from[i]!.high);
    copyInto(to[i]!.low, from[i]!.low);
  }
}

function copyInto(to: number[], from: readonly number[]): void {
  if (to.length !== from.length) to.length = from.length;
  for (let i = 0; i < from.length; i++) to[i] = from[i]!;
}

export class SystemHeap extends GenericIonHeap {
  readonly name = 'system' as const;
  readonly deferFree = true;
  readonly contiguous = false;
  private readonly pools: PagePool[];

  constructor(
    readonly id: number,
    private readonly linear: LinearPolicy,
    pools?: PagePool[],
  ) {
    super();
    this.pools = pools ?? SYSTEM_ORDERS.map((o) => new PagePool(o));
  }

  /** With `reuse` (this heap's counterpart in the kernel a clone takes over) `reuse`, its pools restored. */
  clone(reuse?: IonHeap): SystemHeap {
    if (reuse instanceof SystemHeap && reuse !== this) {
      restorePools(reuse.pools, this.pools);
      return reuse;
    }
    return new SystemHeap(
      this.id,
      this.linear,
      this.pools.map((p) => p.clone()),
    );
  }

  area(): null {
    return null;
  }

  alignPages(): number {
    return 1;
  }

  /** HEAP-POOL-1 ion_page_pool_alloc(): highmem item, then lowmem, else a fresh page. */
  private poolAlloc(ctx: HeapCtx, pool: PagePool, buf: IonBuffer): number {
    const { mm } = ctx;
    mm.enter('ionPagePoolAlloc');
    const fromHigh = pool.high.length > 0;
    const item = fromHigh ? pool.high.shift()! : pool.low.length > 0 ? pool.low.shift()! : -1;
    if (item >= 0) {
      mm.pages.claim(item, 1 << pool.order, Owner.BUFFER, buf.id);
      // pooled pages were zeroed on free (ION-15); a design that zeroes on alloc does it again
      if (!this.linear.zeroOnAlloc || this.zero(ctx, item, pool.order, buf)) return item;
      mm.pages.release(item, 1 << pool.order, Owner.ION_POOL);
      (fromHigh ? pool.high : pool.low).unshift(item);
      return -1;
    }
    // ion_page_pool_alloc_pages(): alloc_pages(GFP_HIGHUSER | __GFP_ZERO), synced for device
    const p = mm.allocPages(pool.order, true, Owner.BUFFER, buf.id);
    if (p < 0) return -1;
    const pages = pageRange(p, 1 << pool.order);
    this.linear.toUncached(mm, pages, `buffer ${buf.id} (system heap, uncached)`);
    if (this.zero(ctx, p, pool.order, buf)) return p;
    this.linear.toAllocator(mm, pages, 'linear map restore (system heap)');
    mm.freePages(p, pool.order);
    return -1;
  }

  /** __GFP_ZERO clear_highpage() (or the design's own zeroing, LinearPolicy.zeroFresh). */
  private zero(ctx: HeapCtx, p: number, order: number, buf: IonBuffer): boolean {
    const type = buf.cached ? MemType.WB : MemType.NC;
    return this.linear.zeroFresh(ctx, pageRange(p, 1 << order), type, `buffer ${buf.id}`, buf.id);
  }

  // HEAP-SYS-1 alloc_largest_available(): the largest order that fits the remainder, <= previous
  private allocLargestAvailable(
    ctx: HeapCtx,
    buf: IonBuffer,
    remaining: number,
    maxOrder: number,
  ): Chunk | null {
    for (const order of SYSTEM_ORDERS) {
      if (remaining < PAGE_SIZE << order || order > maxOrder) continue;
      let p: number;
      if (!buf.cached) p = this.poolAlloc(ctx, this.pools[SYSTEM_ORDERS.indexOf(order)]!, buf);
      else {
        p = ctx.mm.allocPages(order, true, Owner.BUFFER, buf.id);
        if (p >= 0 && !this.zero(ctx, p, order, buf)) {
          ctx.mm.freePages(p, order);
          p = -1;
        }
      }
      if (p >= 0) return { page: p, order };
    }
    return null;
  }

  // HEAP-SYS-1 ion_system_heap_allocate()
  allocate(ctx: HeapCtx, buf: IonBuffer, len: number, align: number): number {
    ctx.mm.enter('ionSystemHeapAllocate');
    if (align > PAGE_SIZE) return -Errno.EINVAL;
    if (len / PAGE_SIZE > ctx.mm.pages.nPages / 2) return -Errno.ENOMEM;
    const chunks: Chunk[] = [];
    let remaining = len;
    let maxOrder = SYSTEM_ORDERS[0];
    while (remaining > 0) {
      const c = this.allocLargestAvailable(ctx, buf, remaining, maxOrder);
      if (!c) {
        for (const ch of chunks) this.freeChunk(ctx, buf, ch, false);
        return -Errno.ENOMEM;
      }
      chunks.push(c);
      remaining -= PAGE_SIZE << c.order;
      maxOrder = c.order as typeof maxOrder;
    }
    const pages = new Int32Array(len / PAGE_SIZE);
    let k = 0;
    for (const c of chunks) for (let i = 0; i < 1 << c.order; i++) pages[k++] = c.page + i;
    buf.pages = pages;
    buf.priv = chunks;
    return 0;
  }

  private freeChunk(ctx: HeapCtx, buf: IonBuffer, c: Chunk, shrinkerFree: boolean): void {
    const { mm } = ctx;
    const n = 1 << c.order;
    if (!buf.cached && !shrinkerFree) {
      // HEAP-POOL-1 ion_page_pool_free(): always cached in the pool
      const pool = this.pools[SYSTEM_ORDERS.indexOf(c.order as 8 | 4 | 0)]!;
      mm.pages.release(c.page, n, Owner.ION_POOL);
      (mm.isHighmem(c.page) ? pool.high : pool.low).push(c.page);
      return;
    }
    this.linear.toAllocator(mm, pageRange(c.page, n), 'linear map restore (system heap)');
    mm.freePages(c.page, c.order);
  }

  // HEAP-SYS-1 ion_system_heap_free(): uncached and not shrinker-freed -> zero (NC) then pools
  free(ctx: HeapCtx, buf: IonBuffer, shrinkerFree: boolean): void {
    ctx.mm.enter('ionSystemHeapFree');
    if (!buf.cached && !shrinkerFree) ionHeapBufferZero(ctx, buf);
    for (const c of (buf.priv as Chunk[]) ?? []) this.freeChunk(ctx, buf, c, shrinkerFree);
  }

  override shrinkCount(): number {
    return this.pools.reduce((s, p) => s + (p.count << p.order), 0);
  }

  /** HEAP-POOL-1 ion_page_pool_shrink(): pool pages back to the buddy allocator. */
  override shrink(ctx: HeapCtx): number {
    ctx.mm.enter('ionPagePoolShrink');
    let freed = 0;
    for (const pool of this.pools) {
      for (const list of [pool.low, pool.high]) {
        while (list.length > 0) {
          const p = list.shift()!;
          const n = 1 << pool.order;
          this.linear.toAllocator(ctx.mm, pageRange(p, n), 'linear map restore (pool shrink)');
          ctx.mm.pages.claim(p, n, Owner.KERNEL, 0);
          ctx.mm.freePages(p, pool.order);
          freed += n;
        }
      }
    }
    return freed;
  }
}

/** HEAP-CONTIG-1 ion_system_contig_heap: one alloc_pages(get_order(len)), tail freed. */
export class SystemContigHeap extends GenericIonHeap {
  readonly name = 'system-contig' as const;
  readonly deferFree = false;
  readonly contiguous = true;

  constructor(
    readonly id: number,
    private readonly linear: LinearPolicy,
  ) {
    super();
  }

  clone(): SystemContigHeap {
    return this;
  }

  area(ctx: HeapCtx) {
    return { start: 0, pageCount: ctx.mm.pages.nPages };
  }

  alignPages(pageCount: number): number {
    return 1 << getOrder(pageCount * PAGE_SIZE);
  }

  // HEAP-CONTIG-1 ion_system_contig_heap_allocate(): align > block -> -EINVAL
  allocate(ctx: HeapCtx, buf: IonBuffer, len: number, align: number): number {
    const { mm } = ctx;
    mm.enter('ionSystemContigHeapAllocate');
    const order = getOrder(len);
    if (align > PAGE_SIZE << order) return -Errno.EINVAL;
    if (order >= 11) return -Errno.ENOMEM;
    const p = mm.allocPages(order, true, Owner.BUFFER, buf.id);
    if (p < 0) return -Errno.ENOMEM;
    const count = len / PAGE_SIZE;
    mm.splitAndTrim(p, order, count);
    const pages = pageRange(p, count);
    if (!buf.cached) this.linear.toUncached(mm, pages, `buffer ${buf.id} (system-contig, uncached)`);
    // __GFP_ZERO clear_highpage() per page (or the design's own zeroing)
    const type = buf.cached ? MemType.WB : MemType.NC;
    if (!this.linear.zeroFresh(ctx, pages, type, `buffer ${buf.id}`, buf.id)) {
      if (!buf.cached) this.linear.toAllocator(mm, pages, 'linear map restore (system-contig)');
      mm.freePagesEach(pages);
      return -Errno.ENOMEM;
    }
    buf.pages = pages;
    return 0;
  }

  // HEAP-CONTIG-1 ion_system_contig_heap_free(): __free_pages of each page
  free(ctx: HeapCtx, buf: IonBuffer): void {
    ctx.mm.enter('ionSystemContigHeapFree');
    if (!buf.cached) this.linear.toAllocator(ctx.mm, buf.pages, 'linear map restore (system-contig)');
    ctx.mm.freePagesEach(buf.pages);
  }
}
