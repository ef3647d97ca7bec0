/**
 * contiguous-aligned: a contiguous heap (CMA, system-contig, carveout) returns one physically
 * contiguous range of exactly the buffer's pages, inside the heap's area, aligned as the heap
 * promises. A kernel engineer calls a violation a broken contiguous allocator: a device that DMAs
 * into a "contiguous" buffer walks into someone else's memory, or an alignment-sensitive engine
 * (a codec, a display) faults.
 *
 * Alignment: CMA heaps 2^min(get_order(size), CONFIG_CMA_ALIGNMENT) pages (CMA-8, GOLD-11), on the
 * physical frame number (B16 is the bug where it is relative to the area base); system-contig
 * 2^get_order(size) pages (HEAP-CONTIG-1); carveout 1 page (align > 4 KiB is refused).
 * Checked for every buffer still held (live or queued for deferred free).
 * Rests on: CMA-1, CMA-4, CMA-8, HEAP-CMA-1, HEAP-CMA-4, HEAP-CONTIG-1, HEAP-CARVEOUT-1, B5, B12, B16.
 */
import type { IonBuffer } from '../model/ion/heap.ts';
import type { Kernel } from '../model/kernel.ts';
import { PAGE_SIZE } from '../model/types.ts';
import { pageName, pfnOf } from './describe.ts';
import { type Invariant, type Violation, verdictStands } from './invariant.ts';
import { BadSet, minOf, ReportCache } from './tracker.ts';

function bufferProblem(k: Kernel, b: IonBuffer): string | null {
  const heap = b.heap;
  if (!heap.contiguous) return null;
  const ctx = { mm: k.mm, dma: k.dma };
  const want = b.size / PAGE_SIZE;
  const pages = b.pages;
  const took = heap.allocatedPages?.(b) ?? pages.length;
  if (took !== want) return `has ${took} pages for ${want} pages asked`;
  if (pages.length !== want) return `has ${pages.length} pages in its sg table for ${want} pages asked`;
  const gap = firstGap(pages);
  if (gap > 0) return `is not contiguous at page ${gap} (${pageName(k, pages[gap]!)})`;
  const area = heap.area(ctx);
  const first = pages[0]!;
  if (area && (first < area.start || first + pages.length > area.start + area.pageCount))
    return `lies outside the ${heap.name} area`;
  const align = heap.alignPages(pages.length, b.align, ctx);
  if (pfnOf(k, first) % align !== 0) return `starts at ${pageName(k, first)}, not aligned to ${align} pages`;
  return null;
}

/**
 * The first i with pages[i] !== pages[i - 1] + 1, or -1: the pages are one run exactly when each
 * (pages[i] - i) ^ pages[0] is 0, ORed four a round (a buffer's pages are checked when it is made).
 */
function firstGap(pages: Int32Array): number {
  const len = pages.length;
  const first = pages[0]!;
  let acc = 0;
  let i = 0;
  for (; i + 3 < len; i += 4)
    acc |=
      ((pages[i]! - i) ^ first) |
      ((pages[i + 1]! - i - 1) ^ first) |
      ((pages[i + 2]! - i - 2) ^ first) |
      ((pages[i + 3]! - i - 3) ^ first);
  for (; i < len; i++) acc |= (pages[i]! - i) ^ first;
  if (acc === 0) return -1;
  for (i = 1; i < len; i++) if (pages[i] !== pages[i - 1]! + 1) return i;
  return -1;
}

function held(k: Kernel): IonBuffer[] {
  return [...k.ion.buffers.values(), ...k.ion.freeList].sort((x, y) => x.id - y.id);
}

function violation(b: IonBuffer, why: string, k: Kernel): Violation {
  return {
    invariant: 'contiguous-aligned',
    message: `buffer ${b.id} (${b.heap.name}, ${b.size} bytes) ${why}`,
    pfns: b.pages.length ? [pfnOf(k, b.pages[0]!)] : [],
    mappings: [],
  };
}

/** Every bad buffer's id (the full evaluation of a rebuild). */
const badBuffers = (k: Kernel) =>
  held(k)
    .filter((b) => bufferProblem(k, b))
    .map((b) => b.id);

const bad = new BadSet();
const reports = new ReportCache<Violation>();

export const contiguousAligned: Invariant = {
  id: 'contiguous-aligned',
  title: 'Contiguity and alignment',
  definition:
    'Contiguous heaps return physically contiguous ranges of the right size inside their area, aligned as promised.',
  rests: [
    'CMA-4',
    'CMA-8',
    'HEAP-CMA-1',
    'HEAP-CMA-4',
    'HEAP-CONTIG-1',
    'HEAP-CARVEOUT-1',
    'B5',
    'B12',
    'B16',
  ],
  incremental(k) {
    const m = bad.memo(k);
    const set = m ? m.bad : bad.reset(k, badBuffers(k));
    if (m && m.at !== k.opsApplied) {
      const made = k.ion.createdThisOp;
      for (let i = 0; i < made.length; i++) if (bufferProblem(k, made[i]!)) set.add(made[i]!.id);
      const gone = k.ion.destroyedThisOp;
      if (set.size > 0) for (let i = 0; i < gone.length; i++) set.delete(gone[i]!.id);
      m.at = k.opsApplied;
    }
    if (set.size === 0) return null;
    const id = minOf(set);
    // a buffer's pages, size and heap never change: its report is built once
    return reports.get(k, id, false, () => {
      const b = held(k).find((x) => x.id === id)!;
      return violation(b, bufferProblem(k, b)!, k);
    });
  },
  // buffers are judged when made and dropped when destroyed
  afterQuietOp: verdictStands,
  readsFigures: false,
  full(k) {
    for (const b of held(k)) {
      const why = bufferProblem(k, b);
      if (why) return violation(b, why, k);
    }
    return null;
  },
};
