/**
 * ION core, 3.18 (drivers/staging/android/ion/ion.c, ION-1..14): the device, clients, handles,
 * buffers, dma-buf export/import, kernel-map reference counts, mmap, importer attachments, client
 * exit and deferred free. Errors are returned as negative errnos where ion.c returns them.
 */

import type { DmaLayer } from '../dma/arm-3.18.ts';
import { type Mm, VM_TAG } from '../mm.ts';
import { Owner } from '../pages.ts';
import { type BufferId, Errno, type HandleId, ModelBug, PAGE_SIZE, pagesOf } from '../types.ts';
import type { HeapCtx, HeapName, IonBuffer, IonHeap } from './heap.ts';
import { checkAllocation } from './heap-contract.ts';
import type { Attachment, DmaBuf, IonClient, IonHandle, Vma } from './objects.ts';

export interface IonCoreOptions {
  /** B10: ion_buffer_create skips unmap_dma and free when the page array vmalloc fails (3.18). */
  readonly leakOnPageArrayFailure: boolean;
  /**
   * B3 (CVE-2016-9120): ION_IOC_FREE drops the client lock between lookup and free, so a FREE
   * racing another FREE of the same id (`free` with `race`) passes the lookup and puts a handle
   * that is already gone. Zoo only.
   */
  readonly freeDropsLock?: boolean;
  /**
   * B4 ("ANDROID: ion: check for kref overflow"): handle krefs taken by IMPORT are not checked for
   * overflow; the model narrows the 32-bit kref to this many bits so a short loop wraps it. Zoo only.
   */
  readonly handleKrefBits?: number;
  // The zoo's mutants of the ION core (docs/designs.md "The zoo"); all off in real designs.
  /** ion_handle_kmap_put() without the kmap_cnt == 0 guard: the count underflows. */
  readonly kmapPutUnguarded?: boolean;
  /** close(2) on a dma-buf fd drops two file references instead of one. */
  readonly closeDoublePut?: boolean;
  /** ion_share_dma_buf() exports without ion_buffer_get(): the dma-buf holds no buffer reference. */
  readonly shareWithoutRef?: boolean;
  /** dma_buf_attach() path without get_dma_buf(): the attachment holds no file reference. */
  readonly attachWithoutFileRef?: boolean;
  /** munmap(2) without the VMA's dma_buf_put (ion_vm_close forgotten). */
  readonly munmapWithoutPut?: boolean;
  /** ion_handle_destroy() without draining the handle's kmaps. */
  readonly handleDestroyKeepsKmaps?: boolean;
  /** dma_buf_detach() path without the attachment's dma_buf_put. */
  readonly detachWithoutPut?: boolean;
  /**
   * ION412-1 / DMABUF-CMA-1: which core runs the ioctls. Absent or '3.18': clients and handles
   * (ION-1..14). 'ion-4.12' and 'dma-heap': the dma-buf core of src/model/ion/dmabuf-core.ts, where
   * ALLOC returns a dma-buf and a buffer lives as long as its dma-buf.
   */
  readonly core?: '3.18' | 'ion-4.12' | 'dma-heap';
  /** B13 (4.12 as merged): begin_cpu_access ignores a failed kmap get, end_cpu_access puts anyway. */
  readonly beginIgnoresKmapError?: boolean;
}

/** What an ION ioctl returns: a value (id) or a negative errno. */
export type IonRet = number;

export class IonDevice {
  /** ION-1 heaps in descending id order. */
  readonly heaps: IonHeap[];
  readonly buffers: Map<number, IonBuffer>;
  readonly clients: Map<number, IonClient>;
  readonly handles: (IonHandle | null)[];
  readonly dmabufs: DmaBuf[];
  readonly vmas: Vma[];
  readonly attachments: Attachment[];
  /** ION-6 deferred free list (DEFER_FREE heaps) and its size in bytes. */
  readonly freeList: IonBuffer[];
  freeListSize = 0;
  private nextBufferId = 0;
  /** Sum over buffers with kmap_cnt > 0 of their vmap size + guard (vmalloc-bounded). */
  kmappedWindowPages = 0;
  /** Buffers destroyed or leaked during the current op (freed-completely's incremental set). */
  destroyedThisOp: IonBuffer[] = [];
  /** Buffers created during the current op (zeroed-on-alloc, contiguous-aligned). */
  createdThisOp: IonBuffer[] = [];
  /** Attachments made during the current op (exclusive-ownership). */
  attachedThisOp: Attachment[] = [];
  /** VMAs made during the current op (exclusive-ownership). */
  mappedThisOp: Vma[] = [];
  /** Buffers whose references changed during the current op (refcounts-balanced). */
  touchedBuffers: Set<IonBuffer> = new Set();
  opIndex = 0;
  /**
   * Set by every change of the objects (clients, handles, buffers, dma-bufs, VMAs, attachments,
   * the free list) since this copy was made: a reusing clone keeps an unchanged device as it is,
   * and the explorer reuses its parent's fingerprint part (issue 14).
   */
  protected written = false;

