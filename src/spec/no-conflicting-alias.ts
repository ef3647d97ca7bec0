/**
 * no-conflicting-alias: no physical page has two live CPU mappings whose memory types conflict
 * under the profile's architecture rule set. A kernel engineer calls a violation "a mismatched
 * alias": the same page cacheable through one mapping and non-cacheable (or Device/SO) through
 * another, so a dirty line written back or a speculative fill through the cacheable alias can
 * corrupt what the non-cacheable user (a device, user space) sees.
 *
 * Rule sets (ARCH-6), on the set of classes mapping a page (ARCH-1: WB, NC, DEV, SO):
 * - `linux-arm32` (default): WB together with any other class is a conflict (COHERENCY and TYPE).
 * - `armv7-b`: any two different classes conflict (ORDERING too).
 * - `armv8`: WB with DEV or SO conflicts (TYPE); WB with NC (COHERENCY) conflicts unless every NC
 *   mapping of the page is flagged `maintained` by its design (ARCH-5's recovery sequence at every
 *   hand-over); NC/DEV/SO mixes (ORDERING only) do not.
 * Stale entries (ARCH-4): a lazily unmapped, unpurged range keeps its class until the purge when
 * the profile's staleTlb is on (the default; `stale-tlb=off` turns it off). Mappings made and
 * removed within one op (kmap_atomic, zeroing vm_map_ram) are checked at creation (ARCH-3).
 * Rests on: ARCH-1..7, DMA318-4..6, DMA41-2, HEAP-CMA-4, ION-14, ION-15, B17, B18.
 */
import type { Kernel } from '../model/kernel.ts';
import { type MappingCreation, mapsPage } from '../model/mmu.ts';
import { CLASS_MASK, STALE_SHIFT } from '../model/pages.ts';
import type { RuleSet } from '../model/profile.ts';
import { grown, MemType } from '../model/types.ts';
import { mappingsOf, pageName, pfnOf, typesOfMask } from './describe.ts';
import type { Invariant, Violation } from './invariant.ts';
import { BadPages } from './tracker.ts';

const WB = 1 << MemType.WB;
const NC = 1 << MemType.NC;
const HARD = (1 << MemType.DEV) | (1 << MemType.SO);
// a local copy for the page loop (reading the import there measured slower, page-facts.ts)
const CLASSES = CLASS_MASK;

/** Does a set of classes conflict under a rule set? `ncMaintained` only matters for armv8. */
export function conflicts(mask: number, rules: RuleSet, ncMaintained = () => false): boolean {
  switch (rules) {
    case 'linux-arm32':
      return (mask & WB) !== 0 && (mask & ~WB) !== 0;
    case 'armv7-b':
      return (mask & (mask - 1)) !== 0;
    case 'armv8':
      if ((mask & WB) === 0) return false;
      if ((mask & HARD) !== 0) return true;
      return (mask & NC) !== 0 && !ncMaintained();
  }
}

function pageMask(k: Kernel, p: number): number {
  const ps = k.mm.pages;
  return ps.typeMask(p, k.profile.staleTlb);
}

function ncAllMaintained(k: Kernel, p: number): boolean {
  for (const m of k.mm.mmu.mappings.values()) {
    if (m.type === MemType.NC && mapsPage(m, p) && !m.maintained) return false;
  }
  return true;
}

/** Is page p, mapped by the classes of `mask`, a conflict? */
function maskBad(k: Kernel, p: number, mask: number): boolean {
  // one class (the common case) never conflicts
  if ((mask & (mask - 1)) === 0) return false;
  return conflicts(mask, k.profile.ruleSet, () => ncAllMaintained(k, p));
}

function verdicts(k: Kernel, pages: Int32Array, out: Uint8Array): number {
  const classes = k.mm.pages.classes;
  // stale classes count when the profile keeps stale TLB entries (ARCH-4): fold them in or not
  const staleShift = k.profile.staleTlb ? STALE_SHIFT : 0;
  let n = 0;
  for (let i = 0; i < pages.length; i++) {
    const p = pages[i]!;
    const c = classes[p]!;
    const mask = (c | (c >> staleShift)) & CLASSES;
    // one class or none (the common case): no conflict, nothing more to read
    const b = (mask & (mask - 1)) !== 0 && maskBad(k, p, mask) ? 1 : 0;
    out[i] = b;
    n += b;
  }
  return n;
}

/**
 * The pages the op may have turned bad: a page gains a class only through a mapping creation
 * (mmu.creations records every map, linear PTE rewrite and transient mapping, with the classes
 * the page had just before), and conflicts only grow with the class set (armv8's "all NC
 * mappings maintained" too: a new NC mapping is a creation). After a page's last creation of the
 * op its classes are at most that creation's `before` plus its type; a page where that is one
 * class cannot conflict. Pages without creations only lose classes (and are touched when they do).
 * A linear PTE rewrite's `before` leaves out the class of the PTE it replaces, and with it a stale
 * entry of that class (a flip back to WB over a lazily unmapped NC kmap, B18): with stale entries
 * counted, every page of a linear rewrite is judged.
 */
function mayTurnBad(k: Kernel): readonly Int32Array[] {
  const w = walkCreations(k);
  return w.nMay === 0 ? NO_PAGES : [w.may.subarray(0, w.nMay)];
}

/**
 * One walk of the op's creations for mayTurnBad and creationConflict: the pages the op may have
 * turned bad, and (creation index, page index) of each page a creation met mapped by another
 * class, in order: the only places a creation can conflict. Kept for the kernel's op; the lists
 * are reused (BadPages judges them before the next op).
 */
