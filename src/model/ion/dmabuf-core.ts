/**
 * The dma-buf core: ION after the 4.12 rework (ION412-1, drivers/staging/android/ion/ion.c v4.12)
 * and the 5.6+ dma-buf heaps (DMABUF-CMA-1/2, drivers/dma-buf/dma-heap.c). ALLOC exports a
 * dma-buf and returns its fd; there are no ION handles or clients, and a buffer lives as long as
 * its dma-buf. The fixed op vocabulary maps onto it so (docs/designs.md, "The dma-buf core"):
 * - `alloc` returns the fd ALLOC gave, held by the client in a handle-like slot (IonHandle, ref 1,
 *   never shared: the fd table has no per-buffer dedupe as ION-12 had); `free` closes that fd;
 *   `client-exit` closes every fd the process holds.
 * - `share` is dup(2) of the slot's fd, `import` is a process receiving the fd (binder,
 *   SCM_RIGHTS): both another reference to the same dma-buf file. The model keeps one DmaBuf
 *   entry per dup'd fd, each holding one buffer reference: the buffer goes when the file's last
 *   reference (fds, mmaps, importers) goes, as dma_buf_release does.
 * - `kmap`/`kunmap`: a kernel driver acting for the slot's holder: ION 4.12
 *   dma_buf_begin_cpu_access + dma_buf_kmap (ion_buffer_kmap_get, sync every attachment for the
 *   CPU) and end_cpu_access (kmap put, sync for the device); dma-buf heaps dma_buf_vmap / vunmap
 *   (counted). The driver begins once per slot and ends only what it began [A].
 * - `dma-map`/`dma-unmap`: dma_buf_attach (a copy of the sg table per attachment, dup_sg_table)
 *   + dma_buf_map_attachment (dma_map_sg on the device), and the reverse.
 * - `mmap`: ion_mmap (4.12: uncached -> writecombine, heap map_user) or the heap's fault handler.
 */

import { Errno, PAGE_SIZE, pagesOf } from '../types.ts';
import type { HeapCtx, HeapName, IonBuffer, IonHeap } from './heap.ts';
import { type IonCoreOptions, IonDevice, type IonRet } from './ion.ts';
import type { Attachment, IonClient, IonHandle } from './objects.ts';

/** The ION core a design asks for: 3.18's (ION-1..14) or the dma-buf core. */
export function makeIonDevice(heaps: IonHeap[], opts: IonCoreOptions): IonDevice {
  return opts.core === 'ion-4.12' || opts.core === 'dma-heap'
    ? new DmaBufCore(heaps, opts)
    : new IonDevice(heaps, opts);
}

export class DmaBufCore extends IonDevice {
  /** dma-buf heaps: `kmap` is dma_buf_vmap; ION 4.12: begin_cpu_access + dma_buf_kmap. */
  private get heaps56(): boolean {
    return this.opts.core === 'dma-heap';
  }

  protected override copy(heaps: IonHeap[]): IonDevice {
    return new DmaBufCore(heaps, this.opts, this);
  }

  // ION412-1 "Remove page faulting support": no page array for CACHED buffers
  protected override faultMapsCached(): boolean {
    return false;
  }

  /** The fd ALLOC returns, as a slot of the client: one buffer reference (ION412-1). */
  private slotCreate(client: IonClient, buf: IonBuffer): IonHandle {
    return this.newHandle(client, buf);
  }

  // ION412-1 ion_alloc() (4.12): ion_buffer_create, dma_buf_export, dma_buf_fd; no align in the
  // 4.12 ABI. DMABUF-CMA-1 dma_heap_ioctl_allocate(): every dma-buf heap buffer is cacheable.
  override ionAlloc(
    ctx: HeapCtx,
    clientId: number,
    len: number,
    _align: number,
    heapName: HeapName,
    cached: boolean,
  ) {
    ctx.mm.enter(this.heaps56 ? 'dmaHeapIoctlAllocate' : 'ionAlloc');
    const client = this.client(clientId);
    len = pagesOf(len) * PAGE_SIZE;
    if (len === 0) return -Errno.EINVAL;
    const heap = this.heap(heapName);
    if (!heap) return -Errno.ENODEV;
    const r = this.ionBufferCreate(ctx, heap, len, 0, this.heaps56 || cached);
    if (typeof r === 'number') return r;
    // ION412-1 dma_buf_export() + dma_buf_fd(): the fd is the client's slot
    ctx.mm.enter('dmaBufExport');
    const h = this.slotCreate(client, r);
    this.ionBufferPut(ctx, r); // the creation reference: the dma-buf's (the slot's) remains
    return h.ordinal;
  }

