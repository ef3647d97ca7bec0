/** Turning model state into the words and numbers of a violation report. */
import type { Kernel } from '../model/kernel.ts';
import { asVAddr, hex, memTypeName, type Pfn } from '../model/types.ts';
import type { MappingInfo } from './invariant.ts';

export function pfnOf(k: Kernel, p: number): Pfn {
  return k.mm.pages.pfnOf(p);
}

export function pageName(k: Kernel, p: number): string {
  return `pfn ${hex(pfnOf(k, p)).replace('0x000', '0x')}`;
}

export function mappingsOf(k: Kernel, p: number): MappingInfo[] {
  return k.mm.mmu.covering(p).map((m) => ({
    kind: m.kind,
    type: memTypeName(m.type),
    owner: m.owner,
    state: m.state,
    vaddr: asVAddr(m.vaddr),
  }));
}

export function typesOfMask(mask: number): string {
  const out: string[] = [];
  for (let t = 0; t < 4; t++) if (mask & (1 << t)) out.push(memTypeName(t as 0 | 1 | 2 | 3));
  return out.join('+');
}
