/**
 * The dma-buf core (ION412-1, DMABUF-CMA-1/2) under ion-4.12 and dmabuf-heap-cma, and the zoo
 * entries planted on them: B13 (begin_cpu_access ignores a failed kmap get) must fail
 * refcounts-balanced and B14 (the fault handler inserts pages[pagecount]) must fail
 * exclusive-ownership, on the same ops that their unbugged designs hold. Both checkers (incremental
 * and full scan) are asked on every step.
 */
import { describe, expect, it } from 'vitest';
import { builtinDesign } from '../../../../src/model/designs/index.ts';
import { Kernel } from '../../../../src/model/kernel.ts';
import type { Op } from '../../../../src/model/ops.ts';
import { Owner } from '../../../../src/model/pages.ts';
import { resolveProfile } from '../../../../src/model/profile.ts';
import { MemType } from '../../../../src/model/types.ts';
import { runOps } from '../../../../src/properties/run.ts';
import { INVARIANT_IDS } from '../../../../src/spec/index.ts';

const bootId = (id: string, profile = 'arm32-1g') => Kernel.boot(resolveProfile(profile), builtinDesign(id)!);

/** Violations of each invariant by step, from both checkers (they must agree). */
function verdicts(design: string, profile: string, ops: Op[]) {
  const out: Record<string, Map<string, number>> = {};
  for (const mode of ['incremental', 'full'] as const) {
    const r = runOps(resolveProfile(profile), builtinDesign(design)!, ops, {
      invariants: INVARIANT_IDS,
      mode,
    });
    out[mode] = new Map([...r.firstViolations].map(([inv, v]) => [inv, v.step]));
  }
  expect(out.incremental).toEqual(out.full);
  return {
    steps: out.incremental!,
    results: runOps(resolveProfile(profile), builtinDesign(design)!, ops, { invariants: [] }).steps,
  };
}

/** Fill the vmalloc window with another driver's vmaps, largest first, until nothing fits. */
function fillWindow(k: Kernel): Op[] {
  const ops: Op[] = [];
  for (let pages = 256; pages >= 1; pages >>= 1) {
    for (;;) {
      const op: Op = { op: 'driver-vmap', pages };
      if (!k.apply(op).ok) break;
      ops.push(op);
    }
  }
  return ops;
}