  constructor(
    heaps: IonHeap[],
    readonly opts: IonCoreOptions,
    from?: IonDevice,
  ) {
    // a fork's heaps are copies of `from`'s, already in its order
    this.heaps = from ? heaps : [...heaps].sort((a, b) => b.id - a.id);
    this.buffers = new Map();
    this.clients = new Map();
    this.handles = [];
    this.dmabufs = [];
    this.vmas = [];
    this.attachments = [];
    this.freeList = [];
    if (from) this.copyFrom(from);
  }

  /**
   * Deep copy for Kernel.clone(), in place: objects are re-linked to the copied buffers, and each
   * container and object this device already has (a device taken over from a retired kernel) is
   * refilled instead of allocated. Each object is copied once, found by its id (ids are indices:
   * buffer ids are handed out in order, handles are handles[ordinal], dma-bufs dmabufs[fd]); no
   * closures (a closure per fork is an allocation, and a name definition under tsx).
   */
  private copyFrom(from: IonDevice): void {
    this.nextBufferId = from.nextBufferId;
    this.freeListSize = from.freeListSize;
    this.kmappedWindowPages = from.kmappedWindowPages;
    this.opIndex = from.opIndex;
    this.stashObjects();
    SPARE.dev = this;
    SPARE.src = from;
    this.buffers.clear();
    from.buffers.forEach(setBufferCopy);
    if (this.freeList.length) this.freeList.length = 0;
    for (const b of from.freeList) this.freeList.push(this.copyBuffer(from, b));
    copyList(this, from, this.handles, from.handles, relinkToBuffer);
    this.copyClients(from);
    copyList(this, from, this.dmabufs, from.dmabufs, relinkToBuffer);
    copyList(this, from, this.vmas, from.vmas, relinkToDmaBuf);
    copyList(this, from, this.attachments, from.attachments, relinkToDmaBuf);
    SPARE.dev = SPARE.src = null;
  }

  /** This device's buffers and clients by id, for copyFrom to refill (none on a fresh device). */
  private stashObjects(): void {
    // a new stamp forgets the previous copy's entries (clearing the arrays would shrink them)
    SPARE.stamp++;
    this.buffers.forEach(stashBuffer);
    for (const b of this.freeList) stashBuffer(b);
    for (const h of this.handles) if (h) stashBuffer(h.buffer);
    for (const d of this.dmabufs) stashBuffer(d.buffer);
    this.clients.forEach(stashClient);
  }

  /** `from`'s clients, in its order, each map refilled with this device's handles. */
  private copyClients(from: IonDevice): void {
    this.clients.clear();
    from.clients.forEach(setClientCopy);
  }

  /** The copy of `from`'s buffer b in this device, made on first use (over a spare of its id). */
  copyBuffer(from: IonDevice, b: IonBuffer): IonBuffer {
    if (SPARE.fromStamp[b.id] === SPARE.stamp && SPARE.from[b.id] === b) return SPARE.copy[b.id]!;
    const i = from.heaps.indexOf(b.heap);
    let heap = i >= 0 ? this.heaps[i]! : b.heap;
    if (i < 0)
      for (const h of this.heaps)
        if (h.name === b.heap.name) {
          heap = h;
          break;
        }
    const old = SPARE.bufferStamp[b.id] === SPARE.stamp ? SPARE.buffers[b.id] : undefined;
    const c: Mutable<IonBuffer> = old ? Object.assign(old, b) : { ...b };
    c.heap = heap;
    SPARE.fromStamp[b.id] = SPARE.stamp;
    SPARE.from[b.id] = b;
    SPARE.copy[b.id] = c;
    return c;
  }

  /** The copy of `from`'s handle h (copied already, at its ordinal). */
  handleCopy(from: IonDevice, h: IonHandle): IonHandle {
    return (from.handles[h.ordinal] === h ? this.handles[h.ordinal] : undefined) as IonHandle;
  }

