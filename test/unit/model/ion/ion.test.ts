/**
 * The 3.18 ION core (src/model/ion/ion.ts, drivers/staging/android/ion/ion.c T-v3.18): ION-2..13
 * on the ops of the replay vocabulary. Reference counts follow the kernel: a buffer's kref is its
 * handles + dma-bufs (+ the creation ref while it is made); a dma-buf's file refs are its fd, its
 * mmaps and its importers; the buffer goes when the last of them does (ION-11).
 */
import { describe, expect, it } from 'vitest';
import { VM_TAG } from '../../../../src/model/mm.ts';
import { Owner } from '../../../../src/model/pages.ts';
import { MemType } from '../../../../src/model/types.ts';
import { alloc, boot, KiB, MiB } from '../../../helpers/kernel.ts';

const free = (handle: number, client = 1) => ({ op: 'free', client, handle }) as const;
const share = (handle: number, client = 1) => ({ op: 'share', client, handle }) as const;
const kmap = (handle: number, client = 1) => ({ op: 'kmap', client, handle }) as const;
const kunmap = (handle: number, client = 1) => ({ op: 'kunmap', client, handle }) as const;

describe('ION-3 ion_alloc', () => {
  it('PAGE_ALIGNs len, creates a buffer whose only ref is the handle, and returns the handle ordinal', () => {
    const k = boot('tiny', 'cma-direct');
    const r = k.apply(alloc(5000));
    expect(r).toMatchObject({ ok: true, value: 0 });
    expect(r.callPath).toEqual(
      expect.arrayContaining(['ionAlloc', 'ionBufferCreate', 'ionHandleCreate', 'ionBufferPut']),
    );
    const b = k.ion.buffers.get(0)!;
    expect([b.size, b.pages.length, b.ref, b.handleCount, b.state]).toEqual([8192, 2, 1, 1, 'live']);
    expect(k.ion.handles[0]).toMatchObject({ client: 1, ref: 1, kmapCnt: 0, live: true, buffer: b });
  });

  it('len 0 is -EINVAL; a heap the board does not declare is -ENODEV; a failed heap passes its errno on', () => {
    const k = boot('tiny,heaps=cma', 'cma-direct');
    expect(k.apply(alloc(0))).toMatchObject({ ok: false, errno: 22 });
    expect(k.apply(alloc(4 * KiB, { heap: 'system' }))).toMatchObject({ ok: false, errno: 19 });
    expect(k.apply(alloc(8 * MiB))).toMatchObject({ ok: false, errno: 12 }); // HEAP-CMA-4: NULL -> -ENOMEM
    expect(k.ion.buffers.size).toBe(0);
    expect(k.ion.handles).toHaveLength(0);
  });

  it('ION-2: handle ids count from 1 per client; op ordinals are global in creation order', () => {
    const k = boot('tiny', 'cma-direct');
    for (const c of [1, 2, 1]) k.apply(alloc(4 * KiB, { client: c }));
    expect(k.ion.handles.map((h) => [h!.ordinal, h!.client, h!.ionId])).toEqual([
      [0, 1, 1],
      [1, 2, 1],
      [2, 1, 2],
    ]);
  });
});

describe('ION-5/7 ion_free', () => {
  it("drops the user's handle: the last ref destroys the buffer on a heap without deferred free", () => {
    const k = boot('tiny', 'cma-direct');
    k.apply(alloc(16 * KiB));
    const b = k.ion.buffers.get(0)!;
    const used = k.mm.cma!.usedPages;
    expect(k.apply(free(0))).toMatchObject({ ok: true, value: 0 });
    expect([b.state, b.ref, b.handleCount]).toEqual(['destroyed', 0, 0]);
    expect(k.ion.handles[0]!.live).toBe(false);
    expect(k.ion.buffers.size).toBe(0);
    expect(used - k.mm.cma!.usedPages).toBe(4);
  });

  it("another client's handle, a freed one or an unknown id is -EINVAL and changes nothing (ION-7)", () => {
    const k = boot('tiny', 'cma-direct');
    k.apply(alloc(4 * KiB));
    const h = k.hash();
    expect(k.apply(free(0, 2))).toMatchObject({ ok: false, errno: 22 });
    expect(k.apply(free(3))).toMatchObject({ ok: false, errno: 22 });
    expect(k.hash()).toBe(h);
    k.apply(free(0));
    expect(k.apply(free(0))).toMatchObject({ ok: false, errno: 22 });
    // a racing FREE is serialised by the client lock: the same -EINVAL (B3 needs the zoo design)
    expect(k.apply({ op: 'free', client: 1, handle: 0, race: true })).toMatchObject({ ok: false, errno: 22 });
  });

  it('ION-6: on a DEFER_FREE heap (system) the last put queues the buffer; shrink destroys it', () => {
    const k = boot('tiny', 'cma-direct');
    k.apply(alloc(64 * KiB, { heap: 'system' }));
    const b = k.ion.buffers.get(0)!;
    k.apply(free(0));
    expect(b.state).toBe('deferred');
    expect(k.ion.freeList).toEqual([b]);
    expect(k.ion.freeListSize).toBe(64 * KiB);
    expect(k.ion.quiescent()).toBe(false);
    k.apply({ op: 'shrink' });
    expect(b.state).toBe('destroyed');
    expect(k.ion.freeListSize).toBe(0);
    expect(k.ion.quiescent()).toBe(true);
  });

  it('ION-4: a DEFER_FREE heap that fails drains its free list and retries once', () => {
    const k = boot('tiny,heaps=system', 'cma-direct');
    // tiny has 4,096 pages: a system buffer may take up to half (HEAP-SYS-1)
    expect(k.apply(alloc(7 * MiB, { heap: 'system', cached: true })).ok).toBe(true);
    k.apply(free(0));
    expect(k.ion.freeList).toHaveLength(1);
    const r = k.apply(alloc(7 * MiB, { heap: 'system', cached: true }));
    expect(r.ok).toBe(true);
    expect(r.callPath).toContain('ionHeapFreelistDrain');
    expect(k.ion.freeList).toHaveLength(0);
  });
});

