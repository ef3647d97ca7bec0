/** contiguous-aligned catches wrong-size, misaligned or out-of-area buffers (B12, B5, B16, B6). */

import { describe, expect, it } from 'vitest';
import type { IonBuffer } from '../../../src/model/ion/heap.ts';
import type { Kernel } from '../../../src/model/kernel.ts';
import type { Op } from '../../../src/model/ops.ts';
import { contiguousAligned } from '../../../src/spec/contiguous-aligned.ts';
import { bootWith, checkBoth, KiB, MiB, uncachedCma, verdict } from '../../helpers/kernel.ts';

describe('contiguous-aligned on op sequences', () => {
  it('violated on zoo/b12-bytes-as-pages (arm32-1g): 256 bytes asked, 4096 pages taken (B12)', () => {
    const v = verdict('arm32-1g', 'zoo/b12-bytes-as-pages', [uncachedCma(256)], 'contiguous-aligned');
    expect(v?.step).toBe(0);
    expect(v?.message).toMatch(/has 4096 pages for 1 pages asked/);
  });
  it('holds on cma-direct (arm32-1g): 4 KiB, an odd size, 1 MiB', () => {
    expect(
      verdict(
        'arm32-1g',
        'cma-direct',
        [uncachedCma(4096), uncachedCma(100_000), uncachedCma(MiB)],
        'contiguous-aligned',
      ),
    ).toBeNull();
  });

  const cases: [string, string, Op[], string][] = [
    [
      // B16: cma_alloc aligns relative to the area base (CMA-4), visible once CONFIG_CMA_ALIGNMENT > the base's
      'arm32-1g-cma512,cma-alignment=12',
      'cma-direct-remap',
      [uncachedCma(16 * MiB)],
      'buffer 0 (cma, 16777216 bytes) starts at pfn 0x90800, not aligned to 4096 pages',
    ],
    [
      'tiny,cma-order-per-bit=1',
      'zoo/b5-aligned-mask',
      [uncachedCma(64 * KiB)],
      'buffer 0 (cma, 65536 bytes) starts at pfn 0x80C08, not aligned to 16 pages',
    ],
    [
      'tiny',
      'zoo/m10-cma-align-rounds-down',
      [uncachedCma(4 * KiB), uncachedCma(12 * KiB)],
      'buffer 1 (cma, 12288 bytes) starts at pfn 0x80C06, not aligned to 4 pages',
    ],
    [
      'tiny',
      'zoo/m11-cma-align-cap-one-less',
      [uncachedCma(4 * KiB), uncachedCma(MiB)],
      'buffer 1 (cma, 1048576 bytes) starts at pfn 0x80C80, not aligned to 256 pages',
    ],
    [
      'tiny',
      'zoo/b6-alloc-buddy-free-cma',
      [uncachedCma(4 * KiB)],
      'buffer 0 (cma, 4096 bytes) lies outside the cma area',
    ],
  ];
  for (const [profile, design, ops, message] of cases)
    it(`${design} (${profile}): "${message}"`, () => {
      const v = verdict(profile, design, ops, 'contiguous-aligned');
      expect(v?.step).toBe(ops.length - 1);
      expect(v?.message).toBe(message);
    });

  it('B16 needs CONFIG_CMA_ALIGNMENT above the area alignment: with the default 8 the same alloc holds', () => {
    expect(
      verdict('arm32-1g-cma512', 'cma-direct-remap', [uncachedCma(16 * MiB)], 'contiguous-aligned'),
    ).toBeNull();
  });
});

