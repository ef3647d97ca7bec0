/** Turning model state into the words and numbers of a violation report. */
import type { Kernel } from '../model/kernel.ts';
import { type Mapping, mapsPage } from '../model/mmu.ts';
import { NO_LINEAR } from '../model/pages.ts';
import { asVAddr, hex, type MemType, memTypeName, type Pfn } from '../model/types.ts';
import type { MappingInfo } from './invariant.ts';

export function pfnOf(k: Kernel, p: number): Pfn {
  return k.mm.pages.pfnOf(p);
}

export function pageName(k: Kernel, p: number): string {
  return `pfn ${hex(pfnOf(k, p)).replace('0x000', '0x')}`;
}

export function mappingsOf(k: Kernel, p: number): MappingInfo[] {
  return coveringPage(k, p).map((m) => ({
    kind: m.kind,
    type: memTypeName(m.type),
    owner: m.owner,
    state: m.state,
    vaddr: asVAddr(m.vaddr),
  }));
}

type Covering = ReturnType<Kernel['mm']['mmu']['covering']>;

/** Mappings longer than this are searched only if the shorter ones did not account for the page. */
const SHORT = 16;
// a local copy (imports loaded as CommonJS are read through getters)
const NONE = NO_LINEAR;

/**
 * mmu.covering(p), the same entries in the same order, without testing every mapping: the page's
 * live and stale counters say how many mappings of each type and state cover it, so only mappings
 * of a type still owed are searched, short ones (kmap_atomic slots, small vmaps) first, and the
 * search stops once none is owed. (Testing every mapping walks every mapped page of the machine,
 * tens of thousands, on every op that changes the page a persisting violation reports.)
 */
function coveringPage(k: Kernel, p: number): Covering {
  const ps = k.mm.pages;
  const mmu = k.mm.mmu;
  if (!(p >= 0 && p < ps.nPages)) return mmu.covering(p);
  const lt = ps.linearType[p]!;
  // owed[t]: live mappings of type t besides the linear PTE; owed[4 + t]: stale ones
  const owed = new Int32Array(8);
  let left = 0;
  for (let t = 0; t < 4; t++) {
    owed[t] = ps.live[t]![p]! - (lt === t ? 1 : 0);
    owed[4 + t] = ps.stale[t]![p]!;
    left += owed[t]! + owed[4 + t]!;
  }
  const out: Covering = [];
  if (lt !== NONE)
    out.push({ kind: 'linear', type: lt as MemType, owner: 'linear map', state: 'live', vaddr: -1 });
  if (left <= 0) return out;
  // the mappings found, with their places in the map's order; short ones first, then long ones
  const found: Mapping[] = [];
  const order: number[] = [];
  for (let pass = 0; pass < 2 && left > 0; pass++) {
    let i = 0;
    for (const m of mmu.mappings.values()) {
      const at = i++;
      if (m.pages.length > SHORT !== (pass === 1)) continue;
      const slot = (m.state === 'live' ? 0 : 4) + m.type;
      if (owed[slot]! <= 0 || !mapsPage(m, p)) continue;
      found.push(m);
      order.push(at);
      owed[slot]!--;
      if (--left === 0) break;
    }
  }
  const byOrder = found.map((_, j) => j).sort((a, b) => order[a]! - order[b]!);
  for (const j of byOrder) {
    const m = found[j]!;
    out.push({ kind: m.kind, type: m.type, owner: m.owner, state: m.state, vaddr: m.vaddr });
  }
  return out;
}

export function typesOfMask(mask: number): string {
  const out: string[] = [];
  for (let t = 0; t < 4; t++) if (mask & (1 << t)) out.push(memTypeName(t as 0 | 1 | 2 | 3));
  return out.join('+');
}
