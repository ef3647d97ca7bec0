/** no-conflicting-alias catches B17, B18 and hand-made aliases per rule set; holds on cma-direct-remap. */
import { describe, expect, it } from 'vitest';
import type { Kernel } from '../../../src/model/kernel.ts';
import { VM_TAG } from '../../../src/model/mm.ts';
import type { Op } from '../../../src/model/ops.ts';
import { MemType } from '../../../src/model/types.ts';
import { conflicts, noConflictingAlias } from '../../../src/spec/no-conflicting-alias.ts';
import { bootWith, checkBoth, KiB, uncachedCma, verdict } from '../../helpers/kernel.ts';

const kmap: Op = { op: 'kmap', client: 1, handle: 0 };

describe('no-conflicting-alias on op sequences', () => {
  it('violated on cma-direct (arm32-1g-cma512, CMA heap only) at the kmap: WB linear map beside the NC kmap (B17)', () => {
    // a board whose ION has only the CMA heap: no carveout creation alias (HEAP-CARVEOUT-1)
    const v = verdict(
      'arm32-1g-cma512,heaps=cma',
      'cma-direct',
      [uncachedCma(), kmap],
      'no-conflicting-alias',
    );
    expect(v?.step).toBe(1);
    expect(v?.message).toMatch(/mapped WB\+NC/);
  });
  it('holds on cma-direct-remap (arm32-1g-cma512), which flips the linear map first', () => {
    expect(
      verdict('arm32-1g-cma512', 'cma-direct-remap', [uncachedCma(), kmap], 'no-conflicting-alias'),
    ).toBeNull();
  });
});

describe('no-conflicting-alias rule sets (ARCH-6) and stale TLB entries (ARCH-4)', () => {
  const WB = 1;
  const NC = 2;
  const DEV = 4;
  const SO = 8;
  it('linux-arm32: WB beside anything else; armv7-b: any two classes; armv8: TYPE always, COHERENCY unless maintained', () => {
    expect(conflicts(WB | NC, 'linux-arm32')).toBe(true);
    expect(conflicts(NC | SO, 'linux-arm32')).toBe(false);
    expect(conflicts(NC | SO, 'armv7-b')).toBe(true);
    expect(conflicts(NC | DEV, 'armv8')).toBe(false);
    expect(conflicts(WB | SO, 'armv8')).toBe(true);
    expect(conflicts(WB | NC, 'armv8')).toBe(true);
    expect(conflicts(WB | NC, 'armv8', () => true)).toBe(false);
    expect(conflicts(WB, 'armv7-b')).toBe(false);
  });

  const reuse: Op[] = [
    uncachedCma(),
    { op: 'kmap', client: 1, handle: 0 },
    { op: 'kunmap', client: 1, handle: 0 },
    { op: 'free', client: 1, handle: 0 },
    uncachedCma(),
  ];
  // CMA heap only, kmap_atomic slots cleared (ARCH-8 debug-highmem=on): the stale kmap alone
  const board = 'arm32-1g,heaps=cma,debug-highmem=on';
  it('a lazily unmapped NC kmap still conflicts with the next owner zeroing through WB, until purged (B18)', () => {
    expect(verdict(board, 'cma-direct', reuse, 'no-conflicting-alias')?.message).toMatch(
      /kmap_atomic.*stale/,
    );
    expect(verdict(`${board},stale-tlb=off`, 'cma-direct', reuse, 'no-conflicting-alias')).toBeNull();
    const purged = [...reuse.slice(0, 4), { op: 'purge' } as Op, reuse[4]!];
    expect(verdict(board, 'cma-direct', purged, 'no-conflicting-alias')).toBeNull();
    expect(
      verdict('arm32-1g-cma512', 'zoo/b18-flip-without-purge', reuse, 'no-conflicting-alias'),
    ).not.toBeNull();
    expect(verdict('arm32-1g-cma512', 'cma-direct-remap', reuse, 'no-conflicting-alias')).toBeNull();
  });

  it("legacy-3.18's carveout zeroing leaves stale NC batches beside the WB linear map from boot: reported as stale, gone when purged or with stale-tlb=off", () => {
    const v = verdict('tiny', 'legacy-3.18', [uncachedCma(64 * KiB)], 'no-conflicting-alias');
    expect(v).toEqual({
      step: 0,
      message:
        'pfn 0x80200 is mapped WB and NC through stale TLB entries (lazily unmapped, not yet purged) at once [linux-arm32]',
      pfns: [0x80200],
    });
    expect(
      verdict('tiny,stale-tlb=off', 'legacy-3.18', [{ op: 'purge' }], 'no-conflicting-alias'),
    ).toBeNull();
    // the first op is a purge: nothing stale is left for the check after it
    expect(verdict('tiny', 'legacy-3.18', [{ op: 'purge' }], 'no-conflicting-alias')).toBeNull();
  });
});