describe('ion-4.12: the 4.12 core (ION412-1)', () => {
  it('ALLOC returns an fd slot; the buffer lives until the last fd, mmap and attachment go', () => {
    const k = bootId('ion-4.12');
    const a = k.apply({ op: 'alloc', client: 0, heap: 'cma', len: 8192 });
    expect(a).toMatchObject({ ok: true, value: 0 });
    expect(a.callPath).toContain('dmaBufExport');
    expect(k.apply({ op: 'share', client: 0, handle: 0 })).toMatchObject({ ok: true, value: 0 });
    expect(k.apply({ op: 'dma-map', fd: 0, device: 'isp' }).callPath).toEqual(
      expect.arrayContaining(['dmaBufAttach', 'dupSgTable', 'dmaMapSg']),
    );
    expect(k.apply({ op: 'mmap', fd: 0 })).toMatchObject({ ok: true, value: 0 });
    const buf = [...k.ion.buffers.values()][0]!;
    // the attachment's table is a copy of the buffer's pages, not the buffer's table itself
    const att = k.ion.attachments[0]!;
    expect([...att.sg]).toEqual([...buf.pages]);
    expect(att.sg).not.toBe(buf.sgTable);
    for (const op of [
      { op: 'free', client: 0, handle: 0 },
      { op: 'close', fd: 0 },
      { op: 'munmap', vma: 0 },
    ] as Op[]) {
      expect(k.apply(op).ok).toBe(true);
      expect(k.ion.buffers.size).toBe(1);
    }
    expect(k.apply({ op: 'dma-unmap', fd: 0, device: 'isp' }).ok).toBe(true);
    expect(k.ion.buffers.size).toBe(0);
    expect(k.mm.pages.ownerKind[buf.pages[0]!]).toBe(Owner.CMA_FREE);
  });

  it('import is a new fd per receipt (no per-client dedupe as ION-12), closed one by one', () => {
    const k = bootId('ion-4.12');
    k.apply({ op: 'alloc', client: 0, heap: 'system', len: 4096 });
    k.apply({ op: 'share', client: 0, handle: 0 });
    expect(k.apply({ op: 'import', client: 1, fd: 0 })).toMatchObject({ ok: true, value: 1 });
    expect(k.apply({ op: 'import', client: 1, fd: 0 })).toMatchObject({ ok: true, value: 2 });
    const buf = [...k.ion.buffers.values()][0]!;
    expect(buf.ref).toBe(4); // three fd slots + the dup'd fd
    expect(k.apply({ op: 'client-exit', client: 1 }).ok).toBe(true);
    expect(buf.ref).toBe(2);
  });

  it('no align in the 4.12 ABI; cached buffers get no page array (no page faulting)', () => {
    const k = bootId('ion-4.12');
    const before = k.mm.vmalloc.snapshot();
    expect(
      k.apply({ op: 'alloc', client: 0, heap: 'system', len: 65536, align: 65536, cached: true }).ok,
    ).toBe(true);
    expect([...k.ion.buffers.values()][0]!.faultMapped).toBe(false);
    expect(k.mm.vmalloc.snapshot()).toEqual(before);
  });

  it('kmap is begin_cpu_access (kmap get, sync attachments); kunmap only ends what was begun', () => {
    const k = bootId('ion-4.12');
    k.apply({ op: 'alloc', client: 0, heap: 'cma', len: 4096 });
    k.apply({ op: 'share', client: 0, handle: 0 });
    k.apply({ op: 'dma-map', fd: 0, device: 'gpu' });
    expect(k.apply({ op: 'kunmap', client: 0, handle: 0 })).toMatchObject({ ok: false, errno: 22 });
    const begin = k.apply({ op: 'kmap', client: 0, handle: 0 });
    expect(begin.callPath).toEqual(
      expect.arrayContaining(['dmaBufBeginCpuAccess', 'ionHeapMapKernel', 'dmaSyncSgForCpu']),
    );
    const buf = [...k.ion.buffers.values()][0]!;
    expect(buf.kmapCnt).toBe(1);
    expect(buf.kmapMapping?.type).toBe(MemType.NC);
    expect(k.apply({ op: 'kunmap', client: 0, handle: 0 }).callPath).toContain('dmaSyncSgForDevice');
    expect(buf.kmapCnt).toBe(0);
  });

  it('the system heap keeps cached and uncached pools apart (HEAP-SYS-2)', () => {
    const k = bootId('ion-4.12');
    const ctx = { mm: k.mm, dma: k.dma };
    const heap = k.ion.heap('system')!;
    k.apply({ op: 'alloc', client: 0, heap: 'system', len: 4096, cached: true });
    const p = [...k.ion.buffers.values()][0]!.pages[0]!;
    k.apply({ op: 'free', client: 0, handle: 0 });
    // the deferred-free thread: zeroed (WB, cached) and into the cached pool (ION-6, ION-15)
    const drain = k.ion.ionHeapFreelistDrain(ctx, heap, 0, false);
    expect(drain).toBe(4096);
    expect(heap.shrinkCount()).toBe(1);
    k.apply({ op: 'alloc', client: 0, heap: 'system', len: 4096 });
    expect([...k.ion.buffers.values()][0]!.pages[0]).not.toBe(p);
    expect(heap.shrinkCount()).toBe(1);
    k.apply({ op: 'alloc', client: 0, heap: 'system', len: 4096, cached: true });
    expect([...k.ion.buffers.values()].find((b) => b.cached)!.pages[0]).toBe(p);
    expect(heap.shrinkCount()).toBe(0);
  });
});

describe('dmabuf-heap-cma (DMABUF-CMA-1/2)', () => {
  it('every CPU mapping is WB: vmap on kmap, user pages on fault; only the CMA heap exists', () => {
    const k = bootId('dmabuf-heap-cma', 'arm32-1g-cma512');
    expect(k.apply({ op: 'alloc', client: 0, heap: 'system', len: 4096 })).toMatchObject({
      ok: false,
      errno: 19,
    });
    const a = k.apply({ op: 'alloc', client: 0, heap: 'cma', len: 3 * 4096 });
    expect(a.callPath).toEqual(
      expect.arrayContaining(['dmaHeapIoctlAllocate', 'cmaHeapAllocate', 'cmaAlloc']),
    );
    k.apply({ op: 'share', client: 0, handle: 0 });
    expect(k.apply({ op: 'kmap', client: 0, handle: 0 }).callPath).toContain('cmaHeapVmap');
    expect(k.apply({ op: 'mmap', fd: 0, pgoff: 1 })).toMatchObject({ ok: true });
    const buf = [...k.ion.buffers.values()][0]!;
    expect(buf.kmapMapping?.type).toBe(MemType.WB);
    expect(k.ion.vmas[0]!.mapping?.type).toBe(MemType.WB);
    expect([...k.ion.vmas[0]!.mapping!.pages]).toEqual([...buf.pages.slice(1)]);
    // the fixed kernel: a VMA reaching past the buffer is refused (VM_DONTEXPAND)
    expect(k.apply({ op: 'mmap', fd: 0, pgoff: 2, pages: 2 })).toMatchObject({ ok: false, errno: 22 });
  });

  it("closing the last fd ends the driver's vmap first [A], then releases the pages to CMA", () => {
    const k = bootId('dmabuf-heap-cma');
    k.apply({ op: 'alloc', client: 0, heap: 'cma', len: 4096 });
    k.apply({ op: 'kmap', client: 0, handle: 0 });
    const buf = [...k.ion.buffers.values()][0]!;
    const r = k.apply({ op: 'client-exit', client: 0 });
    expect(r.callPath).toEqual(
      expect.arrayContaining(['exitFiles', 'fput', 'cmaHeapVunmap', 'cmaHeapRelease']),
    );
    expect(k.ion.buffers.size).toBe(0);
    expect(k.mm.pages.ownerKind[buf.pages[0]!]).toBe(Owner.CMA_FREE);
  });
});