  // ION412-1 close(2) on the fd ALLOC returned
  override ionFree(ctx: HeapCtx, clientId: number, ordinal: number): IonRet {
    ctx.mm.enter('closeFd');
    const h = this.lookup(clientId, ordinal);
    if (!h) return -Errno.EBADF;
    this.ionHandlePut(ctx, h);
    return 0;
  }

  // ION412-1 fput() of one fd: the driver ends the CPU access it began first [A], then the
  // dma-buf's reference goes (dma_buf_release -> _ion_buffer_destroy on the last)
  protected override ionHandlePut(ctx: HeapCtx, h: IonHandle): void {
    ctx.mm.enter('fput');
    this.written = true;
    h.ref--;
    this.touchedBuffers.add(h.buffer);
    if (h.ref > 0) return;
    if (h.kmapCnt > 0) {
      h.kmapCnt = 1;
      this.endCpuAccess(ctx, h);
    }
    this.clients.get(h.client)?.byIonId.delete(h.ionId);
    h.live = false;
    h.buffer.handleCount--;
    this.ionBufferPut(ctx, h.buffer);
  }

  // ION412-1 SHARE is dup(2): another fd of the same dma-buf file, no new export
  override ionShareDmaBuf(ctx: HeapCtx, clientId: number, ordinal: number): IonRet {
    ctx.mm.enter('dupFd');
    const h = this.lookup(clientId, ordinal);
    if (!h) return -Errno.EBADF;
    h.buffer.ref++; // newDmaBuf sets the change flag
    return this.newDmaBuf(h.buffer);
  }

  // ION412-1 no ION_IOC_IMPORT: the process receives the fd (a new fd of the same file)
  override ionImportDmaBuf(ctx: HeapCtx, clientId: number, fd: number): IonRet {
    ctx.mm.enter('receiveFd');
    const d = this.liveFd(fd);
    if (!d) return -Errno.EBADF;
    return this.slotCreate(this.client(clientId), d.buffer).ordinal;
  }

  // ION412-1 ion_buffer_kmap_get() (4.12): any non-zero count is taken as mapped
  protected override ionBufferKmapGet(ctx: HeapCtx, buf: IonBuffer): IonRet {
    if (buf.kmapCnt !== 0) {
      ctx.mm.enter('ionBufferKmapGet');
      this.touchedBuffers.add(buf);
      this.written = true;
      buf.kmapCnt++;
      return 0;
    }
    return super.ionBufferKmapGet(ctx, buf);
  }

  /** ION412-1 dma_sync_sg_for_cpu / _for_device on every attachment's table (caches not simulated). */
  private syncAttachments(
    ctx: HeapCtx,
    buf: IonBuffer,
    name: 'dmaSyncSgForCpu' | 'dmaSyncSgForDevice',
  ): void {
    if (this.attachments.some((a) => a.live && a.dmabuf.buffer === buf)) ctx.mm.enter(name);
  }

  // ION412-1 ion_dma_buf_begin_cpu_access() + dma_buf_kmap(); DMABUF-CMA-1 dma_buf_vmap()
  override ionMapKernel(ctx: HeapCtx, clientId: number, ordinal: number): IonRet {
    ctx.mm.enter(this.heaps56 ? 'dmaBufVmap' : 'dmaBufBeginCpuAccess');
    const h = this.lookup(clientId, ordinal);
    if (!h) return -Errno.EBADF;
    this.touchedBuffers.add(h.buffer);
    this.written = true;
    if (h.kmapCnt > 0) {
      h.kmapCnt++;
      return h.buffer.vaddr;
    }
    const r = this.ionBufferKmapGet(ctx, h.buffer);
    // B13 (4.12 as merged): the ERR_PTR from ion_buffer_kmap_get is dropped, begin returns 0
    if (r < 0 && !this.opts.beginIgnoresKmapError) return r;
    if (r < 0)
      ctx.mm.printk(`ion_dma_buf_begin_cpu_access: kmap of buffer ${h.buffer.id} failed (${r}), ignored`);
    h.kmapCnt = 1;
    if (!this.heaps56) this.syncAttachments(ctx, h.buffer, 'dmaSyncSgForCpu');
    return h.buffer.vaddr;
  }