  /** The copy of `from`'s dma-buf d (copied already, at its fd). */
  dmabufCopy(from: IonDevice, d: DmaBuf): DmaBuf {
    return (from.dmabufs[d.fd] === d ? this.dmabufs[d.fd] : undefined) as DmaBuf;
  }

  /** Whether an object changed since this device was copied. */
  get changed(): boolean {
    return this.written;
  }

  /**
   * The same device on copied heaps (Kernel.clone). With `reuse` (an earlier fork of this device,
   * in this state when forked, on the same heap objects) `reuse` itself: kept as it is when its
   * run changed no object, else refilled in place. `whole`: `reuse` is a device of another state
   * of the same boot: always refilled.
   */
  fork(heaps: IonHeap[], reuse?: IonDevice, whole = false): IonDevice {
    if (!reuse || reuse.constructor !== this.constructor || !sameHeaps(reuse.heaps, heaps))
      return this.copy(heaps);
    reuse.opIndex = this.opIndex;
    reuse.clearOpSets();
    if (reuse.written || whole) reuse.copyFrom(this);
    reuse.written = false;
    return reuse;
  }

  /** A deep copy on `heaps`: a core of another kind overrides this. */
  protected copy(heaps: IonHeap[]): IonDevice {
    return new IonDevice(heaps, this.opts, this);
  }

  /** ION-4 3.18 fault-maps CACHED buffers (a page array for life); ION412-1 removed it. */
  protected faultMapsCached(): boolean {
    return true;
  }

  beginOp(opIndex: number): void {
    this.opIndex = opIndex;
    this.clearOpSets();
  }

  /** The per-op sets empty, as a fresh copy has them (new arrays: a checker may keep the old). */
  private clearOpSets(): void {
    if (this.destroyedThisOp.length) this.destroyedThisOp = [];
    if (this.createdThisOp.length) this.createdThisOp = [];
    if (this.attachedThisOp.length) this.attachedThisOp = [];
    if (this.mappedThisOp.length) this.mappedThisOp = [];
    if (this.touchedBuffers.size) this.touchedBuffers = new Set();
  }

  heap(name: HeapName): IonHeap | undefined {
    return this.heaps.find((h) => h.name === name);
  }

  /** A client exists from its first use (ion_client_create on open of /dev/ion). */
  client(id: number): IonClient {
    let c = this.clients.get(id);
    if (!c) {
      c = { id, byBuffer: new Map(), byIonId: new Map(), nextIonId: 1 };
      this.clients.set(id, c);
      this.written = true;
    }
    return c;
  }

  // --- buffers ---------------------------------------------------------------------------

  /** ION-4 ion_buffer_create(): heap allocate (+ one retry after draining a DEFER_FREE list). */
  protected ionBufferCreate(ctx: HeapCtx, heap: IonHeap, len: number, align: number, cached: boolean) {
    const { mm } = ctx;
    mm.enter('ionBufferCreate');
    const buf: IonBuffer = {
      id: this.nextBufferId as BufferId,
      heap,
      cached,
      size: len,
      align,
      ref: 1,
      handleCount: 0,
      kmapCnt: 0,
      vaddr: 0,
      kmapMapping: null,
      sgTable: null,
      pages: new Int32Array(0),
      faultMapped: false,
      pageArrayVaddr: 0,
      priv: null,
      state: 'live',
      createdAt: this.opIndex,
    };
    let ret = checkAllocation(mm, heap, buf, len, heap.allocate(ctx, buf, len, align));
    if (ret !== 0 && heap.deferFree) {
      this.ionHeapFreelistDrain(ctx, heap, 0, false);
      ret = checkAllocation(mm, heap, buf, len, heap.allocate(ctx, buf, len, align));
    }
    if (ret !== 0) return ret;
    this.written = true;
    this.nextBufferId++;
    // ION-4 map_dma gives the sg table (NULL -> -EINVAL)
    mm.enter('ionHeapMapDma');
    const sg = heap.mapDma(ctx, buf);
    if (!sg) {
      heap.free(ctx, buf, false);
      return -Errno.EINVAL;
    }
    buf.sgTable = sg;
    // ION-2/ION-4 fault-mapped = CACHED and not CACHED_NEEDS_SYNC: a page array for life
    if (cached && this.faultMapsCached()) {
      buf.faultMapped = true;
      const addr = mm.vmallocArray(4 * (len / PAGE_SIZE), VM_TAG.ION_ARRAY);
      if (addr === 0) {
        if (this.opts.leakOnPageArrayFailure) {
          buf.state = 'leaked'; // B10: unmap_dma and heap free skipped, memory leaks
          this.destroyedThisOp.push(buf);
          return -Errno.ENOMEM;
        }
        heap.free(ctx, buf, false);
        return -Errno.ENOMEM;
      }
      buf.pageArrayVaddr = addr;
    }
    this.buffers.set(buf.id, buf);
    this.createdThisOp.push(buf);
    return buf;
  }