describe('ION-11/12 share and import', () => {
  it('SHARE exports a new dma-buf each time, each holding a buffer ref; fds count from 0', () => {
    const k = boot('tiny', 'cma-direct');
    k.apply(alloc(4 * KiB));
    expect(k.apply(share(0)).value).toBe(0);
    expect(k.apply(share(0)).value).toBe(1);
    expect(k.ion.buffers.get(0)!.ref).toBe(3);
    expect(k.ion.dmabufs.map((d) => [d.fd, d.fileRef, d.fdOpen])).toEqual([
      [0, 1, true],
      [1, 1, true],
    ]);
    expect(k.apply(share(0, 2))).toMatchObject({ ok: false, errno: 22 });
  });

  it('IMPORT by the owner reuses its handle (+1 handle ref); another client gets a new handle (+1 buffer ref)', () => {
    const k = boot('tiny', 'cma-direct');
    k.apply(alloc(4 * KiB));
    k.apply(share(0));
    expect(k.apply({ op: 'import', client: 1, fd: 0 }).value).toBe(0);
    expect(k.ion.handles[0]!.ref).toBe(2);
    expect(k.apply({ op: 'import', client: 2, fd: 0 }).value).toBe(1);
    expect(k.ion.handles[1]).toMatchObject({ client: 2, ionId: 1, ref: 1 });
    const b = k.ion.buffers.get(0)!;
    expect([b.ref, b.handleCount]).toEqual([3, 2]);
    expect(k.apply({ op: 'import', client: 1, fd: 9 })).toMatchObject({ ok: false, errno: 9 });
  });

  it('the buffer lives while any handle, fd or mapping holds it; close of a closed fd is -EBADF', () => {
    const k = boot('tiny', 'cma-direct');
    k.apply(alloc(16 * KiB));
    k.apply(share(0));
    k.apply({ op: 'mmap', fd: 0 });
    k.apply({ op: 'dma-map', fd: 0, device: 'gpu' });
    const b = k.ion.buffers.get(0)!;
    expect(k.ion.dmabufs[0]!.fileRef).toBe(3); // fd + mmap + attachment
    for (const op of [free(0), { op: 'close', fd: 0 } as const, { op: 'munmap', vma: 0 } as const]) {
      expect(k.apply(op).ok).toBe(true);
      expect(b.state).toBe('live');
    }
    expect(k.apply({ op: 'close', fd: 0 })).toMatchObject({ ok: false, errno: 9 });
    expect(k.apply({ op: 'dma-unmap', fd: 0, device: 'gpu' }).ok).toBe(true);
    expect(k.ion.dmabufs[0]!.released).toBe(true);
    expect(b.state).toBe('destroyed');
  });
});