const walk = {
  k: null as Kernel | null,
  at: -1,
  made: -1,
  may: new Int32Array(1024),
  nMay: 0,
  mixedCreation: new Int32Array(256),
  mixedPage: new Int32Array(256),
  nMixed: 0,
};

function walkCreations(k: Kernel): typeof walk {
  const creations = k.mm.mmu.creations;
  const w = walk;
  if (w.k === k && w.at === k.opsApplied && w.made === creations.length) return w;
  const stale = k.profile.staleTlb;
  w.nMay = 0;
  w.nMixed = 0;
  for (let ci = 0; ci < creations.length; ci++) {
    const { pages, before, type, kind } = creations[ci]!;
    if (w.may.length < w.nMay + pages.length) w.may = grown(w.may, w.nMay + pages.length);
    if (w.mixedPage.length < w.nMixed + pages.length) {
      w.mixedCreation = grown(w.mixedCreation, w.nMixed + pages.length);
      w.mixedPage = grown(w.mixedPage, w.nMixed + pages.length);
    }
    // another class live before, or stale when stale entries count: the page now has two classes
    const notSelf = 0xf & ~(1 << type);
    const other = stale ? notSelf | (notSelf << 4) : notSelf;
    const all = stale && kind === 'linear';
    if (all) {
      w.may.set(pages, w.nMay);
      w.nMay += pages.length;
    }
    // four pages' bytes at a time where the creation is long (most pages had one class or none)
    const words = before.length >= 64 && (before.byteOffset & 3) === 0 ? wordsOf(before) : NO_WORDS;
    const other4 = other * 0x01010101;
    for (let g = 0; g < words.length; g++)
      if ((words[g]! & other4) !== 0) noteMixed(w, creations[ci]!, ci, g << 2, (g << 2) + 4, other, all);
    noteMixed(w, creations[ci]!, ci, words.length << 2, before.length, other, all);
  }
  w.k = k;
  w.at = k.opsApplied;
  w.made = creations.length;
  return w;
}

/** Note the pages from..to-1 of creation c (index ci) that met a class in `other`. */
function noteMixed(
  w: typeof walk,
  c: MappingCreation,
  ci: number,
  from: number,
  to: number,
  other: number,
  all: boolean,
): void {
  const { before, pages } = c;
  for (let i = from; i < to; i++) {
    if ((before[i]! & other) === 0) continue;
    if (!all) w.may[w.nMay++] = pages[i]!;
    w.mixedCreation[w.nMixed] = ci;
    w.mixedPage[w.nMixed++] = i;
  }
}

const NO_WORDS = new Uint32Array(0);
const wordsOf = (bytes: Uint8Array) => new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);

const NO_PAGES: readonly Int32Array[] = [];
const yes = () => true;
const no = () => false;

/** A mapping made during the op that conflicted with what mapped its pages at that moment. */
function creationConflict(k: Kernel): Violation | null {
  const rules = k.profile.ruleSet;
  const stale = k.profile.staleTlb;
  const w = walkCreations(k);
  const creations = k.mm.mmu.creations;
  for (let j = 0; j < w.nMixed; j++) {
    const c = creations[w.mixedCreation[j]!]!;
    const i = w.mixedPage[j]!;
    const b = c.before[i]!;
    const mask = (b & 0xf) | (stale ? b >> 4 : 0) | (1 << c.type);
    if (conflicts(mask, rules, c.maintained ? yes : no)) {
      const p = c.pages[i]!;
      return {
        invariant: 'no-conflicting-alias',
        message: `${pageName(k, p)}: ${c.owner} (${c.kind}, ${typesOfMask(1 << c.type)}) made while the page was mapped ${typesOfMask(mask & ~(1 << c.type)) || typesOfMask(b & 0xf)}${b >> 4 ? ' (stale TLB entries included)' : ''} [${rules}]`,
        pfns: [pfnOf(k, p)],
        mappings: mappingsOf(k, p),
      };
    }
  }
  return null;
}

function pageViolation(k: Kernel, p: number): Violation {
  const live = k.mm.pages.typeMask(p, false);
  const staleOnly = pageMask(k, p) & ~live;
  const stale = staleOnly
    ? ` and ${typesOfMask(staleOnly)} through stale TLB entries (lazily unmapped, not yet purged)`
    : '';
  return {
    invariant: 'no-conflicting-alias',
    message: `${pageName(k, p)} is mapped ${typesOfMask(live)}${stale} at once [${k.profile.ruleSet}]`,
    pfns: [pfnOf(k, p)],
    mappings: mappingsOf(k, p),
  };
}

const pages = new BadPages({ verdicts, report: pageViolation, mayTurnBad });

export const noConflictingAlias: Invariant = {
  id: 'no-conflicting-alias',
  title: 'No aliased mappings with conflicting attributes',
  definition:
    'No physical page has two live mappings whose memory types conflict under the profile rule set; lazily unmapped ranges count until purged.',
  rests: ['ARCH-1', 'ARCH-3', 'ARCH-4', 'ARCH-5', 'ARCH-6', 'ARCH-7', 'DMA41-2', 'B17', 'B18'],
  incremental: (k) => pages.incremental(k) ?? creationConflict(k),
  full: (k) => pages.full(k) ?? creationConflict(k),
  // classes change only on touched pages; a creation's conflict shows at its own op only
  afterQuietOp: (k) => pages.incremental(k),
  readsFigures: false,
};