  /** ION-5 ion_buffer_put(): the last put frees (or queues on a DEFER_FREE heap). */
  protected ionBufferPut(ctx: HeapCtx, buf: IonBuffer): void {
    ctx.mm.enter('ionBufferPut');
    this.touchedBuffers.add(buf);
    this.written = true;
    buf.ref--;
    if (buf.ref < 0) {
      // zoo mutants that drop a reference they never took put a freed buffer again: the kernel's
      // refcount WARNs (ION-5); the model reports it and goes on (refcounts-balanced sees it)
      const { shareWithoutRef, closeDoublePut, attachWithoutFileRef } = this.opts;
      if (!(shareWithoutRef || closeDoublePut || attachWithoutFileRef))
        throw new ModelBug(`buffer ${buf.id} kref went negative`);
      ctx.mm.printk(`WARNING: ion_buffer_put: buffer ${buf.id} kref underflow`);
      return;
    }
    if (buf.ref > 0) return;
    this.buffers.delete(buf.id);
    if (buf.heap.deferFree) {
      buf.state = 'deferred';
      this.freeList.push(buf);
      this.freeListSize += buf.size;
      return;
    }
    this.ionBufferDestroy(ctx, buf, false);
  }

  /** ION-5 ion_buffer_destroy(): unmap_kernel if still mapped (WARN), unmap_dma, heap free, vfree. */
  private ionBufferDestroy(ctx: HeapCtx, buf: IonBuffer, shrinkerFree: boolean): void {
    const { mm } = ctx;
    mm.enter('ionBufferDestroy');
    if (buf.kmapCnt > 0) {
      mm.printk(`WARNING: ion_buffer_destroy: buffer ${buf.id} still kernel-mapped`);
      this.kunmapBuffer(ctx, buf);
    }
    buf.heap.free(ctx, buf, shrinkerFree);
    if (buf.pageArrayVaddr !== 0) mm.vfree(buf.pageArrayVaddr);
    buf.pageArrayVaddr = 0;
    buf.state = 'destroyed';
    this.destroyedThisOp.push(buf);
  }

  /** ION-6 ion_heap_freelist_drain(): destroy queued buffers (all when bytes = 0). */
  ionHeapFreelistDrain(ctx: HeapCtx, heap: IonHeap | null, bytes: number, shrinker: boolean): number {
    ctx.mm.enter(shrinker ? 'ionHeapFreelistShrink' : 'ionHeapFreelistDrain');
    let drained = 0;
    for (let i = 0; i < this.freeList.length; ) {
      const b = this.freeList[i]!;
      if ((heap && b.heap !== heap) || (bytes > 0 && drained >= bytes)) {
        i++;
        continue;
      }
      this.written = true;
      this.freeList.splice(i, 1);
      this.freeListSize -= b.size;
      drained += b.size;
      this.ionBufferDestroy(ctx, b, shrinker);
    }
    return drained;
  }

  // --- handles ---------------------------------------------------------------------------

  /** ION-2 ion_handle_create(): takes a buffer ref, handle_count + 1. */
  protected ionHandleCreate(ctx: HeapCtx, client: IonClient, buf: IonBuffer): IonHandle {
    ctx.mm.enter('ionHandleCreate');
    const h = this.newHandle(client, buf);
    client.byBuffer.set(buf.id, h);
    return h;
  }

  /** ION-2 a client's new handle (or ION412-1 fd slot) on `buf`: one buffer reference. */
  protected newHandle(client: IonClient, buf: IonBuffer): IonHandle {
    this.written = true;
    const h: IonHandle = {
      ordinal: this.handles.length,
      ionId: client.nextIonId++ as HandleId,
      client: client.id,
      buffer: buf,
      ref: 1,
      kmapCnt: 0,
      live: true,
    };
    buf.ref++;
    buf.handleCount++;
    this.touchedBuffers.add(buf);
    this.handles.push(h);
    client.byIonId.set(h.ionId, h);
    return h;
  }

