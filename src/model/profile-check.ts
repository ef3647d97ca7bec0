/**
 * Profiles that describe impossible hardware are refused with one line, before anything boots:
 * RAM beyond the 32-bit physical address space without LPAE, more RAM than the model holds, an
 * ION carveout that is not reserved lowmem, an atomic pool that is empty or cannot be placed.
 * (Before, such a pool or carveout silently disappeared and the run checked another machine.)
 */
import { ProfileError } from '../errors.ts';
import type { Profile } from './board.ts';
import { computeLayout } from './layout.ts';
import { PAGE_SIZE, SZ_1M } from './types.ts';

const GiB = 1024 * SZ_1M;
/** Profiles whose boards address physical memory through LPAE (ARM_LPAE, 40-bit physical). */
export const LPAE_PROFILES: ReadonlySet<string> = new Set(['arm32-4g']);
/** The most RAM a profile may have: the model keeps per-page state for all of it. */
export const RAM_MAX_BYTES = 16 * GiB;

const hex = (n: number): string => `0x${n.toString(16)}`;
const size = (n: number): string =>
  n % GiB === 0 ? `${n / GiB}G` : n % SZ_1M === 0 ? `${n / SZ_1M}M` : `${n / 1024}K`;

/** Throw a ProfileError naming the first impossible part of `p`, overridden from profile `base`. */
export function checkHardware(p: Profile, base: Profile): void {
  const ramEnd = p.ramBase + p.ramBytes;
  const lpae = LPAE_PROFILES.has(base.id);
  if (!lpae && ramEnd > 2 ** 32)
    throw new ProfileError(
      `ram=${size(p.ramBytes)} at ${hex(p.ramBase)} ends at ${hex(ramEnd)}, beyond the 4 GiB physical address space of ARM32 without LPAE (at most ram=${size(2 ** 32 - p.ramBase)} here; arm32-4g models LPAE)`,
    );
  if (p.ramBytes > RAM_MAX_BYTES)
    throw new ProfileError(
      `ram=${size(p.ramBytes)} is more than ionck models (at most ${size(RAM_MAX_BYTES)})`,
    );
  const l = computeLayout(p);
  const window = l.vmallocEnd - l.vmallocStart;
  // LAYOUT-3: a vmalloc= the board cannot honour leaves VMALLOC_START at or above VMALLOC_END
  if (window < 2 * PAGE_SIZE)
    throw new ProfileError(
      `${p.vmallocArg !== null ? `vmalloc=${size(p.vmallocArg)}` : 'this layout'} leaves no vmalloc window (VMALLOC_START ${hex(l.vmallocStart)}, VMALLOC_END ${hex(l.vmallocEnd)})`,
    );
  const c = p.carveout;
  // a board's own carveout left outside a shrunken lowmem is dropped, as before; one asked for is not
  const asked = c.base !== base.carveout.base || c.size !== base.carveout.size;
  if (
    asked &&
    c.size > 0 &&
    (c.base < p.ramBase || c.base + c.size > l.lowmemLimit || c.base % PAGE_SIZE !== 0)
  )
    throw new ProfileError(
      `carveout=${size(c.size)}@${hex(c.base)} cannot be placed: ION's carveout must be page-aligned reserved lowmem inside ${hex(p.ramBase)}..${hex(l.lowmemLimit)}`,
    );
  const pool = p.atomicPoolBytes;
  if (pool === 0 || pool % PAGE_SIZE !== 0)
    throw new ProfileError(
      `coherent_pool=${pool} is not a usable atomic pool: it must be a positive multiple of 4K (default 256K)`,
    );
  // atomic_pool_init takes the pool from the default CMA area when there is one, else from lowmem,
  // and remaps it into the vmalloc window (DMA318-9)
  const from = l.cma ? { what: `the CMA area (${size(l.cma.size)})`, bytes: l.cma.size } : null;
  const lowmem = l.lowmemLimit - p.ramBase;
  // VMALLOC-1: its vm area takes a guard page beside it
  const fitsWindow = pool + PAGE_SIZE <= window;
  if (!fitsWindow || pool > (from ? from.bytes : lowmem))
    throw new ProfileError(
      `coherent_pool=${size(pool)} cannot be placed: larger than ${!fitsWindow ? `the vmalloc window less its guard page (${size(window - PAGE_SIZE)})` : (from?.what ?? `lowmem (${size(lowmem)})`)}`,
    );
}
