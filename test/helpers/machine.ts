/** Canonical views of a machine's small tables, for tests that compare two machines. */
import type { IonBuffer } from '../../src/model/ion/heap.ts';
import type { Kernel } from '../../src/model/kernel.ts';

/** The mapping table: every mapping's identity, type, address, state and pages. */
export function mappingsOf(k: Kernel): unknown[] {
  return [...k.mm.mmu.mappings.values()]
    .map((m) => [m.id, m.kind, m.type, m.vaddr, m.state, m.owner, [...m.pages]])
    .sort((x, y) => (x[0] as number) - (y[0] as number));
}

/** The vm area table, its per-tag page counts and the kmap_atomic slots. */
export function smallTablesOf(k: Kernel): unknown {
  const { mm } = k;
  return {
    areas: [...mm.liveVmAreas()].sort((x, y) => x[0] - y[0]),
    tags: [...mm.vmTagPages],
    slots: [...mm.fixmapSlots].map((id) => mm.mmu.mappings.get(id)?.pages[0] ?? -1),
    fixmapped: Array.from({ length: mm.pages.nPages }, (_, p) => mm.fixmapCount(p)).join(''),
  };
}

/**
 * The ION device in full: every client, buffer (live, queued or gone but still referenced),
 * handle, dma-buf, VMA and attachment by id, the counters, the heaps' pool counts, and which of
 * the device's heaps each buffer points at (a copy must point at its own).
 */
export function ionObjectsOf(k: Kernel): unknown {
  const { ion } = k;
  const buffer = (b: IonBuffer) => [
    b.id,
    ion.heaps.indexOf(b.heap),
    b.heap.name,
    b.cached,
    b.size,
    b.align,
    b.ref,
    b.handleCount,
    b.kmapCnt,
    b.vaddr,
    b.kmapMapping?.id ?? null,
    b.sgTable ? [...b.sgTable] : null,
    [...b.pages],
    b.faultMapped,
    b.pageArrayVaddr,
    b.priv,
    b.state,
    b.createdAt,
  ];
  const counters = ion as unknown as { nextBufferId: number };
  return {
    counters: [counters.nextBufferId, ion.freeListSize, ion.kmappedWindowPages],
    clients: [...ion.clients].map(([id, c]) => [
      id,
      c.id,
      c.nextIonId,
      [...c.byBuffer].map(([b, h]) => [b, h.ordinal]),
      [...c.byIonId].map(([i, h]) => [i, h.ordinal]),
    ]),
    buffers: [...ion.buffers].map(([id, b]) => [id, buffer(b)]),
    freeList: ion.freeList.map(buffer),
    handles: ion.handles.map((h) =>
      h ? [h.ordinal, h.ionId, h.client, buffer(h.buffer), h.ref, h.kmapCnt, h.live] : null,
    ),
    dmabufs: ion.dmabufs.map((d) => [d.fd, buffer(d.buffer), d.fileRef, d.fdOpen, d.released]),
    vmas: ion.vmas.map((v) => [v.id, v.dmabuf.fd, v.mapping?.id ?? null, v.pgoff, v.pageCount, v.live]),
    attachments: ion.attachments.map((a) => [a.dmabuf.fd, a.device, [...a.sg], a.live]),
    pools: ion.heaps.map((h) => [h.name, h.shrinkCount()]),
  };
}
