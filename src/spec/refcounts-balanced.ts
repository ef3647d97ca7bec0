/**
 * refcounts-balanced: every reference count equals what the live objects imply. A kernel engineer
 * calls a violation a refcount imbalance: a later put frees a buffer someone still uses (use after
 * free, B3/B4) or no put ever frees it (leak).
 *
 * For each buffer still in the device tree: kref = live handles on it + unreleased dma-bufs on it
 * (ION-2, ION-3, ION-11); handle_count = live handles; kmap_cnt = live handles with kmap_cnt > 0
 * (ION-8). For each handle: live iff kref > 0, kmap count ≥ 0. For each dma-buf: file refs = open
 * fd + live VMAs + live attachments (ION-11), released iff 0. Queued and destroyed buffers: kref 0.
 * Nothing is ever negative.
 * On the dma-buf core (ION412-1) a handle is the fd ALLOC returned and a dma-buf a dup'd fd: the
 * same equations (B13: a begin whose kmap failed leaves kmap_cnt below the kmapped fds).
 * Rests on: ION-2, ION-3, ION-5, ION-8, ION-11, ION-12, ION412-1, B3, B4, B13.
 */

import type { IonBuffer } from '../model/ion/heap.ts';
import type { Kernel } from '../model/kernel.ts';
import type { Invariant, Violation } from './invariant.ts';
import { BadSet, minOf } from './tracker.ts';

/** What is wrong with one buffer's counts, or null. O(handles + dma-bufs + vmas + attachments). */
function bufferProblem(k: Kernel, b: IonBuffer): string | null {
  const ion = k.ion;
  const inTree = ion.buffers.get(b.id) === b;
  let handles = 0;
  let kmapped = 0;
  for (const h of ion.handles) {
    if (!h || h.buffer !== b) continue;
    if (h.ref < 0 || h.kmapCnt < 0) return `handle ${h.ordinal} has ref ${h.ref}, kmap ${h.kmapCnt}`;
    if (h.live !== h.ref > 0) return `handle ${h.ordinal} is ${h.live ? 'live' : 'gone'} with ref ${h.ref}`;
    if (h.live) {
      handles++;
      if (h.kmapCnt > 0) kmapped++;
    }
  }
  let bufs = 0;
  for (const d of ion.dmabufs) {
    if (d.buffer !== b) continue;
    let refs = d.fdOpen ? 1 : 0;
    for (const v of ion.vmas) if (v.live && v.dmabuf === d) refs++;
    for (const a of ion.attachments) if (a.live && a.dmabuf === d) refs++;
    if (d.fileRef !== refs) return `dma-buf fd ${d.fd} has ${d.fileRef} file refs, ${refs} implied`;
    if (d.released !== (refs === 0)) return `dma-buf fd ${d.fd} released=${d.released} with ${refs} refs`;
    if (!d.released) bufs++;
  }
  const want = inTree ? handles + bufs : 0;
  if (b.ref !== want) return `kref ${b.ref}, but ${handles} handles + ${bufs} dma-bufs imply ${want}`;
  if (b.handleCount !== handles) return `handle_count ${b.handleCount}, ${handles} live handles`;
  if (inTree && b.kmapCnt !== kmapped) return `kmap_cnt ${b.kmapCnt}, ${kmapped} kmapped handles`;
  if (b.kmapCnt < 0) return `kmap_cnt ${b.kmapCnt}`;
  return null;
}

function allBuffers(k: Kernel): Map<number, IonBuffer> {
  const m = new Map<number, IonBuffer>();
  for (const h of k.ion.handles) if (h) m.set(h.buffer.id, h.buffer);
  for (const d of k.ion.dmabufs) m.set(d.buffer.id, d.buffer);
  for (const b of k.ion.buffers.values()) m.set(b.id, b);
  for (const b of k.ion.freeList) m.set(b.id, b);
  return m;
}

function violation(_k: Kernel, b: IonBuffer, why: string): Violation {
  return {
    invariant: 'refcounts-balanced',
    message: `buffer ${b.id} (${b.heap.name}): ${why}`,
    pfns: [],
    mappings: [],
  };
}

const bad = new BadSet();

export const refcountsBalanced: Invariant = {
  id: 'refcounts-balanced',
  title: 'Balanced reference counts',
  definition:
    'Buffer and handle references, kmap counts and dma-buf file counts equal what the live objects imply, never negative.',
  rests: ['ION-2', 'ION-3', 'ION-5', 'ION-8', 'ION-11', 'ION-12', 'ION412-1', 'B3', 'B4', 'B13'],
  incremental(k) {
    const byId = new Map<number, IonBuffer>();
    const set = bad.current(
      k,
      () => [...allBuffers(k).values()].filter((b) => bufferProblem(k, b)).map((b) => b.id),
      (s) => {
        for (const b of k.ion.touchedBuffers) {
          byId.set(b.id, b);
          if (bufferProblem(k, b)) s.add(b.id);
          else s.delete(b.id);
        }
      },
    );
    if (set.size === 0) return null;
    const id = minOf(set);
    const b = byId.get(id) ?? allBuffers(k).get(id)!;
    return violation(k, b, bufferProblem(k, b) ?? 'inconsistent');
  },
  full(k) {
    const bufs = [...allBuffers(k).values()].sort((x, y) => x.id - y.id);
    for (const b of bufs) {
      const why = bufferProblem(k, b);
      if (why) return violation(k, b, why);
    }
    return null;
  },
};
