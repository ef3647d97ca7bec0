/** describe.ts: page index to pfn and name, a page's mappings with type names, class masks as words. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_DESIGNS } from '../../../src/model/designs/index.ts';
import { Kernel } from '../../../src/model/kernel.ts';
import { VM_TAG } from '../../../src/model/mm.ts';
import type { Op } from '../../../src/model/ops.ts';
import { resolveProfile } from '../../../src/model/profile.ts';
import { asVAddr, MemType, memTypeName } from '../../../src/model/types.ts';
import { mappingsOf, pageName, pfnOf, typesOfMask } from '../../../src/spec/describe.ts';
import { boot, bootWith, KiB, uncachedCma } from '../../helpers/kernel.ts';
import { opsArb } from '../../helpers/random-ops.ts';

describe('pfnOf and pageName', () => {
  it('a page index is its offset from the RAM base pfn (0x80000000 >> 12 on every board here)', () => {
    const k = boot('tiny', 'cma-direct-remap');
    expect(k.mm.pages.basePfn).toBe(0x80000);
    expect(pfnOf(k, 0)).toBe(0x80000);
    expect(pfnOf(k, 100)).toBe(0x80064);
    expect(pfnOf(k, 3088)).toBe(0x80c10);
  });

  it('names a pfn in upper-case hex without the leading zeros of the 8-digit form', () => {
    const k = boot('tiny', 'cma-direct-remap');
    expect(pageName(k, 0)).toBe('pfn 0x80000');
    expect(pageName(k, 100)).toBe('pfn 0x80064');
    expect(pageName(k, 3088)).toBe('pfn 0x80C10');
    expect(pageName(k, k.mm.pages.nPages - 1)).toBe('pfn 0x80FFF');
  });
});

describe('mappingsOf', () => {
  it('a lowmem page: its WB linear PTE only', () => {
    const k = boot('tiny', 'cma-direct-remap');
    expect(mappingsOf(k, 100)).toEqual([
      { kind: 'linear', type: 'WB', owner: 'linear map', state: 'live', vaddr: -1 },
    ]);
  });

  it('a highmem buffer page: no linear PTE, its kmap and user mappings with owners, and a stale one once removed', () => {
    const k = bootWith('tiny', 'cma-direct', [
      uncachedCma(64 * KiB),
      { op: 'kmap', client: 1, handle: 0 },
      { op: 'share', client: 1, handle: 0 },
      { op: 'mmap', fd: 0 },
    ]);
    const p = k.ion.buffers.get(0)!.pages[0]!;
    const got = mappingsOf(k, p);
    expect(got.map((m) => [m.kind, m.type, m.owner, m.state]).sort()).toEqual([
      ['user', 'NC', 'user VMA of buffer 0', 'live'],
      ['vm', 'NC', 'buffer 0 kmap', 'live'],
    ]);
    const kmap = got.find((m) => m.kind === 'vm')!;
    expect(k.mm.vmAreaAt(kmap.vaddr)?.tag).toBe(VM_TAG.ION_MAP);
    k.apply({ op: 'kunmap', client: 1, handle: 0 });
    expect(mappingsOf(k, p).map((m) => `${m.owner}:${m.state}`)).toEqual([
      'buffer 0 kmap:stale',
      'user VMA of buffer 0:live',
    ]);
  });

  it('a page nobody maps: empty', () => {
    const k = boot('tiny', 'cma-direct-remap');
    const free = k.mm.lowmemPages + 8;
    expect(mappingsOf(k, free)).toEqual([]);
    k.mm.vmap(Int32Array.of(free), MemType.DEV, 'hand vmap', -1, VM_TAG.DRIVER);
    expect(mappingsOf(k, free)).toMatchObject([
      { kind: 'vm', type: 'DEV', owner: 'hand vmap', state: 'live' },
    ]);
  });
});

describe('mappingsOf agrees with mmu.covering', () => {
  /** covering(p) in mappingsOf's words: what the counter-guided search must reproduce. */
  const covering = (k: Kernel, p: number) =>
    k.mm.mmu.covering(p).map((m) => ({
      kind: m.kind,
      type: memTypeName(m.type),
      owner: m.owner,
      state: m.state,
      vaddr: asVAddr(m.vaddr),
    }));

  const SETUP: Op[] = [
    uncachedCma(64 * KiB),
    { op: 'kmap', client: 1, handle: 0 },
    { op: 'share', client: 1, handle: 0 },
    { op: 'mmap', fd: 0 },
    { op: 'driver-vmap', pages: 8 },
  ];
  // every built-in design and the zoo's (their faults map pages oddly), tiny: every touched page
  // after every op, every page at the end of a run
  for (const design of ALL_DESIGNS) {
    it(`${design.id}: 4 runs of 40-60 random ops (seed 11)`, () => {
      const booted = Kernel.boot(resolveProfile('tiny'), design);
      let compared = 0;
      let multi = 0;
      fc.assert(
        fc.property(opsArb('tiny', 40, 60), (ops) => {
          const k = booted.clone();
          // a buffer mapped three ways first (linear or not, kmap, user VMA), then random ops
          for (const op of [...SETUP, ...ops]) {
            k.apply(op);
            for (const p of k.mm.pages.touched()) {
              const want = covering(k, p);
              expect(mappingsOf(k, p), `page ${p} after ${JSON.stringify(op)}`).toEqual(want);
              compared++;
              if (want.length > 1) multi++;
            }
          }
          for (let p = 0; p < k.mm.pages.nPages; p++) {
            const want = covering(k, p);
            expect(mappingsOf(k, p), `page ${p} at the end`).toEqual(want);
            if (want.length > 1) multi++;
          }
        }),
        { seed: 11, numRuns: 4 },
      );
      expect(compared).toBeGreaterThan(0);
      expect(multi, 'pages with more than one mapping were compared').toBeGreaterThan(0);
    });
  }

  it("the newest mappings and older ones, found apart, are listed in the table's order", () => {
    const k = boot('tiny', 'cma-direct-remap');
    const q = k.mm.lowmemPages + 16;
    const vmap = (page: number, owner: string) =>
      k.mm.vmap(Int32Array.of(page), MemType.NC, owner, -1, VM_TAG.DRIVER);
    // q mapped first, then by mappings spread over the last ids handed out, between other pages'
    const mine = ['oldest'];
    vmap(q, 'oldest');
    for (let i = 0; i < 12; i++) {
      vmap(q + 1 + i, `other ${i}`);
      if (i % 4 === 3) {
        mine.push(`q after ${i}`);
        vmap(q, `q after ${i}`);
      }
    }
    const got = mappingsOf(k, q);
    expect(got.map((m) => m.owner)).toEqual(mine);
    expect(got).toEqual(covering(k, q));
    // one of them gone stale (its place in the table kept): still in order
    const stale = [...k.mm.mmu.mappings.values()].find((m) => m.owner === 'q after 3')!;
    k.mm.mmu.unmap(stale, true);
    expect(mappingsOf(k, q)).toEqual(covering(k, q));
    expect(mappingsOf(k, q).map((m) => m.state)).toEqual(['live', 'stale', 'live', 'live']);
  });

  it('a page outside RAM (an sg entry past the end) is answered as covering answers it', () => {
    const k = boot('tiny', 'cma-direct-remap');
    expect(mappingsOf(k, k.mm.pages.nPages + 3)).toEqual(covering(k, k.mm.pages.nPages + 3));
    expect(mappingsOf(k, -1)).toEqual(covering(k, -1));
  });
});

describe('typesOfMask', () => {
  it('lists the classes of a bit mask in ARCH-1 order, joined by +', () => {
    expect(typesOfMask(0)).toBe('');
    expect(typesOfMask(1 << MemType.WB)).toBe('WB');
    expect(typesOfMask((1 << MemType.NC) | (1 << MemType.WB))).toBe('WB+NC');
    expect(typesOfMask((1 << MemType.SO) | (1 << MemType.DEV))).toBe('DEV+SO');
    expect(typesOfMask(0b1111)).toBe('WB+NC+DEV+SO');
  });
  it('ignores bits above the four classes (the stale half of a creation record)', () => {
    expect(typesOfMask(0b1_0000)).toBe('');
    expect(typesOfMask(0b10_0010)).toBe('NC');
  });
});