  /** ION-5 ion_handle_put() -> ion_handle_destroy(): drain kmaps, unlink, put the buffer. */
  protected ionHandlePut(ctx: HeapCtx, h: IonHandle): void {
    ctx.mm.enter('ionHandlePut');
    this.written = true;
    h.ref--;
    this.touchedBuffers.add(h.buffer);
    if (h.ref > 0) return;
    ctx.mm.enter('ionHandleDestroy');
    const buf = h.buffer;
    if (this.opts.handleDestroyKeepsKmaps) h.kmapCnt = 0; // zoo: the buffer's kmap_cnt is left behind
    while (h.kmapCnt > 0) this.ionHandleKmapPut(ctx, h);
    const client = this.clients.get(h.client);
    client?.byBuffer.delete(buf.id);
    client?.byIonId.delete(h.ionId);
    h.live = false;
    buf.handleCount--;
    this.ionBufferPut(ctx, buf);
  }

  /** Look up a live handle of this client by op ordinal (ION-7: unknown id -> -EINVAL). */
  protected lookup(client: number, ordinal: number): IonHandle | null {
    const h = this.handles[ordinal];
    if (!h?.live || h.client !== client) return null;
    return h;
  }

  // --- ioctls ----------------------------------------------------------------------------

  /** ION-3 ion_alloc() via ION_IOC_ALLOC: returns the handle ordinal. */
  ionAlloc(ctx: HeapCtx, clientId: number, len: number, align: number, heapName: HeapName, cached: boolean) {
    ctx.mm.enter('ionAlloc');
    const client = this.client(clientId);
    len = pagesOf(len) * PAGE_SIZE;
    if (len === 0) return -Errno.EINVAL;
    const heap = this.heap(heapName);
    if (!heap) return -Errno.ENODEV; // ION-3: no heap matched the mask
    const r = this.ionBufferCreate(ctx, heap, len, align, cached);
    if (typeof r === 'number') return r;
    const h = this.ionHandleCreate(ctx, client, r);
    this.ionBufferPut(ctx, r); // ION-3 drop the creation reference: the handle's remains
    return h.ordinal;
  }

  /** ION-7 ION_IOC_FREE -> ion_free(): drop the user's handle reference. */
  ionFree(ctx: HeapCtx, clientId: number, ordinal: number, race = false): IonRet {
    ctx.mm.enter('ionFree');
    const h = this.lookup(clientId, ordinal);
    if (!h) {
      const stale = this.handles[ordinal];
      // B3: the lookup ran before the other FREE's put, so this one passes it too
      if (race && this.opts.freeDropsLock && stale && stale.client === clientId) {
        this.written = true;
        stale.ref--; // B3: the racing FREE's put lands on a destroyed handle
        this.touchedBuffers.add(stale.buffer);
        return 0;
      }
      return -Errno.EINVAL;
    }
    this.ionHandlePut(ctx, h);
    return 0;
  }

  /** ION-11 ion_share_dma_buf_fd(): a new dma-buf per SHARE, holding a buffer reference. */
  ionShareDmaBuf(ctx: HeapCtx, clientId: number, ordinal: number): IonRet {
    ctx.mm.enter('ionShareDmaBufFd');
    const h = this.lookup(clientId, ordinal);
    if (!h) return -Errno.EINVAL;
    if (!this.opts.shareWithoutRef) h.buffer.ref++;
    return this.newDmaBuf(h.buffer);
  }

  /**
   * ION-11 a new dma-buf file on `buf` with one file reference and an open fd (the buffer ref is
   * the caller's, taken just before: the change flag set here covers it).
   */
  protected newDmaBuf(buf: IonBuffer): number {
    this.touchedBuffers.add(buf);
    this.written = true;
    const d: DmaBuf = { fd: this.dmabufs.length, buffer: buf, fileRef: 1, fdOpen: true, released: false };
    this.dmabufs.push(d);
    return d.fd;
  }

  protected liveFd(fd: number): DmaBuf | null {
    const d = this.dmabufs[fd];
    return d?.fdOpen ? d : null;
  }

  /** ION-12 ion_import_dma_buf(): reuse this client's handle for the buffer, else a new one. */
  ionImportDmaBuf(ctx: HeapCtx, clientId: number, fd: number): IonRet {
    ctx.mm.enter('ionImportDmaBuf');
    const d = this.liveFd(fd);
    if (!d) return -Errno.EBADF;
    const client = this.client(clientId);
    const existing = client.byBuffer.get(d.buffer.id);
    if (existing) {
      const bits = this.opts.handleKrefBits;
      // B4: kref_get with no overflow check; the narrowed kref wraps
      this.written = true;
      existing.ref = bits ? (existing.ref + 1) % 2 ** bits : existing.ref + 1;
      this.touchedBuffers.add(d.buffer);
      return existing.ordinal;
    }
    return this.ionHandleCreate(ctx, client, d.buffer).ordinal;
  }

