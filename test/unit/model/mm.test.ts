/**
 * ARCH-8 kmap_atomic slots, as arch/arm/mm/highmem.c (3.18) kmap_atomic() and __kunmap_atomic()
 * do them: without CONFIG_DEBUG_HIGHMEM the fixmap PTE of the last page zeroed stays in place
 * ("When debugging is off, kunmap_atomic leaves the previous mapping in place") until the slot is
 * reused; with it, __kunmap_atomic() clears the PTE and flushes its TLB entry.
 */
import { describe, expect, it } from 'vitest';
import { ALL_DESIGNS } from '../../../src/model/designs/index.ts';
import { CallTrace, FIXADDR_START } from '../../../src/model/mm.ts';
import { resolveProfile } from '../../../src/model/profile.ts';
import { MemType } from '../../../src/model/types.ts';
import { runOps } from '../../../src/properties/run.ts';
import { conflicts } from '../../../src/spec/no-conflicting-alias.ts';
import { boot, uncachedCma } from '../../helpers/kernel.ts';

const KIB4 = 4096;
const slotsOf = (k: ReturnType<typeof boot>, p: number) =>
  k.mm.mmu.covering(p).filter((m) => m.kind === 'kmap-atomic' && m.state === 'live');

function aliasVerdict(profile: string, design: string, ops: Parameters<typeof runOps>[2]) {
  const d = ALL_DESIGNS.find((x) => x.id === design)!;
  const out = (['incremental', 'full'] as const).map((mode) => {
    const r = runOps(resolveProfile(profile), d, ops, { invariants: ['no-conflicting-alias'], mode });
    const v = r.firstViolations.get('no-conflicting-alias');
    return v ? { step: v.step, message: v.violation.message } : null;
  });
  expect(out[0]).toEqual(out[1]);
  return out[1];
}

describe('ARCH-8 kmap_atomic slots left in place (arch/arm/mm/highmem.c __kunmap_atomic, 3.18)', () => {
  it('a 4 KiB uncached CMA allocation on legacy-3.18, arm32-1g, leaves its last page WB in a fixmap slot beside the NC remap', () => {
    const k = boot('arm32-1g', 'legacy-3.18');
    expect(k.apply(uncachedCma(KIB4)).ok).toBe(true);
    const buf = k.ion.handles[0]!.buffer;
    const last = buf.pages[buf.pages.length - 1]!;
    const maps = k.mm.mmu.covering(last);
    // the slot: CPU 0, depth 0 (__fix_to_virt(0)), WB kmap_prot; the remap: NC (DMA318-5)
    expect(maps).toContainEqual(
      expect.objectContaining({ kind: 'kmap-atomic', type: MemType.WB, state: 'live', vaddr: FIXADDR_START }),
    );
    expect(maps).toContainEqual(expect.objectContaining({ kind: 'vm', type: MemType.NC, state: 'live' }));
    expect(conflicts(k.mm.pages.typeMask(last, false), 'linux-arm32')).toBe(true);
    // the invariant names that page on a board whose ION has only the CMA heap
    expect(aliasVerdict('arm32-1g,heaps=cma', 'legacy-3.18', [uncachedCma(KIB4)])).toEqual({
      step: 0,
      message: expect.stringMatching(/pfn 0xB0040 is mapped WB\+NC/),
    });
  });

  it('with debug-highmem=on __kunmap_atomic() clears the slot: no WB mapping is left', () => {
    const k = boot('arm32-1g,debug-highmem=on', 'legacy-3.18');
    k.apply(uncachedCma(KIB4));
    const buf = k.ion.handles[0]!.buffer;
    expect(slotsOf(k, buf.pages[0]!)).toEqual([]);
    expect(k.mm.pages.typeMask(buf.pages[0]!, true)).toBe(1 << MemType.NC);
    expect(
      aliasVerdict('arm32-1g,heaps=cma,debug-highmem=on', 'legacy-3.18', [uncachedCma(KIB4)]),
    ).toBeNull();
  });

  it('alloc, free and alloc again on legacy-3.18 with debug-highmem=on raises no alias (DMA318-8 flushes the freed remap)', () => {
    const ops = [uncachedCma(KIB4), { op: 'free', client: 1, handle: 0 } as const, uncachedCma(KIB4)];
    expect(aliasVerdict('arm32-1g,heaps=cma,debug-highmem=on', 'legacy-3.18', ops)).toBeNull();
    // and on the whole board, none of the CMA buffer's pages is in conflict
    const k = boot('arm32-1g,debug-highmem=on', 'legacy-3.18');
    for (const op of ops) k.apply(op);
    for (const p of k.ion.handles[1]!.buffer.pages)
      expect(conflicts(k.mm.pages.typeMask(p, true), 'linux-arm32')).toBe(false);
  });

  it('the next kmap_atomic reuses the slot: the previous page loses its WB mapping, with no stale entry', () => {
    const k = boot('arm32-1g', 'cma-direct');
    k.apply(uncachedCma(KIB4));
    const first = k.ion.handles[0]!.buffer.pages[0]!;
    expect(slotsOf(k, first)).toHaveLength(1);
    k.apply(uncachedCma(KIB4));
    const second = k.ion.handles[1]!.buffer.pages[0]!;
    expect(slotsOf(k, first)).toEqual([]);
    expect(k.mm.pages.typeMask(first, true)).toBe(0);
    expect(slotsOf(k, second)).toHaveLength(1);
    expect(k.mm.fixmapSlots.filter((id) => id !== 0)).toHaveLength(1);
  });

  it('a slot left on a freed page is the kernel’s, not a leak: freed-completely holds', () => {
    const d = ALL_DESIGNS.find((x) => x.id === 'cma-direct')!;
    const r = runOps(
      resolveProfile('arm32-1g'),
      d,
      [uncachedCma(KIB4), { op: 'free', client: 1, handle: 0 }],
      { invariants: ['freed-completely'], mode: 'full' },
    );
    expect(r.firstViolations.size).toBe(0);
    expect(r.kernel.mm.fixmapCount(r.kernel.mm.cma!.basePage + 64)).toBe(1);
  });

  it('lowmem pages take page_address(): no slot (arm32-1g-cma512)', () => {
    const k = boot('arm32-1g-cma512', 'cma-direct');
    k.apply(uncachedCma(KIB4));
    expect(k.mm.fixmapSlots.every((id) => id === 0)).toBe(true);
  });
});

describe('the call path of an op', () => {
  it('collapses a function entered again right after itself, and only then', () => {
    const t = new CallTrace();
    for (const fn of ['driverVmap', 'allocPages', 'allocPages', 'allocPages', 'vmap', 'allocPages'])
      t.enter(fn);
    expect(t.path).toEqual(['driverVmap', 'allocPages ×3', 'vmap', 'allocPages']);
  });

  it('a 61,374-page driver vmap on arm32-1g is five entries, not one per page', () => {
    const k = boot('arm32-1g', 'legacy-3.18');
    const r = k.apply({ op: 'driver-vmap', pages: 61374 });
    expect(r.ok).toBe(true);
    expect(r.callPath).toEqual(['driverVmap', 'allocPages ×61,374', 'vmap', 'getVmArea', 'mapVmArea']);
  });
});
