/** zeroed-on-alloc catches buffers handed out with an earlier owner's data (B12, zoo, by hand). */
import { describe, expect, it } from 'vitest';
import type { Kernel } from '../../../src/model/kernel.ts';
import type { Op } from '../../../src/model/ops.ts';
import { CLEAN } from '../../../src/model/pages.ts';
import { zeroedOnAlloc } from '../../../src/spec/zeroed-on-alloc.ts';
import { bootWith, checkBoth, KiB, uncachedCma, verdict } from '../../helpers/kernel.ts';

const share: Op = { op: 'share', client: 1, handle: 0 };
/** Write a buffer through a user mapping, free it, allocate `next` of the same heap. */
const writeFreeRealloc = (first: Op, next: Op = first): Op[] => [
  first,
  share,
  { op: 'mmap', fd: 0 },
  { op: 'write', vma: 0 },
  { op: 'munmap', vma: 0 },
  { op: 'close', fd: 0 },
  { op: 'free', client: 1, handle: 0 },
  next,
];

describe('zeroed-on-alloc on op sequences', () => {
  it("violated on zoo/b12-bytes-as-pages (arm32-1g): the next 16-byte buffer gets the first one's data (B12)", () => {
    const v = verdict(
      'arm32-1g',
      'zoo/b12-bytes-as-pages',
      writeFreeRealloc({ op: 'alloc', client: 1, heap: 'cma', len: 16 }),
      'zeroed-on-alloc',
    );
    expect(v?.step).toBe(7);
    expect(v?.message).toMatch(/still holds data written by buffer 0/);
  });
  it('holds on cma-direct (tiny): the CMA heap zeroes the reused pages', () => {
    expect(verdict('tiny', 'cma-direct', writeFreeRealloc(uncachedCma(65536)), 'zeroed-on-alloc')).toBeNull();
  });

  const cached = (len: number): Op => ({ op: 'alloc', client: 1, heap: 'cma', len, cached: true });
  for (const [design, first] of [
    ['zoo/m03-zero-skips-order0', uncachedCma(4 * KiB)],
    ['zoo/m14-cma-zero-uncached-only', cached(16 * KiB)],
  ] as const)
    it(`${design} (tiny): buffer 1 reads buffer 0's data at pfn 0x80C04; cma-direct-remap zeroes it`, () => {
      const ops = writeFreeRealloc(first);
      expect(verdict('tiny', design, ops, 'zeroed-on-alloc')).toEqual({
        step: 7,
        message: "pfn 0x80C04 of buffer 1 still holds data written by buffer 0's user",
        pfns: [0x80c04],
      });
      expect(verdict('tiny', 'cma-direct-remap', ops, 'zeroed-on-alloc')).toBeNull();
    });
});

describe('zeroed-on-alloc on hand-planted writer tags (tiny, cma-direct-remap)', () => {
  /** Buffer 0 (64 KiB CMA, pages from pfn 0x80C10) shared and mmapped as VMA 0. */
  function mapped(): Kernel {
    return bootWith('tiny', 'cma-direct-remap', [uncachedCma(64 * KiB), share, { op: 'mmap', fd: 0 }]);
  }

  it("holds on zeroed pages and on the buffer's own user's data", () => {
    const k = mapped();
    const pages = k.ion.buffers.get(0)!.pages;
    expect([...pages].every((p) => k.mm.pages.writer[p] === CLEAN)).toBe(true);
    expect(checkBoth(zeroedOnAlloc, k)).toBeNull();
    k.apply({ op: 'write', vma: 0 });
    expect(k.mm.pages.writer[pages[0]!]).toBe(1);
    expect(checkBoth(zeroedOnAlloc, k)).toBeNull();
  });

  it("another buffer's tag on a buffer page is reported with the page and its mappings", () => {
    const k = mapped();
    const p = k.ion.buffers.get(0)!.pages[3]!;
    k.mm.pages.setWriter(p, 6);
    const v = checkBoth(zeroedOnAlloc, k);
    expect(v?.message).toBe("pfn 0x80C13 of buffer 0 still holds data written by buffer 5's user");
    expect(v?.pfns).toEqual([0x80c13]);
    expect(v?.mappings.some((m) => m.kind === 'user' && m.type === 'NC')).toBe(true);
  });

  it("a free page holding old data is not a finding: nobody's buffer exposes it", () => {
    const k = mapped();
    k.mm.pages.setWriter(k.mm.lowmemPages + 8, 6);
    expect(checkBoth(zeroedOnAlloc, k)).toBeNull();
  });

  it('the incremental form follows the touched pages: a planted tag is seen, and cleared when the owner writes over it', () => {
    const k = mapped();
    expect(zeroedOnAlloc.incremental(k)).toBeNull();
    k.apply({ op: 'purge' });
    k.mm.pages.setWriter(k.ion.buffers.get(0)!.pages[15]!, 9);
    expect(checkBoth(zeroedOnAlloc, k)?.message).toBe(
      "pfn 0x80C1F of buffer 0 still holds data written by buffer 8's user",
    );
    k.apply({ op: 'write', vma: 0 });
    expect(checkBoth(zeroedOnAlloc, k)).toBeNull();
  });
});