  /** ION412-1 ion_dma_buf_end_cpu_access(): kmap put, then sync every attachment for the device. */
  private endCpuAccess(ctx: HeapCtx, h: IonHandle): void {
    this.ionHandleKmapPut(ctx, h);
    if (!this.heaps56) this.syncAttachments(ctx, h.buffer, 'dmaSyncSgForDevice');
  }

  // ION412-1 ion_dma_buf_end_cpu_access(); DMABUF-CMA-1 dma_buf_vunmap(); only what was begun [A]
  override ionUnmapKernel(ctx: HeapCtx, clientId: number, ordinal: number): IonRet {
    ctx.mm.enter(this.heaps56 ? 'dmaBufVunmap' : 'dmaBufEndCpuAccess');
    const h = this.lookup(clientId, ordinal);
    if (!h) return -Errno.EBADF;
    if (h.kmapCnt === 0) return -Errno.EINVAL;
    this.endCpuAccess(ctx, h);
    return 0;
  }

  // ION412-1 dma_buf_attach -> ion_dma_buf_attach: dup_sg_table; dma_buf_map_attachment ->
  // ion_map_dma_buf: dma_map_sg on the device (DMABUF-CMA-2: the heap's own table, likewise)
  override dmaMap(ctx: HeapCtx, fd: number, device: string): IonRet {
    const { mm } = ctx;
    mm.enter('dmaBufAttach');
    const d = this.liveFd(fd);
    if (!d) return -Errno.EBADF;
    mm.enter('dupSgTable');
    const sg = (d.buffer.sgTable ?? d.buffer.pages).slice();
    // arm_dma_map_sg(), no IOMMU: every entry's DMA address = its physical address; cannot fail
    mm.enter('dmaMapSg');
    this.written = true;
    const a: Attachment = { dmabuf: d, device, sg, live: true };
    this.attachments.push(a);
    this.attachedThisOp.push(a);
    d.fileRef++;
    this.touchedBuffers.add(d.buffer);
    return this.attachments.length - 1;
  }

  // ION412-1 dma_buf_unmap_attachment (dma_unmap_sg) + dma_buf_detach (free the copy) + dma_buf_put
  override dmaUnmap(ctx: HeapCtx, fd: number, device: string): IonRet {
    ctx.mm.enter('dmaUnmapSg');
    const a = this.attachments.find((x) => x.live && x.dmabuf.fd === fd && x.device === device);
    if (!a) return -Errno.EINVAL;
    ctx.mm.enter('dmaBufDetach');
    this.written = true;
    a.live = false;
    this.dmaBufPut(ctx, a.dmabuf);
    return 0;
  }

  // ION412-1 ion_mmap (uncached -> writecombine, heap map_user); DMABUF-CMA-1 the heap's mmap.
  // dma_buf_mmap_internal() refuses a VMA past the buffer; B14: without VM_DONTEXPAND an mremap
  // can grow it afterwards, which the model folds into the same op (IonHeap.vmaMayGrow).
  override ionMmap(ctx: HeapCtx, fd: number, pgoff: number, pages: number | undefined): IonRet {
    ctx.mm.enter('dmaBufMmap');
    const d = this.liveFd(fd);
    if (!d) return -Errno.EBADF;
    const buf = d.buffer;
    const size = buf.pages.length;
    const n = pages ?? size - pgoff;
    if (pgoff >= size || n <= 0) return -Errno.EINVAL;
    if (pgoff + n > size && !buf.heap.vmaMayGrow) return -Errno.EINVAL;
    return this.mapUserVma(ctx, d, pgoff, n);
  }

  // ION412-1 process exit: every fd it holds is closed (fds from share and mmaps go separately, ION-13)
  override clientExit(ctx: HeapCtx, clientId: number): IonRet {
    ctx.mm.enter('exitFiles');
    const c = this.clients.get(clientId);
    if (!c) return -Errno.EINVAL;
    this.written = true;
    for (const h of [...c.byIonId.values()]) this.ionHandlePut(ctx, h);
    this.clients.delete(clientId);
    return 0;
  }
}
