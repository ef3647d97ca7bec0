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
    reached: (k) => {
      for (const b of k.ion.buffers.values()) {
        const clients = new Set<number>();
        for (const h of k.ion.handles) if (h?.live && h.buffer === b) clients.add(h.client);
        if (clients.size >= 2 && (b.kmapCnt > 0 || k.ion.vmas.some((v) => v.live && v.dmabuf.buffer === b)))
          return true;
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
      const tc = k.mm.pages.typeChanges;
      for (const p of k.mm.pages.touched()) if (tc[p]! >= 2) return true;
      return false;
    },
  },
];