describe('ION-8 kernel map counts', () => {
  it('the handle count moves the buffer count only on 0 <-> 1; map_kernel once, unmap at the last put', () => {
    const k = boot('tiny', 'cma-direct');
    k.apply(alloc(16 * KiB));
    k.apply(share(0));
    k.apply({ op: 'import', client: 2, fd: 0 });
    const b = k.ion.buffers.get(0)!;
    k.apply(kmap(0));
    k.apply(kmap(0));
    const r = k.apply(kmap(1, 2));
    expect(r.callPath).not.toContain('ionHeapMapKernel'); // already mapped
    expect([k.ion.handles[0]!.kmapCnt, k.ion.handles[1]!.kmapCnt, b.kmapCnt]).toEqual([2, 1, 2]);
    expect(k.mm.vmTagPages[VM_TAG.ION_MAP]).toBe(5);
    expect(k.ion.kmappedWindowPages).toBe(5);
    k.apply(kunmap(0));
    k.apply(kunmap(0));
    expect(b.kmapCnt).toBe(1);
    expect(k.apply(kunmap(1, 2)).callPath).toContain('ionHeapUnmapKernel');
    expect([b.kmapCnt, b.vaddr, b.kmapMapping]).toEqual([0, 0, null]);
    expect(k.ion.kmappedWindowPages).toBe(0);
  });

  it('a kunmap with nothing mapped WARNs (double unmap) and changes no count', () => {
    const k = boot('tiny', 'cma-direct');
    k.apply(alloc(4 * KiB));
    const r = k.apply(kunmap(0));
    expect(r).toMatchObject({ ok: true });
    expect(r.log).toContain('WARNING: ion_handle_kmap_put: double unmap');
    expect(k.ion.handles[0]!.kmapCnt).toBe(0);
  });

  it("destroying a handle drains its kmaps (ION-5), so the buffer's mapping goes with the last one", () => {
    const k = boot('tiny', 'cma-direct');
    k.apply(alloc(16 * KiB));
    k.apply(kmap(0));
    k.apply(kmap(0));
    k.apply(free(0));
    expect(k.mm.vmTagPages[VM_TAG.ION_MAP]).toBe(0);
    expect(k.ion.kmappedWindowPages).toBe(0);
  });

  it('the 3.18 CMA heap maps at alloc: kmap returns that address and costs no window (HEAP-CMA-2)', () => {
    const k = boot('arm32-1g,carveout=0', 'legacy-3.18');
    k.apply(alloc(MiB));
    const used = k.mm.vmalloc.usedPages;
    k.apply(kmap(0));
    expect(k.ion.buffers.get(0)!.vaddr).toBe(0xf0041000); // GOLD-12
    expect(k.mm.vmalloc.usedPages).toBe(used);
  });
});

describe('ION-9 mmap and write', () => {
  it('an uncached buffer is mapped NC, a cached one WB; mapping ranges are checked (-EINVAL), closed fds -EBADF', () => {
    const k = boot('tiny', 'cma-direct');
    k.apply(alloc(16 * KiB));
    k.apply(alloc(16 * KiB, { cached: true }));
    k.apply(share(0));
    k.apply(share(1));
    expect(k.apply({ op: 'mmap', fd: 0, pgoff: 1, pages: 2 }).value).toBe(0);
    expect(k.ion.vmas[0]!.mapping!.type).toBe(MemType.NC);
    expect([...k.ion.vmas[0]!.mapping!.pages]).toEqual([...k.ion.buffers.get(0)!.pages.slice(1, 3)]);
    expect(k.apply({ op: 'mmap', fd: 1 }).value).toBe(1);
    expect(k.ion.vmas[1]!.mapping!.type).toBe(MemType.WB);
    expect(k.apply({ op: 'mmap', fd: 0, pgoff: 3, pages: 2 })).toMatchObject({ ok: false, errno: 22 });
    expect(k.apply({ op: 'mmap', fd: 0, pgoff: 4 })).toMatchObject({ ok: false, errno: 22 });
    k.apply({ op: 'close', fd: 0 });
    expect(k.apply({ op: 'mmap', fd: 0 })).toMatchObject({ ok: false, errno: 9 });
  });

  it('write tags every page of the VMA with the buffer (id + 1); munmap twice is -EINVAL', () => {
    const k = boot('tiny', 'cma-direct');
    k.apply(alloc(8 * KiB));
    k.apply(share(0));
    k.apply({ op: 'mmap', fd: 0 });
    expect(k.apply({ op: 'write', vma: 0 }).ok).toBe(true);
    for (const p of k.ion.buffers.get(0)!.pages) expect(k.mm.pages.writer[p]).toBe(1);
    expect(k.apply({ op: 'munmap', vma: 0 }).ok).toBe(true);
    expect(k.apply({ op: 'munmap', vma: 0 })).toMatchObject({ ok: false, errno: 22 });
    expect(k.apply({ op: 'write', vma: 0 })).toMatchObject({ ok: false, errno: 22 });
  });

  it("ION-4: a cached buffer is fault-mapped: a page array vmalloc'ed for its life (ceil(4n / 4096) + 1 pages)", () => {
    const k = boot('arm32-1g,carveout=0', 'cma-direct');
    k.apply(alloc(4 * MiB, { cached: true })); // 1,024 pages: a 4 KiB array + guard
    const b = k.ion.buffers.get(0)!;
    expect(b.faultMapped).toBe(true);
    expect(k.mm.vmTagPages[VM_TAG.ION_ARRAY]).toBe(2);
    k.apply(free(0));
    expect(k.mm.vmTagPages[VM_TAG.ION_ARRAY]).toBe(0);
    k.apply(alloc(4 * MiB));
    expect(k.ion.buffers.get(1)!.faultMapped).toBe(false);
  });
});

