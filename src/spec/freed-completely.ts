/**
 * freed-completely: when a buffer's last reference goes, everything it took goes back. A kernel
 * engineer calls a violation a leak (pages that no live object owns), a double free (a page
 * released to its allocator twice, B15), or a use-after-free hazard (a page back in its allocator
 * still mapped, or with its linear map left non-cacheable, B6).
 *
 * A page in an allocator's free state (buddy, CMA area, carveout genpool) must have no live
 * mapping but its linear PTE and a kmap_atomic slot left in place (ARCH-8: the kernel's, reused
 * by the next kmap_atomic), and that PTE must be WB (CMA-9, DMA318-8). No page may be owned by
 * a buffer that has been destroyed (or whose creation failed: B10). No page may have been freed
 * twice. Lazily unmapped ranges pointing at freed pages are not leaks (they are TLB entries, which
 * no-conflicting-alias covers). At quiescence (no buffers, no queued frees, empty pools, no driver
 * areas) the allocators equal their boot state: buddy free pages, CMA bits used, live window
 * (vm_map_ram blocks aside: a block with free space stays on the per-CPU list, VMALLOC-7).
 * Pages kept in ION's own page pools are ION's, not freed.
 * Rests on: CMA-5, DMA318-8, ION-4, ION-5, ION-6, HEAP-POOL-1, B6, B10, B15.
 */
import type { Kernel } from '../model/kernel.ts';
import { isFreeKind, NO_LINEAR, Owner } from '../model/pages.ts';
import { MemType, memTypeName } from '../model/types.ts';
import { mappingsOf, pageName, pfnOf } from './describe.ts';
import type { Invariant, Violation } from './invariant.ts';
import { Fact, isCleanFree, isHeld } from './page-facts.ts';
import { BadPages } from './tracker.ts';

// local copies for the page loops: reading the imports there measured slower (page-facts.ts)
const F_BAD = Fact.DOUBLE_FREED | Fact.BUFFER_GONE;
const F_FREE_MAPPED = Fact.FREE_MAPPED;

/** Why page p is wrong, or null. */
function pageProblem(k: Kernel, p: number): string | null {
  const ps = k.mm.pages;
  if (ps.doubleFrees[p]! > 0) return `was freed ${ps.doubleFrees[p]! + 1} times`;
  const kind = ps.ownerKind[p]!;
  if (kind === Owner.BUFFER && !isHeld(k, ps.ownerId[p]!))
    return `is still owned by buffer ${ps.ownerId[p]}, which is gone (leak)`;
  if (isFreeKind(kind) && kind !== Owner.ION_POOL) {
    const lt = ps.linearType[p]!;
    if (lt !== NO_LINEAR && lt !== MemType.WB)
      return `is free but its linear PTE is still ${memTypeName(lt as MemType)}`;
    // ARCH-8: a kmap_atomic slot left in place is the kernel's, not a buffer's mapping
    const slots = k.mm.fixmapCount(p);
    for (let t = 0; t < 4; t++) {
      const allowed = (lt === t ? 1 : 0) + (t === MemType.WB ? slots : 0);
      if (ps.live[t]![p]! > allowed) return `is free but still mapped ${memTypeName(t as MemType)}`;
    }
  }
  return null;
}

function quiescenceProblem(k: Kernel): Violation | null {
  if (!k.ion.quiescent() || k.driverAreas.some((a) => a.live)) return null;
  const b = k.boot;
  const now = {
    normalFree: k.mm.normal.freePagesCount,
    highFree: k.mm.highmem?.freePagesCount ?? 0,
    cmaUsed: k.mm.cma?.usedPages ?? 0,
    vmLive: k.mm.liveVmPagesOutsideBlocks(),
  };
  for (const key of ['normalFree', 'highFree', 'cmaUsed', 'vmLive'] as const) {
    if (now[key] !== b[key])
      return {
        invariant: 'freed-completely',
        message: `at quiescence ${key} is ${now[key]} pages, ${b[key]} at boot`,
        pfns: [],
        mappings: [],
      };
  }
  return null;
}

