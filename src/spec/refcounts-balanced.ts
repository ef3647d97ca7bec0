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
import type { Attachment, DmaBuf, IonHandle, Vma } from '../model/ion/objects.ts';
import type { Kernel } from '../model/kernel.ts';
import { type Invariant, type Violation, verdictStands } from './invariant.ts';
import { ionIndex } from './ion-index.ts';
import { BadSet, minOf, ReportCache } from './tracker.ts';

/** Where bufferProblem finds a buffer's objects: ION's arrays (full scan) or the index. */
interface Objects {
  handlesOf(b: IonBuffer): Iterable<IonHandle>;
  dmabufsOf(b: IonBuffer): Iterable<DmaBuf>;
  vmasOf(d: DmaBuf): Iterable<Vma>;
  attachmentsOf(d: DmaBuf): Iterable<Attachment>;
}

/** A buffer's objects by a walk of every object ION made (the full scan's way). */
function scanned(k: Kernel): Objects {
  const ion = k.ion;
  return {
    handlesOf: (b) => ion.handles.filter((h): h is IonHandle => h !== null && h.buffer === b),
    dmabufsOf: (b) => ion.dmabufs.filter((d) => d.buffer === b),
    vmasOf: (d) => ion.vmas.filter((v) => v.dmabuf === d),
    attachmentsOf: (d) => ion.attachments.filter((a) => a.dmabuf === d),
  };
}

/** What is wrong with one buffer's counts, or null. O(its handles, dma-bufs, VMAs, attachments). */
function bufferProblem(k: Kernel, b: IonBuffer, objs: Objects): string | null {
  const inTree = k.ion.buffers.get(b.id) === b;
  let handles = 0;
  let kmapped = 0;
  for (const h of objs.handlesOf(b)) {
    if (h.ref < 0 || h.kmapCnt < 0) return `handle ${h.ordinal} has ref ${h.ref}, kmap ${h.kmapCnt}`;
    if (h.live !== h.ref > 0) return `handle ${h.ordinal} is ${h.live ? 'live' : 'gone'} with ref ${h.ref}`;
    if (h.live) {
      handles++;
      if (h.kmapCnt > 0) kmapped++;
    }
  }
  let bufs = 0;
  for (const d of objs.dmabufsOf(b)) {
    let refs = d.fdOpen ? 1 : 0;
    for (const v of objs.vmasOf(d)) if (v.live) refs++;
    for (const a of objs.attachmentsOf(d)) if (a.live) refs++;
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

/** Every bad buffer's id (the full evaluation of a rebuild). */
function badBuffers(k: Kernel): number[] {
  const objs = ionIndex(k);
  return [...allBuffers(k).values()].filter((b) => bufferProblem(k, b, objs)).map((b) => b.id);
}

const bad = new BadSet();
const reports = new ReportCache<Violation>();

export const refcountsBalanced: Invariant = {
  id: 'refcounts-balanced',
  title: 'Balanced reference counts',
  definition:
    'Buffer and handle references, kmap counts and dma-buf file counts equal what the live objects imply, never negative.',
  rests: ['ION-2', 'ION-3', 'ION-5', 'ION-8', 'ION-11', 'ION-12', 'ION412-1', 'B3', 'B4', 'B13'],
  // a buffer's counts change only with its objects, and every op that changes them marks the
  // buffer touched: re-judge the touched buffers, through the index of their objects
  incremental(k) {
    const touched = k.ion.touchedBuffers;
    const m = bad.memo(k);
    const set = m ? m.bad : bad.reset(k, badBuffers(k));
    if (m && m.at !== k.opsApplied) {
      if (touched.size > 0) {
        const objs = ionIndex(k);
        for (const b of touched) {
          if (bufferProblem(k, b, objs)) set.add(b.id);
          else if (set.size > 0) set.delete(b.id);
        }
      }
      m.at = k.opsApplied;
    }
    if (set.size === 0) return null;
    const id = minOf(set);
    let b: IonBuffer | undefined;
    if (touched.size > 0) for (const t of touched) if (t.id === id) b = t;
    return reports.get(k, id, b !== undefined, () => {
      const buf = b ?? allBuffers(k).get(id)!;
      return violation(k, buf, bufferProblem(k, buf, ionIndex(k)) ?? 'inconsistent');
    });
  },
  // counts change only on touched buffers
  afterQuietOp: verdictStands,
  readsFigures: false,
  full(k) {
    const bufs = [...allBuffers(k).values()].sort((x, y) => x.id - y.id);
    const objs = scanned(k);
    for (const b of bufs) {
      const why = bufferProblem(k, b, objs);
      if (why) return violation(k, b, why);
    }
    return null;
  },
};
