import type { IonBuffer } from '../model/ion/heap.ts';
import type { Goal } from './invariant.ts';

export const GOALS: readonly Goal[] = [
  {
    id: 'vmalloc-90',
    description: 'vmalloc window at least 90% used (live + lazy)',
    required: true,
    reached: (k) => {
      const v = k.mm.vmalloc;
      return v.usedPages >= 0.9 * (v.endPage - v.startPage);
    },
  },
  {
    id: 'cma-90-fragmented',
    description:
      'CMA area at least 90% used with a free run shorter than 1 MiB (not required: 512 MiB areas rarely fill)',
    required: false,
    reached: (k) => {
      const c = k.mm.cma;
      if (!c || c.usedPages < 0.9 * c.count) return false;
      const run = c.largestFreeRunPages();
      return run > 0 && run < 256;
    },
  },
  {
    id: 'shared-mapped-by-two',
    description: 'a buffer shared with another client, held by both, and mapped (kmap or mmap)',
    required: true,
    // checked after every op of every run: the mapped buffers, then one pass over the handles
    // (O(buffers + vmas + handles), not a pass over the handles per buffer)
    reached: (k) => {
      const { ion } = k;
      const mapped = new Set<IonBuffer>();
      for (const b of ion.buffers.values()) if (b.kmapCnt > 0) mapped.add(b);
      for (const v of ion.vmas) {
        const b = v.dmabuf.buffer;
        if (v.live && ion.buffers.get(b.id) === b) mapped.add(b);
      }
      if (mapped.size === 0) return false;
      const firstClient = new Map<IonBuffer, number>();
      for (const h of ion.handles) {
        if (!h?.live || !mapped.has(h.buffer)) continue;
        const c = firstClient.get(h.buffer);
        if (c === undefined) firstClient.set(h.buffer, h.client);
        else if (c !== h.client) return true;
      }
      return false;
    },
  },
  {
    id: 'exit-with-mmap',
    description: 'a client exits while a user VMA is live',
    required: true,
    reached: (k) => k.lastOp?.op === 'client-exit' && k.lastOk && k.ion.vmas.some((v) => v.live),
  },
  {
    id: 'lowmem-type-twice',
    description:
      'a lowmem page changes linear-map type twice (not required: designs that never flip PTEs cannot)',
    required: false,
    reached: (k) => {
      // no page anywhere has changed twice: none among the touched ones either
      if (k.mm.pages.pagesTypeChangedTwice === 0) return false;
      const tc = k.mm.pages.typeChanges;
      for (const p of k.mm.pages.touched()) if (tc[p]! >= 2) return true;
      return false;
    },
  },
];
