/**
 * zeroed-on-alloc: a buffer never exposes data written by an earlier owner. A kernel engineer calls
 * a violation an information leak across processes (one app reads another's frames), the reason
 * ION heaps zero (ION-15, HEAP-CMA-1's __GFP_ZERO, HEAP-CMA-4) and the bug of 4.12's CMA heap (B12)
 * and the atomic pool (B19).
 *
 * Writer tags: every page records who last wrote it (0 = zeroed). A page held by buffer b must
 * carry 0 or b's own tag; any other tag is data its earlier owner left behind.
 * Rests on: DMA318-4, DMA318-10, ION-15, HEAP-SYS-1, HEAP-CMA-1, HEAP-CMA-4, B12, B19.
 */
import type { Kernel } from '../model/kernel.ts';
import { CLEAN, Owner } from '../model/pages.ts';
import { mappingsOf, pageName, pfnOf } from './describe.ts';
import { type Invariant, type Violation, verdictStands } from './invariant.ts';
import { Fact } from './page-facts.ts';
import { BadPages } from './tracker.ts';

// local copies for the page loops: reading the imports there measured slower (page-facts.ts)
const F_FOREIGN_DATA = Fact.FOREIGN_DATA;
const BUFFER = Owner.BUFFER;
const ZERO = CLEAN;

/** A buffer's page carrying another writer's tag (writer tags are owner id + 1). */
function verdicts(k: Kernel, pages: Int32Array, out: Uint8Array): number {
  const { ownerKind, writer, ownerId } = k.mm.pages;
  let n = 0;
  for (let i = 0; i < pages.length; i++) {
    const p = pages[i]!;
    let b = 0;
    if (ownerKind[p] === BUFFER) {
      const w = writer[p]!;
      if (w !== ZERO && w !== ownerId[p]! + 1) b = 1;
    }
    out[i] = b;
    n += b;
  }
  return n;
}

function violation(k: Kernel, p: number): Violation {
  const ps = k.mm.pages;
  return {
    invariant: 'zeroed-on-alloc',
    message: `${pageName(k, p)} of buffer ${ps.ownerId[p]} still holds data written by buffer ${ps.writer[p]! - 1}'s user`,
    pfns: [pfnOf(k, p)],
    mappings: mappingsOf(k, p),
  };
}

const pages = new BadPages({
  verdicts,
  suspect: Fact.FOREIGN_DATA,
  fromFacts(_k, list, facts, out) {
    let n = 0;
    for (let i = 0; i < list.length; i++) {
      const b = (facts[i]! & F_FOREIGN_DATA) !== 0 ? 1 : 0;
      out[i] = b;
      n += b;
    }
    return n;
  },
  report: violation,
});

export const zeroedOnAlloc: Invariant = {
  id: 'zeroed-on-alloc',
  title: 'Zero on allocation',
  definition:
    "A page held by a buffer carries no writer tag but zero or the buffer's own: no earlier owner's data.",
  rests: ['DMA318-4', 'ION-15', 'HEAP-SYS-1', 'HEAP-CMA-1', 'HEAP-CMA-4', 'B12', 'B19'],
  incremental: (k) => pages.incremental(k),
  full: (k) => pages.full(k),
  // writer tags and owners change only on touched pages
  afterQuietOp: verdictStands,
  readsFigures: false,
};
