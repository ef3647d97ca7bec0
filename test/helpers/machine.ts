/** Canonical views of a machine's small tables, for tests that compare two machines. */
import type { Kernel } from '../../src/model/kernel.ts';

/** The mapping table: every mapping's identity, type, address, state and pages. */
export function mappingsOf(k: Kernel): unknown[] {
  return [...k.mm.mmu.mappings.values()]
    .map((m) => [m.id, m.kind, m.type, m.vaddr, m.state, m.owner, [...m.pages]])
    .sort((x, y) => (x[0] as number) - (y[0] as number));
}

/** The vm area table, its per-tag page counts and the kmap_atomic slots. */
export function smallTablesOf(k: Kernel): unknown {
  const { mm } = k;
  return {
    areas: [...mm.liveVmAreas()].sort((x, y) => x[0] - y[0]),
    tags: [...mm.vmTagPages],
    slots: [...mm.fixmapSlots].map((id) => mm.mmu.mappings.get(id)?.pages[0] ?? -1),
    fixmapped: Array.from({ length: mm.pages.nPages }, (_, p) => mm.fixmapCount(p)).join(''),
  };
}
