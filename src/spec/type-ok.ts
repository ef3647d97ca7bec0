/**
 * type-ok (TLA+'s TypeOK): the model's structures are well formed. Runs before the semantic
 * invariants; a failure is a bug in the model or a design, never a kernel finding.
 *
 * Per page: counters non-negative, the linear type a valid class (or none) and only on lowmem,
 * the per-type live and stale counters equal the mappings that cover the page, and the page's
 * classes (PageState.classes) equal what its counters say (the full check recomputes the counters
 * from the mapping objects and the classes from the counters; the incremental one checks the
 * touched pages' classes against their linear type, and that every mapping made during the op
 * lies in RAM; negative counts throw in the model itself).
 * Ids: handle ordinals equal their index; VMA ids equal their index.
 */
import type { Kernel } from '../model/kernel.ts';
import { MULTI_SHIFT, NO_LINEAR, STALE_SHIFT } from '../model/pages.ts';
import type { Invariant, Violation } from './invariant.ts';
import { Fact, touchedFacts } from './page-facts.ts';

function bug(message: string): Violation {
  return { invariant: 'type-ok', message, pfns: [], mappings: [] };
}

function pageShape(k: Kernel, p: number): string | null {
  const ps = k.mm.pages;
  const lt = ps.linearType[p]!;
  if (lt !== NO_LINEAR && lt > 3) return `page ${p}: linear type ${lt}`;
  if (lt !== NO_LINEAR && p >= k.mm.lowmemPages) return `page ${p}: highmem page with a linear PTE`;
  for (let t = 0; t < 4; t++) {
    if (ps.live[t]![p]! < 0 || ps.stale[t]![p]! < 0) return `page ${p}: negative mapping count`;
    if (lt === t && ps.live[t]![p]! < 1) return `page ${p}: linear PTE type not counted`;
  }
  return null;
}

/**
 * The first of `pages` outside 0..n-1, or null: the sign of p | (n - 1 - p) is set exactly then,
 * so the common case (all inside) is ORs, four pages a round, and one test per mapping.
 */
function outsideRam(pages: Int32Array, n: number): number | null {
  const last = n - 1;
  const len = pages.length;
  let acc = 0;
  let i = 0;
  for (; i + 3 < len; i += 4) {
    const a = pages[i]!;
    const b = pages[i + 1]!;
    const c = pages[i + 2]!;
    const d = pages[i + 3]!;
    acc |= a | b | c | d | (last - a) | (last - b) | (last - c) | (last - d);
  }
  for (; i < len; i++) acc |= pages[i]! | (last - pages[i]!);
  if (acc >= 0) return null;
  for (let i = 0; i < pages.length; i++) if (pages[i]! < 0 || pages[i]! > last) return pages[i]!;
  return null;
}

/** What a mapping made during the op maps outside RAM, in words, or null. */
function madeOutsideRam(k: Kernel): string | null {
  const creations = k.mm.mmu.creations;
  for (let j = 0; j < creations.length; j++) {
    const p = outsideRam(creations[j]!.pages, k.mm.pages.nPages);
    if (p !== null) return `${creations[j]!.owner} maps page ${p} outside RAM`;
  }
  return null;
}

/** Reused count arrays for the full recount (one set per RAM size). */
let cache: { n: number; live: Int32Array[]; stale: Int32Array[] } | null = null;
function scratch(n: number) {
  if (!cache || cache.n !== n)
    cache = {
      n,
      live: [0, 1, 2, 3].map(() => new Int32Array(n)),
      stale: [0, 1, 2, 3].map(() => new Int32Array(n)),
    };
  for (const a of cache.live) a.fill(0);
  for (const a of cache.stale) a.fill(0);
  return cache;
}

export const typeOk: Invariant = {
  id: 'type-ok',
  title: 'Model structures well formed',
  definition:
    'Counts non-negative, ids unique, mappings inside RAM, per-page counters equal to the mappings covering the page.',
  rests: [],
  incremental(k) {
    const ps = k.mm.pages;
    const tf = touchedFacts(k);
    // negative counts throw in the model itself (PageState.addLive); here: the linear PTE
    if ((tf.any & Fact.LINEAR_BROKEN) !== 0)
      for (let i = 0; i < tf.pages.length; i++)
        if ((tf.facts[i]! & Fact.LINEAR_BROKEN) !== 0) {
          const p = tf.pages[i]!;
          return bug(pageShape(k, p) ?? `page ${p}: bad linear type ${ps.linearType[p]}`);
        }
    const outside = madeOutsideRam(k);
    return outside === null ? null : bug(outside);
  },
  // the incremental form reads only the touched pages and the mappings made
  afterQuietOp: () => null,
  readsFigures: false,
  full(k) {
    const ps = k.mm.pages;
    const n = ps.nPages;
    const { live, stale } = scratch(n);
    const lin = ps.linearType;
    for (let p = 0; p < n; p++) {
      const lt = lin[p]!;
      if (lt === NO_LINEAR) continue;
      if (lt > 3 || p >= k.mm.lowmemPages) return bug(pageShape(k, p) ?? `page ${p}: bad linear type`);
      live[lt]![p]!++;
    }
    for (const m of k.mm.mmu.mappings.values()) {
      const arr = m.state === 'live' ? live : stale;
      for (const p of m.pages) {
        if (p < 0 || p >= n) return bug(`${m.owner} maps page ${p} outside RAM`);
        arr[m.type]![p]!++;
      }
    }
    for (let t = 0; t < 4; t++)
      for (let p = 0; p < n; p++) {
        if (live[t]![p] !== ps.live[t]![p] || stale[t]![p] !== ps.stale[t]![p])
          return bug(
            `page ${p}: type ${t} counters ${ps.live[t]![p]}/${ps.stale[t]![p]}, mappings say ${live[t]![p]}/${stale[t]![p]}`,
          );
      }
    // the classes byte the incremental checks read summarises the counters just checked
    const classes = ps.classes;
    for (let p = 0; p < n; p++) {
      let want = 0;
      for (let t = 0; t < 4; t++) {
        const l = ps.live[t]![p]!;
        if (l > 0) want |= 1 << t;
        if (l > 1) want |= 1 << (t + MULTI_SHIFT);
        if (ps.stale[t]![p]! > 0) want |= 1 << (t + STALE_SHIFT);
      }
      if (classes[p] !== want)
        return bug(`page ${p}: classes 0x${classes[p]!.toString(16)}, counters say 0x${want.toString(16)}`);
    }
    const outside = madeOutsideRam(k);
    if (outside !== null) return bug(outside);
    const hs = k.ion.handles;
    for (let i = 0; i < hs.length; i++)
      if (hs[i] && hs[i]!.ordinal !== i) return bug(`handle ${i} has ordinal ${hs[i]!.ordinal}`);
    for (let i = 0; i < k.ion.vmas.length; i++)
      if (k.ion.vmas[i]!.id !== i) return bug(`vma ${i} has id ${k.ion.vmas[i]!.id}`);
    return null;
  },
};