  /** fput(): the last file reference releases the dma-buf, which puts the buffer (ION-11). */
  protected dmaBufPut(ctx: HeapCtx, d: DmaBuf): void {
    this.written = true;
    d.fileRef--;
    this.touchedBuffers.add(d.buffer);
    if (d.fileRef > 0) return;
    ctx.mm.enter('ionDmaBufRelease');
    d.released = true;
    this.ionBufferPut(ctx, d.buffer);
  }

  /** ION-11 close(2) on a dma-buf fd: drops the fd's file reference. */
  close(ctx: HeapCtx, fd: number): IonRet {
    ctx.mm.enter('dmaBufClose');
    const d = this.liveFd(fd);
    if (!d) return -Errno.EBADF;
    this.written = true;
    d.fdOpen = false;
    this.dmaBufPut(ctx, d);
    if (this.opts.closeDoublePut && !d.released) this.dmaBufPut(ctx, d);
    return 0;
  }

  /** ION-8 ion_buffer_kmap_get(): map_kernel at 0 -> 1. */
  protected ionBufferKmapGet(ctx: HeapCtx, buf: IonBuffer): IonRet {
    ctx.mm.enter('ionBufferKmapGet');
    this.touchedBuffers.add(buf);
    if (buf.kmapCnt > 0) {
      this.written = true;
      buf.kmapCnt++;
      return 0;
    }
    const r = buf.heap.mapKernel(ctx, buf);
    if (r === null) return -Errno.EINVAL;
    if (!r.ok) return -r.errno;
    this.written = true;
    buf.vaddr = r.value.vaddr;
    buf.kmapMapping = r.value.mapping;
    buf.kmapCnt = 1;
    this.kmappedWindowPages += buf.pages.length + 1;
    return 0;
  }

  private kunmapBuffer(ctx: HeapCtx, buf: IonBuffer): void {
    this.written = true;
    buf.heap.unmapKernel(ctx, buf);
    buf.kmapCnt = 0;
    buf.vaddr = 0;
    buf.kmapMapping = null;
    this.kmappedWindowPages -= buf.pages.length + 1;
  }

  /** ION-8 ion_buffer_kmap_put(): unmap_kernel at 1 -> 0. */
  private ionBufferKmapPut(ctx: HeapCtx, buf: IonBuffer): void {
    ctx.mm.enter('ionBufferKmapPut');
    this.written = true;
    buf.kmapCnt--;
    if (buf.kmapCnt === 0) {
      buf.kmapCnt = 1;
      this.kunmapBuffer(ctx, buf);
    }
  }

  // ION-8 ion_handle_kmap_put(): a put at 0 WARNs (double unmap)
  protected ionHandleKmapPut(ctx: HeapCtx, h: IonHandle): void {
    ctx.mm.enter('ionHandleKmapPut');
    this.touchedBuffers.add(h.buffer);
    if (h.kmapCnt === 0 && !this.opts.kmapPutUnguarded) {
      ctx.mm.printk('WARNING: ion_handle_kmap_put: double unmap');
      return;
    }
    this.written = true;
    h.kmapCnt--;
    if (h.kmapCnt === 0) this.ionBufferKmapPut(ctx, h.buffer);
  }

  /** ION-8 ion_map_kernel(). */
  ionMapKernel(ctx: HeapCtx, clientId: number, ordinal: number): IonRet {
    ctx.mm.enter('ionMapKernel');
    const h = this.lookup(clientId, ordinal);
    if (!h) return -Errno.EINVAL;
    if (!h.buffer.heap.mapKernel) return -Errno.ENODEV;
    this.touchedBuffers.add(h.buffer);
    if (h.kmapCnt > 0) {
      this.written = true;
      h.kmapCnt++;
      return h.buffer.vaddr;
    }
    const r = this.ionBufferKmapGet(ctx, h.buffer);
    if (r < 0) return r;
    h.kmapCnt = 1;
    return h.buffer.vaddr;
  }

  /** ION-8 ion_unmap_kernel(). */
  ionUnmapKernel(ctx: HeapCtx, clientId: number, ordinal: number): IonRet {
    ctx.mm.enter('ionUnmapKernel');
    const h = this.lookup(clientId, ordinal);
    if (!h) return -Errno.EINVAL;
    this.ionHandleKmapPut(ctx, h);
    return 0;
  }

