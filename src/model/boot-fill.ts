/**
 * Lays the areas of a boot-time /proc/vmallocinfo (boot-vmallocinfo.ts) into the model's vmalloc
 * window. Areas wholly outside [VMALLOC_START, VMALLOC_END) are static mappings (iotable_init,
 * LAYOUT-5) and are skipped; one that straddles an edge or lands on an area the model already
 * holds is a ProfileError naming its line (exit 2).
 */
import { ProfileError } from '../errors.ts';
import type { VmallocinfoArea } from './boot-vmallocinfo.ts';
import type { Mm } from './mm.ts';
import { hex } from './types.ts';

/** VMALLOC-3/5 place each area at its own address; returns how many were placed. */
export function placeBootAreas(mm: Mm, areas: readonly VmallocinfoArea[], path: string): number {
  const { vmallocStart, vmallocEnd } = mm.layout;
  let placed = 0;
  for (const a of areas) {
    if (a.end <= vmallocStart || a.start >= vmallocEnd) continue;
    const at = `boot-vmallocinfo ${path} line ${a.line}`;
    if (a.start < vmallocStart || a.end > vmallocEnd)
      throw new ProfileError(
        `${at}: ${hex(a.start)}-${hex(a.end)} straddles the vmalloc window ${hex(vmallocStart)}-${hex(vmallocEnd)}`,
      );
    if (!mm.reserveBootVmArea(a.start, a.end - a.start, a.unpurged))
      throw new ProfileError(
        `${at}: ${hex(a.start)}-${hex(a.end)} overlaps an area the model placed at boot`,
      );
    placed++;
  }
  return placed;
}

/** DMA318-9 the pool's first fit must land on the file's pool line, else the file and the model disagree. */
export function checkPoolArea(pool: VmallocinfoArea, vaddr: number, path: string): void {
  if (vaddr === pool.start) return;
  throw new ProfileError(
    `boot-vmallocinfo ${path} line ${pool.line}: the atomic pool's area is at ${hex(pool.start)}, but first fit over the areas below it puts the pool at ${hex(vaddr)}`,
  );
}