describe('ION-10 importer attachments', () => {
  it("dma-map hands the buffer's one sg table to the importer and takes a file ref; dma-unmap of nothing is -EINVAL", () => {
    const k = boot('tiny', 'cma-direct');
    k.apply(alloc(8 * KiB));
    k.apply(share(0));
    expect(k.apply({ op: 'dma-map', fd: 0, device: 'isp' }).ok).toBe(true);
    const a = k.ion.attachments[0]!;
    expect(a.sg).toBe(k.ion.buffers.get(0)!.sgTable);
    expect(k.ion.dmabufs[0]!.fileRef).toBe(2);
    expect(k.apply({ op: 'dma-unmap', fd: 0, device: 'gpu' })).toMatchObject({ ok: false, errno: 22 });
    expect(k.apply({ op: 'dma-map', fd: 5, device: 'isp' })).toMatchObject({ ok: false, errno: 9 });
  });
});

describe('ION-13 client exit', () => {
  it("destroys the client's handles whatever their refs; its fds and mappings stay until closed", () => {
    const k = boot('tiny', 'cma-direct');
    k.apply(alloc(4 * KiB));
    k.apply(share(0));
    k.apply({ op: 'import', client: 1, fd: 0 }); // handle ref 2
    k.apply(kmap(0));
    expect(k.apply({ op: 'client-exit', client: 1 })).toMatchObject({ ok: true, value: 0 });
    expect(k.ion.handles[0]!.live).toBe(false);
    expect(k.ion.clients.has(1)).toBe(false);
    const b = k.ion.buffers.get(0)!;
    expect([b.state, b.ref, b.kmapCnt]).toEqual(['live', 1, 0]); // the dma-buf's ref
    k.apply({ op: 'close', fd: 0 });
    expect(b.state).toBe('destroyed');
    expect(k.apply({ op: 'client-exit', client: 1 })).toMatchObject({ ok: false, errno: 22 });
  });
});

describe('B10 (ION-4): the page array failing', () => {
  it('legacy-3.18 leaks the heap memory; the fixed core frees it (-ENOMEM either way)', () => {
    const run = (design: string) => {
      const k = boot('arm32-1g', design);
      k.apply({ op: 'purge' });
      k.apply({ op: 'driver-vmap', pages: k.mm.vmalloc.freePages - 1 }); // window full
      const r = k.apply(alloc(64 * KiB, { heap: 'system', cached: true }));
      return { r, k };
    };
    const legacy = run('legacy-3.18');
    expect(legacy.r).toMatchObject({ ok: false, errno: 12 });
    const leaked = legacy.k.ion.destroyedThisOp[0]!;
    expect(leaked.state).toBe('leaked');
    expect(legacy.k.mm.pages.ownerKind[leaked.pages[0]!]).toBe(Owner.BUFFER);
    const fixed = run('no-kernel-mapping');
    expect(fixed.r).toMatchObject({ ok: false, errno: 12 });
    expect(fixed.k.ion.destroyedThisOp).toEqual([]);
  });
});

describe('IonDevice.fork (Kernel.clone)', () => {
  it('re-links every object to copied buffers and handles: the fork changes nothing of the original', () => {
    const k = boot('tiny', 'cma-direct');
    k.apply(alloc(8 * KiB));
    k.apply(share(0));
    k.apply({ op: 'import', client: 2, fd: 0 });
    k.apply({ op: 'mmap', fd: 0 });
    const c = k.clone();
    expect(c.ion.handles[1]!.buffer).toBe(c.ion.buffers.get(0));
    expect(c.ion.dmabufs[0]!.buffer).toBe(c.ion.buffers.get(0));
    expect(c.ion.vmas[0]!.dmabuf).toBe(c.ion.dmabufs[0]);
    expect(c.ion.clients.get(2)!.byBuffer.get(0)).toBe(c.ion.handles[1]);
    c.apply({ op: 'client-exit', client: 2 });
    expect(k.ion.handles[1]!.live).toBe(true);
    expect(k.ion.buffers.get(0)!.ref).toBe(3);
    expect(c.ion.buffers.get(0)!.ref).toBe(2);
  });
});
