/**
 * The 4.12 system heap (ion_system_heap.c T-v4.12, HEAP-SYS-2): chunks of order 8, 4, 0 as 3.18
 * (HEAP-SYS-1), but every buffer draws on page pools, one set for uncached and one for cached
 * buffers ("Remove crufty cache support" gave cached buffers their own pools); no align check (the
 * 4.12 ABI has none). Fresh pool pages come from alloc_pages(GFP_HIGHUSER | __GFP_ZERO) (highmem
 * zeroed through kmap_atomic, ARCH-8); free zeroes every buffer not freed by the shrinker through
 * vm_map_ram with the buffer's prot (ION-15, WB if cached else NC) and returns its chunks to the
 * pool of its kind; the shrinker frees both sets to the buddy allocator. The linear-map policy is
 * the design's (3.18's KEEP_LINEAR in ion-4.12: uncached lowmem keeps its WB linear map, B17).
 */

import { pageRange } from '../../mm.ts';
import { Owner } from '../../pages.ts';
import { Errno, MemType, PAGE_SIZE } from '../../types.ts';
import { GenericIonHeap, type HeapCtx, type IonBuffer, type IonHeap, ionHeapBufferZero } from '../heap.ts';
import type { LinearPolicy } from './linear-policy.ts';
import { restorePools, SYSTEM_ORDERS } from './system.ts';

interface Chunk {
  page: number;
  order: number;
}

/** HEAP-POOL-1 one pool per order: highmem and lowmem item lists (page numbers). */
type Pools = { high: number[]; low: number[] }[];
const newPools = (): Pools => SYSTEM_ORDERS.map(() => ({ high: [], low: [] }));
const copyPools = (p: Pools): Pools => p.map((x) => ({ high: [...x.high], low: [...x.low] }));

export class System412Heap extends GenericIonHeap {
  readonly name = 'system' as const;
  readonly deferFree = true;
  readonly contiguous = false;

  constructor(
    readonly id: number,
    private readonly linear: LinearPolicy,
    private readonly uncachedPools: Pools = newPools(),
    private readonly cachedPools: Pools = newPools(),
  ) {
    super();
  }

  /** With `reuse` (this heap's counterpart in the kernel a clone takes over) `reuse`, its pools restored. */
  clone(reuse?: IonHeap): System412Heap {
    if (reuse instanceof System412Heap && reuse !== this) {
      restorePools(reuse.uncachedPools, this.uncachedPools);
      restorePools(reuse.cachedPools, this.cachedPools);
      return reuse;
    }
    return new System412Heap(
      this.id,
      this.linear,
      copyPools(this.uncachedPools),
      copyPools(this.cachedPools),
    );
  }

  area(): null {
    return null;
  }

  alignPages(): number {
    return 1;
  }

  private poolsOf(buf: IonBuffer): Pools {
    return buf.cached ? this.cachedPools : this.uncachedPools;
  }

  /** HEAP-POOL-1 ion_page_pool_alloc(): highmem item, then lowmem, else a fresh zeroed page. */
  private poolAlloc(ctx: HeapCtx, buf: IonBuffer, order: number): number {
    const { mm } = ctx;
    mm.enter('ionPagePoolAlloc');
    const pool = this.poolsOf(buf)[SYSTEM_ORDERS.indexOf(order as 8 | 4 | 0)]!;
    const item = pool.high.shift() ?? pool.low.shift();
    if (item !== undefined) {
      mm.pages.claim(item, 1 << order, Owner.BUFFER, buf.id);
      return item;
    }
    const p = mm.allocPages(order, true, Owner.BUFFER, buf.id);
    if (p < 0) return -1;
    const pages = pageRange(p, 1 << order);
    if (!buf.cached) this.linear.toUncached(mm, pages, `buffer ${buf.id} (system heap, uncached)`);
    // ion_page_pool_alloc_pages(): GFP_HIGHUSER | __GFP_ZERO (clear_highpage, ARCH-8)
    const type = buf.cached ? MemType.WB : MemType.NC;
    if (this.linear.zeroFresh(ctx, pages, type, `buffer ${buf.id}`, buf.id)) return p;
    if (!buf.cached) this.linear.toAllocator(mm, pages, 'linear map restore (system heap)');
    mm.freePages(p, order);
    return -1;
  }