describe('B13 on ion-4.12: begin_cpu_access ignores a failed kmap get', () => {
  const profile = 'tiny,heaps=cma';
  const prefix = (): Op[] => {
    const k = bootId('ion-4.12', profile);
    const alloc: Op = { op: 'alloc', client: 0, heap: 'cma', len: 4096 };
    k.apply(alloc);
    return [alloc, ...fillWindow(k)];
  };

  it('zoo/b13 fails refcounts-balanced at the begin whose kmap failed; ion-4.12 returns the error', () => {
    const pre = prefix();
    const ops: Op[] = [...pre, { op: 'kmap', client: 0, handle: 0 }, { op: 'kunmap', client: 0, handle: 0 }];
    const bug = verdicts('zoo/b13-begin-ignores-kmap-error', profile, ops);
    expect(bug.steps.get('refcounts-balanced')).toBe(pre.length);
    expect(bug.results[pre.length]!.result.ok).toBe(true);
    const fixed = verdicts('ion-4.12', profile, ops);
    // ion_heap_map_kernel() found no window for its page array: ION-14's NULL, -EINVAL (ION-8)
    expect(fixed.results[pre.length]!.result).toMatchObject({ ok: false, errno: 22 });
    expect([...fixed.steps.keys()]).toEqual([]);
  });

  it('after the unbalanced end, kmap_cnt is negative (the later begin maps nothing)', () => {
    const k = Kernel.boot(resolveProfile(profile), builtinDesign('zoo/b13-begin-ignores-kmap-error')!);
    k.apply({ op: 'alloc', client: 0, heap: 'cma', len: 4096 });
    fillWindow(k);
    k.apply({ op: 'kmap', client: 0, handle: 0 });
    k.apply({ op: 'kunmap', client: 0, handle: 0 });
    expect([...k.ion.buffers.values()][0]!.kmapCnt).toBe(-1);
  });

  it('on the same ops without a full window both designs hold every invariant', () => {
    const ops: Op[] = [
      { op: 'alloc', client: 0, heap: 'cma', len: 4096 },
      { op: 'kmap', client: 0, handle: 0 },
      { op: 'kunmap', client: 0, handle: 0 },
      { op: 'free', client: 0, handle: 0 },
    ];
    for (const d of ['zoo/b13-begin-ignores-kmap-error', 'ion-4.12'])
      expect(
        [...verdicts(d, 'tiny,heaps=cma', ops).steps.keys()].filter((i) => i !== 'no-conflicting-alias'),
      ).toEqual([]);
  });
});

describe('B14 on dmabuf-heap-cma: the fault handler inserts pages[pagecount]', () => {
  const ops: Op[] = [
    { op: 'alloc', client: 0, heap: 'cma', len: 4096 },
    { op: 'share', client: 0, handle: 0 },
    { op: 'mmap', fd: 0, pgoff: 0, pages: 2 },
    { op: 'write', vma: 0 },
  ];

  for (const profile of ['tiny', 'arm32-1g', 'arm32-1g-cma512'])
    it(`${profile}: zoo/b14 fails exclusive-ownership at the mmap; dmabuf-heap-cma holds every invariant`, () => {
      const bug = verdicts('zoo/b14-fault-past-end', profile, ops);
      expect(bug.steps.get('exclusive-ownership')).toBe(2);
      // the page past the array is a free CMA page now mapped by the process: a use after free too
      expect(bug.steps.get('freed-completely')).toBe(2);
      const fixed = verdicts('dmabuf-heap-cma', profile, ops);
      expect(fixed.results[2]!.result).toMatchObject({ ok: false, errno: 22 });
      expect([...fixed.steps.keys()]).toEqual([]);
    });

  it('a fault two pages past the end is SIGBUS even with the bug: only pages[pagecount] leaks', () => {
    const k = Kernel.boot(resolveProfile('tiny'), builtinDesign('zoo/b14-fault-past-end')!);
    k.apply({ op: 'alloc', client: 0, heap: 'cma', len: 8192 });
    k.apply({ op: 'share', client: 0, handle: 0 });
    expect(k.apply({ op: 'mmap', fd: 0, pgoff: 1, pages: 4 }).ok).toBe(true);
    const buf = [...k.ion.buffers.values()][0]!;
    expect([...k.ion.vmas[0]!.mapping!.pages]).toEqual([buf.pages[1]!, buf.pages[1]! + 1]);
  });
});
