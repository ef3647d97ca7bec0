/**
 * ION's objects (src/model/ion/objects.ts, ION-1/ION-2): what each field means, checked on the
 * objects the core builds for one buffer shared, imported, mapped and attached, and on the other
 * driver's vmapped area. Each field is read as its doc comment says.
 */
import { describe, expect, it } from 'vitest';
import { Owner } from '../../../../src/model/pages.ts';
import { alloc, boot, KiB } from '../../../helpers/kernel.ts';

function scene() {
  const k = boot('tiny', 'cma-direct');
  k.apply({ op: 'purge' }); // op 0
  k.apply(alloc(12 * KiB, { cached: true, align: 4096 })); // op 1: buffer 0, handle 0
  k.apply({ op: 'share', client: 1, handle: 0 }); // fd 0
  k.apply({ op: 'import', client: 2, fd: 0 }); // handle 1
  k.apply({ op: 'mmap', fd: 0, pgoff: 1 }); // vma 0
  k.apply({ op: 'dma-map', fd: 0, device: 'gpu' });
  k.apply({ op: 'kmap', client: 2, handle: 1 });
  return k;
}

describe('IonBuffer', () => {
  it('size is PAGE_ALIGN(len); pages and sg table agree; createdAt is the op index; ref = handles + dma-bufs', () => {
    const k = scene();
    const b = k.ion.buffers.get(0)!;
    expect(b).toMatchObject({
      id: 0,
      cached: true,
      size: 12 * KiB,
      align: 4096,
      createdAt: 1,
      state: 'live',
    });
    expect(b.heap.name).toBe('cma');
    expect(b.pages.length).toBe(3);
    expect([...b.sgTable!]).toEqual([...b.pages]);
    expect(b.ref).toBe(b.handleCount + k.ion.dmabufs.filter((d) => d.buffer === b && !d.released).length);
    for (const p of b.pages)
      expect([k.mm.pages.ownerKind[p], k.mm.pages.ownerId[p]]).toEqual([Owner.BUFFER, b.id]);
  });

  it('kmapCnt, vaddr and kmapMapping describe one live kernel mapping of the pages', () => {
    const b = scene().ion.buffers.get(0)!;
    expect(b.kmapCnt).toBe(1);
    expect(b.vaddr).toBe(b.kmapMapping!.vaddr);
    expect([...b.kmapMapping!.pages]).toEqual([...b.pages]);
    expect(b.kmapMapping!.state).toBe('live');
  });

  it('a cached buffer on the 3.18 core is fault-mapped, with its page array in the window', () => {
    const k = scene();
    const b = k.ion.buffers.get(0)!;
    expect(b.faultMapped).toBe(true);
    expect(k.mm.vmalloc.find(b.pageArrayVaddr / 4096)).toBeDefined();
  });
});

describe('IonHandle and IonClient', () => {
  it('a handle per client and buffer, found by buffer and by ION id; ordinal is the op-level id', () => {
    const k = scene();
    const [h0, h1] = k.ion.handles;
    expect(h0).toMatchObject({ ordinal: 0, ionId: 1, client: 1, ref: 1, kmapCnt: 0, live: true });
    expect(h1).toMatchObject({ ordinal: 1, ionId: 1, client: 2, ref: 1, kmapCnt: 1, live: true });
    const c2 = k.ion.clients.get(2)!;
    expect(c2.byBuffer.get(0)).toBe(h1);
    expect(c2.byIonId.get(1)).toBe(h1);
    expect(c2.nextIonId).toBe(2);
  });
});

describe('DmaBuf, Vma, Attachment', () => {
  it('file refs are the fd, each mmap and each attachment (ION-11)', () => {
    const k = scene();
    const d = k.ion.dmabufs[0]!;
    expect(d).toMatchObject({ fd: 0, fileRef: 3, fdOpen: true, released: false });
    expect(d.buffer).toBe(k.ion.buffers.get(0));
  });

  it('a VMA records its dma-buf, offset and length, and its user mapping', () => {
    const k = scene();
    const v = k.ion.vmas[0]!;
    expect(v).toMatchObject({ id: 0, pgoff: 1, pageCount: 2, live: true });
    expect(v.dmabuf).toBe(k.ion.dmabufs[0]);
    expect(v.mapping!.kind).toBe('user');
    expect([...v.mapping!.pages]).toEqual([...k.ion.buffers.get(0)!.pages.slice(1)]);
  });

  it("an attachment hands the importer the buffer's table (ION-10)", () => {
    const k = scene();
    const a = k.ion.attachments[0]!;
    expect(a).toMatchObject({ device: 'gpu', live: true });
    expect(a.dmabuf).toBe(k.ion.dmabufs[0]);
    expect(a.sg).toBe(k.ion.buffers.get(0)!.sgTable);
  });
});

describe('DriverArea', () => {
  it("the other driver's pages, its WB vmap and its address; live until driver-vunmap", () => {
    const k = boot('tiny', 'cma-direct');
    k.apply({ op: 'driver-vmap', pages: 3 });
    const a = k.driverAreas[0]!;
    expect(a).toMatchObject({ id: 0, live: true });
    expect(a.vaddr).toBe(a.mapping!.vaddr);
    expect([...a.mapping!.pages]).toEqual([...a.pages]);
    for (const p of a.pages) expect(k.mm.pages.ownerKind[p]).toBe(Owner.DRIVER);
    k.apply({ op: 'driver-vunmap', area: 0 });
    expect(a.live).toBe(false);
  });
});
