/** Turning model state into the words and numbers of a violation report. */
import type { Kernel } from '../model/kernel.ts';
import { type Mapping, mapsPage } from '../model/mmu.ts';
import { NO_LINEAR } from '../model/pages.ts';
import { asVAddr, hex, type MemType, memTypeName, type Pfn } from '../model/types.ts';
import type { MappingInfo } from './invariant.ts';

export function pfnOf(k: Kernel, p: number): Pfn {
  return k.mm.pages.pfnOf(p);
}

/** "pfn 0x" and the frame number in hex, upper case: hex's 8 digits less their first three when those are 0. */
export function pageName(k: Kernel, p: number): string {
  const digits = hex(pfnOf(k, p)).slice(2);
  // built after every op that moves a persisting violation: no search-and-replace of the string
  return `pfn 0x${digits.startsWith('000') ? digits.slice(3) : digits}`;
}

export function mappingsOf(k: Kernel, p: number): MappingInfo[] {
  const out: MappingInfo[] = [];
  for (const m of coveringPage(k, p))
    out.push({
      kind: m.kind,
      type: memTypeName(m.type),
      owner: m.owner,
      state: m.state,
      vaddr: asVAddr(m.vaddr),
    });
  return out;
}

type Covering = ReturnType<Kernel['mm']['mmu']['covering']>;

/** coveringPage's counts (filled in full by every call, which never re-enters). */
const OWED = new Int32Array(8);

/**
 * mmu.covering(p), the same entries in the same order, without scanning every mapping's pages:
 * the page's live and stale counters say how many mappings of each type and state cover it, so
 * only mappings of a type still owed are tested (by their bounds, mapsPage), in the map's order,
 * and the search stops once none is owed. (Scanning every mapping walks every mapped page of the
 * machine, tens of thousands, on every op that changes the page a persisting violation reports.)
 */
function coveringPage(k: Kernel, p: number): Covering {
  const ps = k.mm.pages;
  const mmu = k.mm.mmu;
  if (!(p >= 0 && p < ps.nPages)) return mmu.covering(p);
  const lt = ps.linearType[p]!;
  // owed[t]: live mappings of type t besides the linear PTE; owed[4 + t]: stale ones
  const owed = OWED;
  let left = 0;
  for (let t = 0; t < 4; t++) {
    owed[t] = ps.live[t]![p]! - (lt === t ? 1 : 0);
    owed[4 + t] = ps.stale[t]![p]!;
    left += owed[t]! + owed[4 + t]!;
  }
  const out: Covering = [];
  if (lt !== NO_LINEAR)
    out.push({ kind: 'linear', type: lt as MemType, owner: 'linear map', state: 'live', vaddr: -1 });
  if (left <= 0) return out;
  // the newest mappings first, by id (a report is rebuilt mostly because the op just mapped its
  // page: legacy-3.18's lingering kmap_atomic slot and NC remap), then the older ones in order
  const table = mmu.mappings;
  const newest = mmu.newestId;
  const recent: Covering = [];
  for (let id = newest; id > newest - RECENT && id > 0 && left > 0; id--) {
    const m = table.get(id);
    if (m !== undefined && owedFor(m, p)) {
      recent.push(entryOf(m));
      left--;
    }
  }
  if (left > 0)
    for (const m of table.values()) {
      if (m.id > newest - RECENT) break;
      if (!owedFor(m, p)) continue;
      out.push(entryOf(m));
      if (--left === 0) break;
    }
  // the table's order: the older ones, then the newest in the order they were made
  for (let i = recent.length - 1; i >= 0; i--) out.push(recent[i]!);
  return out;
}

/** Does m cover page p while OWED still counts a mapping of its type and state there? Takes it off if so. */
function owedFor(m: Mapping, p: number): boolean {
  const slot = (m.state === 'live' ? 0 : 4) + m.type;
  if (OWED[slot]! <= 0 || !mapsPage(m, p)) return false;
  OWED[slot]!--;
  return true;
}

/** m as mmu.covering lists it. */
const entryOf = (m: Mapping): Covering[number] => ({
  kind: m.kind,
  type: m.type,
  owner: m.owner,
  state: m.state,
  vaddr: m.vaddr,
});

/** How many of the newest mapping ids coveringPage looks up before it walks the table. */
const RECENT = 8;

/** typesOfMask of each four-bit mask, spelled once (reports name classes after every op that moves one). */
const TYPES_OF_MASK: readonly string[] = Array.from({ length: 16 }, (_, mask) => {
  const out: string[] = [];
  for (let t = 0; t < 4; t++) if (mask & (1 << t)) out.push(memTypeName(t as 0 | 1 | 2 | 3));
  return out.join('+');
});

/** The classes of the low four bits of a mask in ARCH-1 order, joined by + ("WB+NC"). */
export function typesOfMask(mask: number): string {
  return TYPES_OF_MASK[mask & 0xf]!;
}
