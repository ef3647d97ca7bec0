/** exclusive-ownership catches foreign pages in sg tables (B9) and VMAs (B14), double claims. */
import { describe, expect, it } from 'vitest';
import type { Kernel } from '../../../src/model/kernel.ts';
import type { Op } from '../../../src/model/ops.ts';
import { Owner } from '../../../src/model/pages.ts';
import { exclusiveOwnership } from '../../../src/spec/exclusive-ownership.ts';
import { bootWith, checkBoth, KiB, uncachedCma, verdict } from '../../helpers/kernel.ts';

const share = (handle = 0): Op => ({ op: 'share', client: 1, handle });
const dmaMap: Op = { op: 'dma-map', fd: 0, device: 'gpu' };

describe('exclusive-ownership on op sequences', () => {
  it('violated on legacy-3.18 (arm32-1g) at the dma-map: the sg table comes from virt_to_page of a vmalloc address (B9)', () => {
    const v = verdict('arm32-1g', 'legacy-3.18', [uncachedCma(), share(), dmaMap], 'exclusive-ownership');
    expect(v?.step).toBe(2);
    expect(v?.message).toMatch(/sg table of buffer 0 pointing at pfn 0xB0041/);
  });
  it('holds on no-kernel-mapping (arm32-1g): the sg table is the buffer pages', () => {
    expect(
      verdict('arm32-1g', 'no-kernel-mapping', [uncachedCma(), share(), dmaMap], 'exclusive-ownership'),
    ).toBeNull();
  });

  it('on tiny, B9 points outside RAM; the violation ends with the detach', () => {
    const ops: Op[] = [uncachedCma(64 * KiB), share(), dmaMap];
    expect(verdict('tiny', 'legacy-3.18', ops, 'exclusive-ownership')).toEqual({
      step: 2,
      message:
        'device gpu got an sg table of buffer 0 pointing at pfn 0x81005, owned by nobody: it is outside RAM',
      pfns: [0x81005],
    });
    const k = bootWith('tiny', 'legacy-3.18', ops);
    expect(checkBoth(exclusiveOwnership, k)).not.toBeNull();
    k.apply({ op: 'dma-unmap', fd: 0, device: 'gpu' });
    expect(checkBoth(exclusiveOwnership, k)).toBeNull();
  });

  it('a VMA one page past a one-page buffer (zoo/b14 on dmabuf-heap-cma, tiny); the base holds', () => {
    const ops: Op[] = [uncachedCma(4 * KiB), share(), { op: 'mmap', fd: 0, pgoff: 0, pages: 2 }];
    expect(verdict('tiny', 'zoo/b14-fault-past-end', ops, 'exclusive-ownership')).toEqual({
      step: 2,
      message: 'user VMA 0 of buffer 0 maps pfn 0x80C05, owned by cma-free',
      pfns: [0x80c05],
    });
    expect(verdict('tiny', 'dmabuf-heap-cma', ops, 'exclusive-ownership')).toBeNull();
  });

  it('mmap of pages + 1 (zoo/m13, tiny); cma-direct-remap holds', () => {
    const ops: Op[] = [uncachedCma(16 * KiB), share(), { op: 'mmap', fd: 0 }];
    expect(verdict('tiny', 'zoo/m13-mmap-one-past-end', ops, 'exclusive-ownership')?.message).toBe(
      'user VMA 0 of buffer 0 maps pfn 0x80C08, owned by cma-free',
    );
    expect(verdict('tiny', 'cma-direct-remap', ops, 'exclusive-ownership')).toBeNull();
  });
});

describe('exclusive-ownership on hand-corrupted kernels (tiny, cma-direct-remap)', () => {
  const LOW = 100;
  /** Buffer 0 (64 KiB CMA from pfn 0x80C10) shared, dma-mapped by the gpu, mmapped; buffer 1 (16 KiB) after it. */
  function shared(): Kernel {
    return bootWith('tiny', 'cma-direct-remap', [
      uncachedCma(64 * KiB),
      uncachedCma(16 * KiB),
      share(),
      dmaMap,
      { op: 'mmap', fd: 0 },
    ]);
  }

  it('holds on what the model built', () => {
    expect(checkBoth(exclusiveOwnership, shared())).toBeNull();
  });

  it('a page claimed by a second live owner: its claim count and last owner', () => {
    const k = shared();
    const p = k.ion.buffers.get(0)!.pages[2]!;
    k.mm.pages.claim(p, 1, Owner.DRIVER, 3);
    const v = checkBoth(exclusiveOwnership, k);
    expect(v?.message).toBe('pfn 0x80C12 is claimed by 2 live owners (last: driver 3)');
    expect(v?.pfns).toEqual([0x80c12]);
    expect(v?.mappings.map((m) => m.owner)).toContain('user VMA of buffer 0');
  });

  it("an importer's sg table with a page the buffer does not own", () => {
    const k = shared();
    const a = k.ion.attachments[0]!;
    const sg = a.sg.slice();
    sg[5] = LOW;
    (a as { sg: Int32Array }).sg = sg;
    const v = checkBoth(exclusiveOwnership, k);
    expect(v?.message).toBe('device gpu got an sg table of buffer 0 pointing at pfn 0x80064, owned by free');
    expect(v?.pfns).toEqual([0x80064]);
  });

  it("a user VMA mapping another buffer's page", () => {
    const k = shared();
    const other = k.ion.buffers.get(1)!.pages[0]!;
    (k.ion.vmas[0]!.mapping!.pages as Int32Array)[0] = other;
    const v = checkBoth(exclusiveOwnership, k);
    expect(v?.message).toBe(
      `user VMA 0 of buffer 0 maps pfn 0x${(0x80000 + other).toString(16).toUpperCase()}, owned by buffer 1`,
    );
  });

  it('a second claim wins over a bad sg table: claims are reported first', () => {
    const k = shared();
    const a = k.ion.attachments[0]!;
    (a as { sg: Int32Array }).sg = Int32Array.of(LOW);
    k.mm.pages.claim(LOW + 1, 1, Owner.KERNEL, 0);
    k.mm.pages.claim(LOW + 1, 1, Owner.KERNEL, 0);
    expect(checkBoth(exclusiveOwnership, k)?.message).toBe(
      'pfn 0x80065 is claimed by 2 live owners (last: kernel)',
    );
  });
});