  /** ION-9 ion_mmap() on a dma-buf fd: heap map_user with NC unless cached; holds a file ref. */
  ionMmap(ctx: HeapCtx, fd: number, pgoff: number, pageCount: number | undefined): IonRet {
    ctx.mm.enter('ionMmap');
    const d = this.liveFd(fd);
    if (!d) return -Errno.EBADF;
    const buf = d.buffer;
    const n = pageCount ?? buf.pages.length - pgoff;
    if (pgoff < 0 || n <= 0 || pgoff + n > buf.pages.length) return -Errno.EINVAL;
    return this.mapUserVma(ctx, d, pgoff, n);
  }

  /** ION-9 / ION-11 the heap's map_user into a new user VMA, which holds a file reference. */
  protected mapUserVma(ctx: HeapCtx, d: DmaBuf, pgoff: number, n: number): IonRet {
    const buf = d.buffer;
    const r = buf.heap.mapUser(ctx, buf, pgoff, n);
    if (!r.ok) return -r.errno;
    const mapping = ctx.mm.mmu.map(
      'user',
      r.value.type,
      r.value.pages,
      0,
      `user VMA of buffer ${buf.id}`,
      buf.id,
    );
    this.written = true;
    const v: Vma = { id: this.vmas.length, dmabuf: d, mapping, pgoff, pageCount: n, live: true };
    this.vmas.push(v);
    this.mappedThisOp.push(v);
    d.fileRef++;
    this.touchedBuffers.add(buf);
    return v.id;
  }

  // ION-11 munmap(2): the VMA's file reference goes (ion_vm_close)
  munmap(ctx: HeapCtx, id: number): IonRet {
    ctx.mm.enter('munmap');
    const v = this.vmas[id];
    if (!v?.live) return -Errno.EINVAL;
    this.written = true;
    v.live = false;
    if (v.mapping) ctx.mm.mmu.unmap(v.mapping, false); // user PTEs: TLB flushed by zap
    if (!this.opts.munmapWithoutPut) this.dmaBufPut(ctx, v.dmabuf);
    this.touchedBuffers.add(v.dmabuf.buffer);
    return 0;
  }

  /** ION-9 the owning process writes every page of the VMA: writer tag = the buffer's. */
  write(ctx: HeapCtx, id: number): IonRet {
    ctx.mm.enter('userWrite');
    const v = this.vmas[id];
    if (!v?.live || !v.mapping) return -Errno.EINVAL;
    const tag = v.dmabuf.buffer.id + 1;
    for (const p of v.mapping.pages) ctx.mm.pages.setWriter(p, tag);
    return 0;
  }

  /** dma_buf_get + dma_buf_attach + dma_buf_map_attachment: the buffer's sg table (ION-10). */
  dmaMap(ctx: HeapCtx, fd: number, device: string): IonRet {
    ctx.mm.enter('dmaBufMapAttachment');
    const d = this.liveFd(fd);
    if (!d) return -Errno.EBADF;
    ctx.mm.enter('ionMapDmaBuf');
    this.written = true;
    const a: Attachment = { dmabuf: d, device, sg: d.buffer.sgTable ?? d.buffer.pages, live: true };
    this.attachments.push(a);
    this.attachedThisOp.push(a);
    if (!this.opts.attachWithoutFileRef) d.fileRef++;
    this.touchedBuffers.add(d.buffer);
    return this.attachments.length - 1;
  }

  // ION-10 dma_buf_unmap_attachment + dma_buf_detach + dma_buf_put
  dmaUnmap(ctx: HeapCtx, fd: number, device: string): IonRet {
    ctx.mm.enter('dmaBufUnmapAttachment');
    const a = this.attachments.find((x) => x.live && x.dmabuf.fd === fd && x.device === device);
    if (!a) return -Errno.EINVAL;
    this.written = true;
    a.live = false;
    if (!this.opts.detachWithoutPut) this.dmaBufPut(ctx, a.dmabuf);
    this.touchedBuffers.add(a.dmabuf.buffer);
    return 0;
  }

  /** ION-13 client exit: every handle destroyed as ION-5 (fds and VMAs are separate [A]). */
  clientExit(ctx: HeapCtx, clientId: number): IonRet {
    ctx.mm.enter('ionClientDestroy');
    const c = this.clients.get(clientId);
    if (!c) return -Errno.EINVAL;
    this.written = true;
    for (const h of [...c.byIonId.values()]) {
      h.ref = 1;
      this.ionHandlePut(ctx, h);
    }
    this.clients.delete(clientId);
    return 0;
  }