function pageViolation(k: Kernel, p: number, why: string): Violation {
  return {
    invariant: 'freed-completely',
    message: `${pageName(k, p)} ${why}`,
    pfns: [pfnOf(k, p)],
    mappings: mappingsOf(k, p),
  };
}

// local copies for the page loops, as above
const BUFFER = Owner.BUFFER;
const FREE = Owner.FREE;
const CMA_FREE = Owner.CMA_FREE;
const CARVEOUT_FREE = Owner.CARVEOUT_FREE;

/**
 * pageProblem(...) !== null for each page, with the common cases decided from the page's own
 * fields: a double free is always a problem; a buffer's page is one when its buffer is gone (the
 * answer kept for the next page: a buffer's pages come in runs); a free page mapped only by a WB
 * linear PTE (or nothing) is fine, and so is a page any other owner holds.
 */
function verdicts(k: Kernel, pages: Int32Array, out: Uint8Array): number {
  const ps = k.mm.pages;
  const { doubleFrees, ownerKind, ownerId, linearType, classes } = ps;
  let lastId = -1;
  let lastGone = 0;
  let n = 0;
  for (let i = 0; i < pages.length; i++) {
    const p = pages[i]!;
    let b = 0;
    const kind = ownerKind[p]!;
    if (doubleFrees[p] !== 0) b = 1;
    else if (kind === BUFFER) {
      const id = ownerId[p]!;
      if (id !== lastId) {
        lastId = id;
        lastGone = isHeld(k, id) ? 0 : 1;
      }
      b = lastGone;
    } else if (kind === FREE || kind === CMA_FREE || kind === CARVEOUT_FREE) {
      if (!isCleanFree(linearType[p]!, classes[p]!) && pageProblem(k, p) !== null) b = 1;
    }
    out[i] = b;
    n += b;
  }
  return n;
}

/**
 * The pages of buffers destroyed (or leaked, B10) by the op: a leak shows at the free that makes
 * it, even when the heap wrote nothing (its pages still owned by the gone buffer), not only at
 * quiescence. O(pages of those buffers), which the op's free touched in the kernel too.
 */
const destroyedPages = (k: Kernel): readonly Int32Array[] =>
  k.ion.destroyedThisOp.length === 0 ? NO_PAGES : k.ion.destroyedThisOp.map((b) => b.pages);
const NO_PAGES: readonly Int32Array[] = [];

/** The facts under which a page may be wrong. */
const SUSPECT = Fact.DOUBLE_FREED | Fact.BUFFER_GONE | Fact.FREE_MAPPED;

/**
 * verdicts from the pages' facts: a double free is a problem, and so is a page of a buffer that
 * is gone; a free page mapped beyond its WB linear PTE is judged by pageProblem.
 */
function fromFacts(k: Kernel, list: Int32Array, facts: Uint8Array, out: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < list.length; i++) {
    const f = facts[i]!;
    const b = (f & F_BAD) !== 0 || ((f & F_FREE_MAPPED) !== 0 && pageProblem(k, list[i]!) !== null) ? 1 : 0;
    out[i] = b;
    n += b;
  }
  return n;
}

const pages = new BadPages({
  verdicts,
  fromFacts,
  suspect: SUSPECT,
  report: (k, p) => pageViolation(k, p, pageProblem(k, p)!),
  extra: destroyedPages,
});

export const freedCompletely: Invariant = {
  id: 'freed-completely',
  title: 'Correct freeing',
  definition:
    'Freed pages return to their allocator unmapped with WB linear PTEs, no page is owned by a gone buffer or freed twice, and at quiescence the allocators equal their boot state.',
  rests: ['CMA-5', 'DMA318-8', 'ION-4', 'ION-5', 'ION-6', 'B6', 'B10', 'B15'],
  incremental: (k) => pages.incremental(k) ?? quiescenceProblem(k),
  full: (k) => pages.full(k) ?? quiescenceProblem(k),
  // no page bad stays so; the allocators' figures are read again
  afterQuietOp: (k, before) => (before === null ? quiescenceProblem(k) : freedCompletely.incremental(k)),
  readsFigures: true,
};