describe('contiguous-aligned on hand-corrupted page lists (tiny, cma-direct-remap)', () => {
  const alloc = (heap: string): Op => ({ op: 'alloc', client: 1, heap, len: 64 * KiB }) as Op;
  /** One 64 KiB buffer on each heap: 0 cma (pfn 0x80C10), 1 carveout, 2 system-contig, 3 system. */
  function fourHeaps(): { k: Kernel; buf: (id: number) => IonBuffer } {
    const k = bootWith('tiny', 'cma-direct-remap', ['cma', 'carveout', 'system-contig', 'system'].map(alloc));
    return { k, buf: (id) => k.ion.buffers.get(id) ?? k.ion.freeList.find((b) => b.id === id)! };
  }
  const shift = (b: IonBuffer, d: number) => {
    b.pages = b.pages.map((p) => p + d);
  };

  it('holds on a buffer of each heap', () => {
    const { k, buf } = fourHeaps();
    expect(buf(0).pages[0]).toBe(0xc10);
    expect(checkBoth(contiguousAligned, k)).toBeNull();
  });

  it('a hole in a CMA buffer', () => {
    const { k, buf } = fourHeaps();
    const p = buf(0).pages;
    [p[1], p[2]] = [p[2]!, p[1]!];
    const v = checkBoth(contiguousAligned, k);
    expect(v?.message).toBe('buffer 0 (cma, 65536 bytes) is not contiguous at page 1 (pfn 0x80C12)');
    expect(v?.pfns).toEqual([0x80c10]);
  });

  it('a page one off at any place of a CMA buffer: in a round of four or at the end', () => {
    for (let at = 1; at < 16; at++) {
      const { k, buf } = fourHeaps();
      const p = buf(0).pages;
      expect(p.length).toBe(16);
      p[at] = p[at]! + 100;
      expect(checkBoth(contiguousAligned, k)?.message, `at ${at}`).toMatch(
        new RegExp(`^buffer 0 \\(cma, 65536 bytes\\) is not contiguous at page ${at} `),
      );
    }
  });

  it('a CMA buffer one page off its alignment', () => {
    const { k, buf } = fourHeaps();
    shift(buf(0), 1);
    expect(checkBoth(contiguousAligned, k)?.message).toBe(
      'buffer 0 (cma, 65536 bytes) starts at pfn 0x80C11, not aligned to 16 pages',
    );
  });

  it('a short sg table', () => {
    const { k, buf } = fourHeaps();
    buf(0).pages = buf(0).pages.slice(0, 15);
    expect(checkBoth(contiguousAligned, k)?.message).toBe(
      'buffer 0 (cma, 65536 bytes) has 15 pages in its sg table for 16 pages asked',
    );
  });

  it('a CMA buffer moved outside the CMA area (to an aligned lowmem range)', () => {
    const { k, buf } = fourHeaps();
    buf(0).pages = buf(0).pages.map((_, i) => 16 + i);
    expect(checkBoth(contiguousAligned, k)?.message).toBe(
      'buffer 0 (cma, 65536 bytes) lies outside the cma area',
    );
  });

  it('system-contig is aligned to its order (HEAP-CONTIG-1); the carveout to one page', () => {
    const carveout = fourHeaps();
    shift(carveout.buf(1), 1);
    expect(checkBoth(contiguousAligned, carveout.k)).toBeNull();
    const contig = fourHeaps();
    shift(contig.buf(2), 1);
    expect(checkBoth(contiguousAligned, contig.k)?.message).toBe(
      'buffer 2 (system-contig, 65536 bytes) starts at pfn 0x80801, not aligned to 16 pages',
    );
  });

  it('the system heap promises no contiguity', () => {
    const { k, buf } = fourHeaps();
    buf(3).pages.reverse();
    expect(checkBoth(contiguousAligned, k)).toBeNull();
  });

  it('a carveout buffer queued for deferred free is still checked', () => {
    const { k, buf } = fourHeaps();
    k.apply({ op: 'free', client: 1, handle: 1 });
    expect(k.ion.freeList.map((b) => b.id)).toEqual([1]);
    buf(1).pages[3] = 0;
    expect(checkBoth(contiguousAligned, k)?.message).toMatch(
      /^buffer 1 \(carveout, 65536 bytes\) is not contiguous at page 3 \(pfn 0x80000\)$/,
    );
  });
});