  // HEAP-SYS-2 ion_system_heap_allocate() (4.12): largest order that fits, <= the previous
  allocate(ctx: HeapCtx, buf: IonBuffer, len: number): number {
    ctx.mm.enter('ionSystemHeapAllocate');
    if (len / PAGE_SIZE > ctx.mm.pages.nPages / 2) return -Errno.ENOMEM;
    const chunks: Chunk[] = [];
    let remaining = len;
    let maxOrder: number = SYSTEM_ORDERS[0];
    while (remaining > 0) {
      let got: Chunk | null = null;
      for (const order of SYSTEM_ORDERS) {
        if (remaining < PAGE_SIZE << order || order > maxOrder) continue;
        const p = this.poolAlloc(ctx, buf, order);
        if (p >= 0) {
          got = { page: p, order };
          break;
        }
      }
      if (!got) {
        for (const c of chunks) this.poolFree(ctx, buf, c);
        return -Errno.ENOMEM;
      }
      chunks.push(got);
      remaining -= PAGE_SIZE << got.order;
      maxOrder = got.order;
    }
    const pages = new Int32Array(len / PAGE_SIZE);
    let k = 0;
    for (const c of chunks) for (let i = 0; i < 1 << c.order; i++) pages[k++] = c.page + i;
    buf.pages = pages;
    buf.priv = chunks;
    return 0;
  }

  /** HEAP-POOL-1 ion_page_pool_free(): into the pool of the buffer's kind. */
  private poolFree(ctx: HeapCtx, buf: IonBuffer, c: Chunk): void {
    const pool = this.poolsOf(buf)[SYSTEM_ORDERS.indexOf(c.order as 8 | 4 | 0)]!;
    ctx.mm.pages.release(c.page, 1 << c.order, Owner.ION_POOL);
    (ctx.mm.isHighmem(c.page) ? pool.high : pool.low).push(c.page);
  }

  // HEAP-SYS-2 ion_system_heap_free(): zero unless shrinker-freed (ION-15), then pool or buddy
  free(ctx: HeapCtx, buf: IonBuffer, shrinkerFree: boolean): void {
    const { mm } = ctx;
    mm.enter('ionSystemHeapFree');
    if (!shrinkerFree) ionHeapBufferZero(ctx, buf);
    for (const c of (buf.priv as Chunk[]) ?? []) {
      if (!shrinkerFree) {
        this.poolFree(ctx, buf, c);
        continue;
      }
      if (!buf.cached) this.linear.toAllocator(mm, pageRange(c.page, 1 << c.order), 'linear map restore');
      mm.freePages(c.page, c.order);
    }
  }

  override shrinkCount(): number {
    let n = 0;
    for (const pools of [this.uncachedPools, this.cachedPools])
      pools.forEach((p, i) => {
        n += (p.high.length + p.low.length) << SYSTEM_ORDERS[i]!;
      });
    return n;
  }

  // HEAP-SYS-2 ion_system_heap_shrink(): the uncached then the cached pool of each order
  override shrink(ctx: HeapCtx): number {
    ctx.mm.enter('ionPagePoolShrink');
    let freed = 0;
    SYSTEM_ORDERS.forEach((order, i) => {
      for (const [pools, cached] of [
        [this.uncachedPools, false],
        [this.cachedPools, true],
      ] as const) {
        for (const list of [pools[i]!.low, pools[i]!.high]) {
          while (list.length > 0) {
            const p = list.shift()!;
            const pages = pageRange(p, 1 << order);
            if (!cached) this.linear.toAllocator(ctx.mm, pages, 'linear map restore (pool shrink)');
            ctx.mm.pages.claim(p, 1 << order, Owner.KERNEL, 0);
            ctx.mm.freePages(p, order);
            freed += 1 << order;
          }
        }
      }
    });
    return freed;
  }
}
