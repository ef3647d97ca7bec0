/**
 * Mm.vmMapRamZeroed (one pass: Mmu.mapUnmappedLazily) against the calls it stands for,
 * vm_map_ram() + memset + vm_unmap_ram() (ION-15 ion_heap_clear_pages): the same sequence of
 * batches on two clones of one booted kernel must leave every per-page array, every mapping, the
 * op's creation records, the vmalloc allocator, the call trace and the next mapping id equal,
 * with a stale TLB (ARCH-4) and without one.
 */
import { describe, expect, it } from 'vitest';
import type { Kernel } from '../../../src/model/kernel.ts';
import { MemType } from '../../../src/model/types.ts';
import { boot } from '../../helpers/kernel.ts';

/** Batches of up to 32 pages: runs, odd sizes, strided (discontiguous) pages, repeats. */
function batches(base: number): Int32Array[] {
  const out: Int32Array[] = [];
  for (let i = 0; i < 300; i++) {
    const n = [32, 1, 3, 17, 32, 31, 8][i % 7]!;
    const stride = i % 5 === 0 ? 3 : 1;
    const start = base + ((i * 37) % 4000);
    out.push(Int32Array.from({ length: n }, (_, j) => start + j * stride));
  }
  return out;
}

/** The per-page arrays the paths write, by name. */
function pageArrays(k: Kernel): [string, ArrayLike<number>][] {
  const p = k.mm.pages;
  return [
    ...p.live.map((a, t): [string, ArrayLike<number>] => [`live[${t}]`, a]),
    ...p.stale.map((a, t): [string, ArrayLike<number>] => [`stale[${t}]`, a]),
    ['classes', p.classes],
    ['writer', p.writer],
  ];
}

/** Each per-page array of `k` that differs from `ref`'s, with its first differing page. */
function differingPages(k: Kernel, ref: Kernel): string[] {
  const theirs = pageArrays(ref);
  return pageArrays(k).flatMap(([name, a], j) => {
    const b = theirs[j]![1];
    for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return [`${name} at page ${i}`];
    return [];
  });
}

/** Everything else the two paths could leave differently, as plain data. */
function stateOf(k: Kernel) {
  const { pages, mmu, vmalloc } = k.mm;
  const digest: number[] = [];
  vmalloc.digest((x) => digest.push(x));
  return {
    staleTotal: pages.stale.map((a) => a.reduce((s, v) => s + v, 0)),
    touched: [...pages.touched()].sort((a, b) => a - b),
    mappings: [...mmu.mappings.values()].map((m) => ({ ...m, pages: [...m.pages] })),
    creations: mmu.creations.map((c) => ({ ...c, pages: [...c.pages], before: [...c.before] })),
    digest,
    path: k.mm.trace.path,
    vm: [...mmu.mappings.values()].map((m) => mmu.findVm(m.vaddr)?.id ?? -1),
  };
}

function differential(profile: string) {
  const booted = boot(profile, 'cma-direct-remap');
  const ref = booted.clone();
  const one = booted.clone();
  const base = ref.mm.pages.nPages - 8000;
  const type = [MemType.WB, MemType.NC];
  batches(base).forEach((b, i) => {
    // dirty data, and sometimes a live mapping of the batch already (the creation's `before`)
    for (const k of [ref, one]) {
      for (const p of b) k.mm.pages.setWriter(p, 7);
      if (i % 9 === 0) k.mm.vmMapRam(b.subarray(0, 1), MemType.NC, 'other', 3);
    }
    const m = ref.mm.vmMapRam(b, type[i % 2]!, 'zeroing', 5);
    expect(m).not.toBeNull();
    ref.mm.zeroPages(b);
    ref.mm.vmUnmapRam(m!);
    expect(one.mm.vmMapRamZeroed(b, type[i % 2]!, 'zeroing', 5)).toBe(true);
    if (i % 50 === 25) for (const k of [ref, one]) k.mm.purgeVmapAreaLazy();
    // mappings are compared as they are made: a purge or block flush may drop them later
    if (i % 10 === 0) expect(stateOf(one)).toEqual(stateOf(ref));
  });
  expect(differingPages(one, ref)).toEqual([]);
  expect(stateOf(one)).toEqual(stateOf(ref));
  // the ids taken match: the next mapping gets the same one
  const next = [ref, one].map((k) => k.mm.vmMapRam(Int32Array.of(base), MemType.WB, 'next')?.id);
  expect(next[1]).toBe(next[0]);
  return stateOf(ref);
}

describe('vm_map_ram + memset + vm_unmap_ram in one pass (Mm.vmMapRamZeroed)', () => {
  it('leaves what the three calls leave, with a stale TLB', () => {
    const s = differential('arm32-1g');
    // the comparison is not vacuous: stale batches remain, and the zeroing wrote the pages
    expect(s.mappings.filter((m) => m.state === 'stale' && m.owner === 'zeroing').length).toBeGreaterThan(10);
    expect(s.staleTotal.some((v) => v > 0)).toBe(true);
    expect(s.creations.length).toBeGreaterThan(300);
  });

  it('leaves what the three calls leave without one (stale-tlb=off)', () => {
    const s = differential('arm32-1g,stale-tlb=off');
    expect(s.mappings.some((m) => m.owner === 'zeroing')).toBe(false);
    expect(s.staleTotal.every((v) => v === 0)).toBe(true);
  });
});