describe('no-conflicting-alias on hand-made mappings of a kmapped uncached CMA buffer (tiny, highmem)', () => {
  /** cma-direct-remap with one 64 KiB uncached CMA buffer kmapped NC; nothing else maps its pages. */
  function kmapped(profile: string): { k: Kernel; pages: Int32Array } {
    const k = bootWith(profile, 'cma-direct-remap', [uncachedCma(64 * KiB), kmap]);
    k.mm.beginOp();
    return { k, pages: k.ion.buffers.get(0)!.pages };
  }
  const PFN1 = 0x80c11; // the buffer's second page

  it('holds on what the model built', () => {
    expect(checkBoth(noConflictingAlias, kmapped('tiny').k)).toBeNull();
    expect(checkBoth(noConflictingAlias, kmapped('tiny,stale-tlb=off').k)).toBeNull();
  });

  it('a WB vmap of a page the kmap maps NC: the page, its classes and both mappings are reported', () => {
    const { k, pages } = kmapped('tiny,stale-tlb=off');
    expect(k.mm.pages.pfnOf(pages[1]!)).toBe(PFN1);
    k.mm.vmap(pages.slice(1, 2), MemType.WB, 'hand vmap', -1, VM_TAG.DRIVER);
    const v = checkBoth(noConflictingAlias, k);
    expect(v?.invariant).toBe('no-conflicting-alias');
    expect(v?.message).toBe('pfn 0x80C11 is mapped WB+NC at once [linux-arm32]');
    expect(v?.pfns).toEqual([PFN1]);
    expect(v?.mappings.map((m) => `${m.owner}:${m.type}:${m.state}`).sort()).toEqual([
      'buffer 0 kmap:NC:live',
      'hand vmap:WB:live',
    ]);
  });

  it('armv8 also reports WB beside an NC mapping not flagged maintained (COHERENCY)', () => {
    const { k, pages } = kmapped('tiny,stale-tlb=off,rules=armv8');
    k.mm.vmap(pages.slice(1, 2), MemType.WB, 'hand vmap', -1, VM_TAG.DRIVER);
    expect(checkBoth(noConflictingAlias, k)?.message).toBe('pfn 0x80C11 is mapped WB+NC at once [armv8]');
  });

  it('NC beside DEV conflicts only under armv7-b (ORDERING)', () => {
    for (const [rules, want] of [
      ['linux-arm32', null],
      ['armv8', null],
      ['armv7-b', 'pfn 0x80C10 is mapped NC+DEV at once [armv7-b]'],
    ] as const) {
      const { k, pages } = kmapped(`tiny,stale-tlb=off,rules=${rules}`);
      k.mm.vmap(pages.slice(0, 2), MemType.DEV, 'hand vmap', -1, VM_TAG.DRIVER);
      expect(checkBoth(noConflictingAlias, k)?.message ?? null, rules).toBe(want);
    }
  });

  it('a conflicting mapping made and removed within one op is caught at creation (ARCH-3), and only in that op', () => {
    const { k, pages } = kmapped('tiny,stale-tlb=off');
    const m = k.mm.vmap(pages.slice(1, 2), MemType.WB, 'hand vmap', -1, VM_TAG.DRIVER)!;
    k.mm.vunmap(m.vaddr);
    const v = checkBoth(noConflictingAlias, k);
    expect(v?.message).toBe(
      'pfn 0x80C11: hand vmap (vm, WB) made while the page was mapped NC [linux-arm32]',
    );
    expect(v?.pfns).toEqual([PFN1]);
    k.apply({ op: 'kunmap', client: 1, handle: 0 });
    expect(checkBoth(noConflictingAlias, k)).toBeNull();
  });

  it('with stale TLB entries on, the removed WB vmap keeps conflicting until a purge', () => {
    const { k, pages } = kmapped('tiny');
    const m = k.mm.vmap(pages.slice(1, 2), MemType.WB, 'hand vmap', -1, VM_TAG.DRIVER)!;
    k.mm.vunmap(m.vaddr);
    expect(checkBoth(noConflictingAlias, k)?.message).toBe(
      'pfn 0x80C11 is mapped NC and WB through stale TLB entries (lazily unmapped, not yet purged) at once [linux-arm32]',
    );
    k.apply({ op: 'purge' });
    expect(checkBoth(noConflictingAlias, k)).toBeNull();
  });
});
