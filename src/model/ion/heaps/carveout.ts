/**
 * The 3.18 carveout heap (ion_carveout_heap.c, HEAP-CARVEOUT-1): genalloc at 4 KiB over a range
 * reserved at boot, one sg entry. ion_carveout_heap_create() zeroes the whole range once through
 * NC vm_map_ram batches (ion_heap_pages_zero, ION-15), left lazy; allocation does not zero; free
 * zeroes with the buffer's prot and ignores a failure, so a free while the window is exhausted
 * hands dirty pages to the next allocation. The range stays WB in the linear map [M], so uncached
 * carveout buffers alias (ARCH-7) unless the design's linear policy flips it.
 */

import { Cma } from '../../cma.ts';
import { pageRange } from '../../mm.ts';
import { Owner } from '../../pages.ts';
import { Errno, MemType, PAGE_SIZE } from '../../types.ts';
import {
  GenericIonHeap,
  type HeapCtx,
  type IonBuffer,
  type IonHeap,
  ionHeapBufferZero,
  ionHeapPagesZero,
  type PageRange,
} from '../heap.ts';
import type { LinearPolicy } from './linear-policy.ts';

export class CarveoutHeap extends GenericIonHeap {
  readonly name = 'carveout' as const;
  readonly deferFree = true;
  readonly contiguous = true;

  /** gen_pool with first-fit at PAGE_SIZE granularity: the same bitmap as struct cma. */
  private readonly pool: Cma | null;

  constructor(
    readonly id: number,
    private readonly linear: LinearPolicy,
    private readonly range: PageRange | null,
    pool?: Cma | null,
  ) {
    super();
    this.pool = pool !== undefined ? pool : range ? new Cma('carveout', range.start, range.pageCount) : null;
  }

  /** The genpool's bitmap, read-only (tests compare clones by it). */
  get poolBits(): Readonly<Uint8Array> | null {
    return this.pool?.bits ?? null;
  }

  /** With `reuse`, its genpool bitmap restored from this one (Cma.clone(reuse, whole)). */
  clone(reuse?: IonHeap, whole = false): CarveoutHeap {
    if (reuse instanceof CarveoutHeap && reuse !== this && this.pool && reuse.pool) {
      this.pool.clone(reuse.pool, whole);
      return reuse;
    }
    return new CarveoutHeap(this.id, this.linear, this.range, this.pool?.clone() ?? null);
  }

  // HEAP-CARVEOUT-1 ion_carveout_heap_create(): sync, then ion_heap_pages_zero(NC) of the range
  create(ctx: HeapCtx): void {
    if (!this.range || !this.linear.zeroCarveoutAtCreate) return;
    ctx.mm.enter('ionCarveoutHeapCreate');
    // a failure here fails the heap's creation in the kernel; at boot the window is empty [A]
    ionHeapPagesZero(
      ctx,
      pageRange(this.range.start, this.range.pageCount),
      MemType.NC,
      'carveout heap creation',
    );
  }

  area() {
    return this.range;
  }

  alignPages(): number {
    return 1;
  }

  // HEAP-CARVEOUT-1 ion_carveout_heap_allocate(): align > 4 KiB -> -EINVAL, else genalloc
  allocate(ctx: HeapCtx, buf: IonBuffer, len: number, align: number): number {
    const { mm } = ctx;
    mm.enter('ionCarveoutHeapAllocate');
    if (align > PAGE_SIZE) return -Errno.EINVAL;
    if (!this.pool) return -Errno.ENOMEM;
    const count = len / PAGE_SIZE;
    mm.enter('genPoolAlloc');
    const { page } = this.pool.cmaAlloc(count, 0);
    if (page < 0) return -Errno.ENOMEM;
    mm.pages.claim(page, count, Owner.BUFFER, buf.id);
    buf.pages = pageRange(page, count);
    if (!buf.cached) this.linear.toUncached(mm, buf.pages, `buffer ${buf.id} (carveout, uncached)`);
    // HEAP-CARVEOUT-1: 3.18 does not zero here (the range was zeroed at creation and on free)
    if (!this.linear.zeroOnAlloc) return 0;
    const type = buf.cached ? MemType.WB : MemType.NC;
    if (!this.linear.zeroFresh(ctx, buf.pages, type, `buffer ${buf.id}`, buf.id)) {
      this.release(ctx, buf);
      return -Errno.ENOMEM;
    }
    return 0;
  }

  // HEAP-CARVEOUT-1 ion_carveout_free() -> gen_pool_free(): back to the genpool
  private release(ctx: HeapCtx, buf: IonBuffer): void {
    if (!buf.cached) this.linear.toAllocator(ctx.mm, buf.pages, 'linear map restore (carveout)');
    ctx.mm.enter('genPoolFree');
    const first = buf.pages[0]!;
    // a second release of free pages is counted by PageState.release (B15), not here again
    this.pool!.cmaRelease(first, buf.pages.length);
    ctx.mm.pages.release(first, buf.pages.length, Owner.CARVEOUT_FREE);
  }

  // HEAP-CARVEOUT-1 ion_carveout_heap_free(): zero (ION-15, failure ignored), sync, genpool
  free(ctx: HeapCtx, buf: IonBuffer): void {
    ctx.mm.enter('ionCarveoutHeapFree');
    ionHeapBufferZero(ctx, buf);
    this.release(ctx, buf);
  }
}