  /** ION-6 + HEAP-POOL-1: the shrinker drains the free lists, then the heaps' pools. */
  shrink(ctx: HeapCtx): IonRet {
    ctx.mm.enter('ionHeapShrink');
    let freed = this.ionHeapFreelistDrain(ctx, null, 0, true) / PAGE_SIZE;
    for (const h of this.heaps) freed += h.shrink(ctx);
    return freed;
  }

  liveBuffers(): IterableIterator<IonBuffer> {
    return this.buffers.values();
  }

  /** No live or queued buffer and empty pools: freed-completely's quiescence check applies. */
  quiescent(): boolean {
    return (
      this.buffers.size === 0 && this.freeList.length === 0 && this.heaps.every((h) => h.shrinkCount() === 0)
    );
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** copyFrom's scratch (module state: one copy runs at a time, and a fork allocates none of it). */
const SPARE = {
  /** The device being filled and its source; the handle map being filled. */
  dev: null as IonDevice | null,
  src: null as IonDevice | null,
  map: null as Map<number, IonHandle> | null,
  /** The current copy's number: an entry below is this copy's only if its stamp is this. */
  stamp: 0,
  /** The target device's own buffer objects and clients by id, refilled instead of allocated. */
  buffers: [] as (IonBuffer | undefined)[],
  bufferStamp: [] as number[],
  clients: [] as (IonClient | undefined)[],
  clientStamp: [] as number[],
  /** The source's buffers by id and their copies (one copy per buffer). */
  from: [] as (IonBuffer | undefined)[],
  fromStamp: [] as number[],
  copy: [] as IonBuffer[],
};

// Map.forEach callbacks of copyFrom (module functions: no iterator or closure per copy)
function stashBuffer(b: IonBuffer): void {
  SPARE.buffers[b.id] = b;
  SPARE.bufferStamp[b.id] = SPARE.stamp;
}
function stashClient(c: IonClient): void {
  SPARE.clients[c.id] = c;
  SPARE.clientStamp[c.id] = SPARE.stamp;
}
function setBufferCopy(b: IonBuffer, id: number): void {
  SPARE.dev!.buffers.set(id, SPARE.dev!.copyBuffer(SPARE.src!, b));
}
function setClientCopy(cl: IonClient, id: number): void {
  const spare = SPARE.clientStamp[id] === SPARE.stamp ? SPARE.clients[id] : undefined;
  const c = spare ?? { id, byBuffer: new Map(), byIonId: new Map(), nextIonId: 0 };
  c.nextIonId = cl.nextIonId;
  refillHandles(c.byBuffer, cl.byBuffer);
  refillHandles(c.byIonId, cl.byIonId);
  SPARE.dev!.clients.set(id, c);
}
function refillHandles(to: Map<number, IonHandle>, from: Map<number, IonHandle>): void {
  to.clear();
  SPARE.map = to;
  from.forEach(setHandleCopy);
}
function setHandleCopy(h: IonHandle, k: number): void {
  SPARE.map!.set(k, SPARE.dev!.handleCopy(SPARE.src!, h));
}

/** `to` made a copy of `from` object by object, over `to`'s own objects where it has them. */
function copyList<T extends object>(
  dev: IonDevice,
  src: IonDevice,
  to: (T | null)[],
  from: readonly (T | null)[],
  relink: (dev: IonDevice, src: IonDevice, c: Mutable<T>) => void,
): void {
  for (let i = 0; i < from.length; i++) {
    const x = from[i]!;
    const old = to[i];
    if (x === null) to[i] = null;
    else {
      const c: Mutable<T> = old ? Object.assign(old, x) : { ...x };
      relink(dev, src, c);
      to[i] = c;
    }
  }
  if (to.length !== from.length) to.length = from.length;
}

// each copied object points at this device's copy of what the source's points at
const relinkToBuffer = (dev: IonDevice, src: IonDevice, c: Mutable<IonHandle | DmaBuf>) => {
  c.buffer = dev.copyBuffer(src, c.buffer);
};
const relinkToDmaBuf = (dev: IonDevice, src: IonDevice, c: Mutable<Vma | Attachment>) => {
  c.dmabuf = dev.dmabufCopy(src, c.dmabuf);
};

/** Whether two heap lists hold the same heap objects (a reused device's buffers point at them). */
function sameHeaps(a: readonly IonHeap[], b: readonly IonHeap[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export type { DmaLayer, Mm };
export { Owner };
