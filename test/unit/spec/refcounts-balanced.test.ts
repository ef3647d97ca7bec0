/** refcounts-balanced catches counts out of step with live objects (B3, B4, B13, zoo, by hand). */
import { describe, expect, it } from 'vitest';
import type { Kernel } from '../../../src/model/kernel.ts';
import type { Op } from '../../../src/model/ops.ts';
import { refcountsBalanced } from '../../../src/spec/refcounts-balanced.ts';
import { bootWith, checkBoth, KiB, uncachedCma, verdict } from '../../helpers/kernel.ts';

const share: Op = { op: 'share', client: 1, handle: 0 };
const free0: Op = { op: 'free', client: 1, handle: 0 };

describe('refcounts-balanced on op sequences', () => {
  it('violated on zoo/b3-free-race (tiny) at the racing FREE: the handle is put below zero (B3)', () => {
    const ops: Op[] = [uncachedCma(4096), free0, { ...free0, race: true } as Op];
    const v = verdict('tiny', 'zoo/b3-free-race', ops, 'refcounts-balanced');
    expect(v?.step).toBe(2);
    expect(v?.message).toMatch(/handle 0 has ref -1/);
  });
  it('holds on cma-direct-remap (tiny): share, import by a second client, a second FREE refused', () => {
    const ops: Op[] = [uncachedCma(4096), share, { op: 'import', client: 2, fd: 0 }, free0, free0];
    expect(verdict('tiny', 'cma-direct-remap', ops, 'refcounts-balanced')).toBeNull();
  });

  const cases: [string, Op[], string][] = [
    [
      'zoo/m17-share-without-ref',
      [uncachedCma(4 * KiB), share],
      'buffer 0 (cma): kref 1, but 1 handles + 1 dma-bufs imply 2',
    ],
    [
      'zoo/m15-kmap-count-underflow',
      [uncachedCma(4 * KiB), { op: 'kunmap', client: 1, handle: 0 }],
      'buffer 0 (cma): handle 0 has ref 1, kmap -1',
    ],
    [
      'zoo/m16-close-double-put',
      [uncachedCma(4 * KiB), share, { op: 'mmap', fd: 0 }, { op: 'close', fd: 0 }],
      'buffer 0 (cma): dma-buf fd 0 has 0 file refs, 1 implied',
    ],
    [
      'zoo/m18-attach-without-file-ref',
      [uncachedCma(4 * KiB), share, { op: 'dma-map', fd: 0, device: 'gpu' }],
      'buffer 0 (cma): dma-buf fd 0 has 1 file refs, 2 implied',
    ],
    [
      'zoo/b4-kref-overflow',
      [uncachedCma(4 * KiB), share, ...Array<Op>(3).fill({ op: 'import', client: 1, fd: 0 })],
      'buffer 0 (cma): handle 0 is live with ref 0',
    ],
    [
      // a 2 MiB kernel mapping cannot fit tiny's 2 MiB window: the begin's kmap get fails (B13)
      'zoo/b13-begin-ignores-kmap-error',
      [
        { op: 'alloc', client: 1, heap: 'cma', len: 2048 * KiB, cached: true },
        { op: 'kmap', client: 1, handle: 0 },
      ],
      'buffer 0 (cma): kmap_cnt 0, 1 kmapped handles',
    ],
  ];
  for (const [design, ops, message] of cases)
    it(`${design} (tiny): "${message}" at the last op; cma-direct-remap holds`, () => {
      expect(verdict('tiny', design, ops, 'refcounts-balanced')).toEqual({
        step: ops.length - 1,
        message,
        pfns: [],
      });
      expect(verdict('tiny', 'cma-direct-remap', ops, 'refcounts-balanced')).toBeNull();
    });
});

describe('refcounts-balanced on hand-corrupted counts (tiny, cma-direct-remap)', () => {
  /**
   * Buffer 0 held by handle 0 (client 1) and handle 1 (client 2, kmapped), exported as dma-buf
   * fd 0 with its fd open, one user VMA and one gpu attachment: kref 3, handle_count 2, kmap_cnt 1,
   * file refs 3.
   */
  function shared(): Kernel {
    const k = bootWith('tiny', 'cma-direct-remap', [
      uncachedCma(4 * KiB),
      share,
      { op: 'import', client: 2, fd: 0 },
      { op: 'mmap', fd: 0 },
      { op: 'dma-map', fd: 0, device: 'gpu' },
      { op: 'kmap', client: 2, handle: 1 },
    ]);
    const b = k.ion.buffers.get(0)!;
    expect([b.ref, b.handleCount, b.kmapCnt, k.ion.dmabufs[0]!.fileRef]).toEqual([3, 2, 1, 3]);
    return k;
  }

  it('holds on what the model built', () => {
    expect(checkBoth(refcountsBalanced, shared())).toBeNull();
  });

  const corruptions: [string, (k: Kernel) => void, string][] = [
    [
      'a kref one too high',
      (k) => {
        k.ion.buffers.get(0)!.ref = 4;
      },
      'kref 4, but 2 handles + 1 dma-bufs imply 3',
    ],
    [
      'a handle_count one short',
      (k) => {
        k.ion.buffers.get(0)!.handleCount = 1;
      },
      'handle_count 1, 2 live handles',
    ],
    [
      'a buffer kmap_cnt above the kmapped handles',
      (k) => {
        k.ion.buffers.get(0)!.kmapCnt = 2;
      },
      'kmap_cnt 2, 1 kmapped handles',
    ],
    [
      'a dma-buf file ref lost',
      (k) => {
        k.ion.dmabufs[0]!.fileRef = 2;
      },
      'dma-buf fd 0 has 2 file refs, 3 implied',
    ],
    [
      'a live handle with ref 0',
      (k) => {
        k.ion.handles[1]!.ref = 0;
      },
      'handle 1 is live with ref 0',
    ],
    [
      'a negative handle kmap count',
      (k) => {
        k.ion.handles[1]!.kmapCnt = -1;
      },
      'handle 1 has ref 1, kmap -1',
    ],
    [
      'a dma-buf released while referenced',
      (k) => {
        k.ion.dmabufs[0]!.released = true;
      },
      'dma-buf fd 0 released=true with 3 refs',
    ],
  ];
  for (const [what, corrupt, why] of corruptions)
    it(`${what}: "${why}"`, () => {
      const k = shared();
      corrupt(k);
      expect(checkBoth(refcountsBalanced, k)).toEqual({
        invariant: 'refcounts-balanced',
        message: `buffer 0 (cma): ${why}`,
        pfns: [],
        mappings: [],
      });
    });

  it('the incremental form re-evaluates the buffers the op touched, and drops one that is fixed', () => {
    const k = shared();
    expect(refcountsBalanced.incremental(k)).toBeNull();
    k.apply({ op: 'kunmap', client: 2, handle: 1 });
    k.ion.buffers.get(0)!.ref = 7;
    expect(checkBoth(refcountsBalanced, k)?.message).toBe(
      'buffer 0 (cma): kref 7, but 2 handles + 1 dma-bufs imply 3',
    );
    k.ion.buffers.get(0)!.ref = 3;
    k.apply({ op: 'kmap', client: 2, handle: 1 });
    expect(checkBoth(refcountsBalanced, k)).toBeNull();
  });
});
