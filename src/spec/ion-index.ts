/**
 * ION's objects indexed by what they point at, per kernel: the handles and dma-bufs of a buffer,
 * the VMAs and attachments of a dma-buf, and each attachment's index. Incremental checkers use it
 * to visit the objects of the buffers an op touched instead of every object ION ever made (the
 * handle, dma-buf, VMA and attachment arrays never shrink, so a scan grows with the run).
 *
 * ION only appends to those arrays and never re-points an object, so the index is brought up to
 * date from the arrays' tails (O(objects made since the last call)); a kernel without an index (a
 * fresh clone, whose objects are copies) builds one from scratch once.
 */
import type { IonBuffer } from '../model/ion/heap.ts';
import type { Attachment, DmaBuf, IonHandle, Vma } from '../model/ion/objects.ts';
import type { Kernel } from '../model/kernel.ts';

const NONE: readonly never[] = [];

export class IonIndex {
  private handles = 0;
  private dmabufs = 0;
  private vmas = 0;
  private attachments = 0;
  private readonly handlesBy = new Map<IonBuffer, IonHandle[]>();
  private readonly dmabufsBy = new Map<IonBuffer, DmaBuf[]>();
  private readonly vmasBy = new Map<DmaBuf, Vma[]>();
  private readonly attachmentsBy = new Map<DmaBuf, Attachment[]>();
  private readonly attachmentIndex = new Map<Attachment, number>();

  /** Index what ION made since the last call. */
  sync(k: Kernel): this {
    const ion = k.ion;
    for (; this.handles < ion.handles.length; this.handles++) {
      const h = ion.handles[this.handles];
      if (h) push(this.handlesBy, h.buffer, h);
    }
    for (; this.dmabufs < ion.dmabufs.length; this.dmabufs++) {
      const d = ion.dmabufs[this.dmabufs]!;
      push(this.dmabufsBy, d.buffer, d);
    }
    for (; this.vmas < ion.vmas.length; this.vmas++) {
      const v = ion.vmas[this.vmas]!;
      push(this.vmasBy, v.dmabuf, v);
    }
    for (; this.attachments < ion.attachments.length; this.attachments++) {
      const a = ion.attachments[this.attachments]!;
      push(this.attachmentsBy, a.dmabuf, a);
      this.attachmentIndex.set(a, this.attachments);
    }
    return this;
  }

  /** The handles on buffer b, in ION's order. */
  handlesOf(b: IonBuffer): readonly IonHandle[] {
    return this.handlesBy.get(b) ?? NONE;
  }

  /** The dma-bufs exported from buffer b, in ION's order. */
  dmabufsOf(b: IonBuffer): readonly DmaBuf[] {
    return this.dmabufsBy.get(b) ?? NONE;
  }

  /** The user VMAs of dma-buf d, in ION's order. */
  vmasOf(d: DmaBuf): readonly Vma[] {
    return this.vmasBy.get(d) ?? NONE;
  }

  /** The importer attachments of dma-buf d, in ION's order. */
  attachmentsOf(d: DmaBuf): readonly Attachment[] {
    return this.attachmentsBy.get(d) ?? NONE;
  }

  /** The index of attachment a in ION's array. */
  indexOf(a: Attachment): number {
    return this.attachmentIndex.get(a) ?? -1;
  }
}

function push<K, V>(m: Map<K, V[]>, key: K, v: V): void {
  const list = m.get(key);
  if (list) list.push(v);
  else m.set(key, [v]);
}

const indexes = new WeakMap<Kernel, IonIndex>();
/** The last kernel asked about and its index (a run asks about one kernel op after op). */
let last: { k: Kernel; idx: IonIndex } | null = null;

/** The kernel's index, up to date. */
export function ionIndex(k: Kernel): IonIndex {
  if (last?.k === k) return last.idx.sync(k);
  let idx = indexes.get(k);
  if (!idx) {
    idx = new IonIndex();
    indexes.set(k, idx);
  }
  last = { k, idx };
  return idx.sync(k);
}
