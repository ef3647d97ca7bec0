/**
 * The 4.12 system heap (src/model/ion/heaps/system-4.12.ts, HEAP-SYS-2): chunks as 3.18, but every
 * buffer draws on page pools, one set for uncached and one for cached buffers; no align argument;
 * free zeroes with the buffer's prot (ION-15) and pools by kind; the shrinker frees both sets.
 * Run through ion-4.12 (its dma-buf core: `free` closes the allocation's fd slot).
 */
import { describe, expect, it } from 'vitest';
import { System412Heap } from '../../../../../src/model/ion/heaps/system-4.12.ts';
import { MemType } from '../../../../../src/model/types.ts';
import { alloc, boot, KiB, MiB } from '../../../../helpers/kernel.ts';

const sys = (len: number, o: { cached?: boolean; align?: number } = {}) =>
  alloc(len, { heap: 'system', ...o });
const drain = (k: ReturnType<typeof boot>) =>
  k.ion.ionHeapFreelistDrain({ mm: k.mm, dma: k.dma }, null, 0, false);
const heapOf = (k: ReturnType<typeof boot>) => k.ion.heap('system') as System412Heap;

describe('System412Heap (HEAP-SYS-2)', () => {
  it('is the heap ion-4.12 declares for system; DEFER_FREE, not contiguous', () => {
    const h = heapOf(boot('tiny', 'ion-4.12'));
    expect(h).toBeInstanceOf(System412Heap);
    expect([h.deferFree, h.contiguous]).toEqual([true, false]);
  });

  it('takes no align argument: 64 KiB alignment is not refused (3.18: -EINVAL)', () => {
    expect(boot('tiny', 'ion-4.12').apply(sys(4 * KiB, { align: 64 * KiB })).ok).toBe(true);
    expect(boot('tiny', 'cma-direct').apply(sys(4 * KiB, { align: 64 * KiB }))).toMatchObject({
      ok: false,
      errno: 22,
    });
  });

  it('more than half of RAM is -ENOMEM; chunks of order 8, 4, 0', () => {
    const k = boot('arm32-1g', 'ion-4.12');
    expect(k.apply(sys(512 * MiB + 4 * KiB))).toMatchObject({ ok: false, errno: 12 });
    k.apply(sys(MiB + 64 * KiB + 4 * KiB));
    const b = [...k.ion.buffers.values()][0]!;
    expect((b.priv as { order: number }[]).map((c) => c.order)).toEqual([8, 4, 0]);
  });

  it('cached buffers are pooled too, in their own pools: an uncached buffer does not get cached pages', () => {
    const k = boot('tiny', 'ion-4.12');
    k.apply(sys(64 * KiB, { cached: true }));
    const cachedPages = [...[...k.ion.buffers.values()][0]!.pages];
    k.apply({ op: 'free', client: 1, handle: 0 });
    drain(k);
    expect(heapOf(k).shrinkCount()).toBe(16);
    k.apply(sys(64 * KiB));
    const uncached = [...k.ion.buffers.values()].at(-1)!;
    expect([...uncached.pages].some((p) => cachedPages.includes(p))).toBe(false);
    expect(heapOf(k).shrinkCount()).toBe(16);
    k.apply(sys(64 * KiB, { cached: true }));
    expect([...[...k.ion.buffers.values()].at(-1)!.pages]).toEqual(cachedPages);
    expect(heapOf(k).shrinkCount()).toBe(0);
  });

  it('free zeroes with the buffer prot (WB cached, NC uncached) through vm_map_ram', () => {
    for (const [cached, type] of [
      [true, MemType.WB],
      [false, MemType.NC],
    ] as const) {
      const k = boot('tiny', 'ion-4.12');
      k.apply(sys(8 * KiB, { cached }));
      k.apply({ op: 'free', client: 1, handle: 0 });
      k.mm.mmu.clearCreations();
      drain(k);
      expect(k.mm.mmu.creations.filter((c) => c.kind === 'vm-ram').map((c) => c.type)).toEqual([type]);
    }
  });

  it('shrink frees both pool sets to the buddy allocator', () => {
    const k = boot('tiny', 'ion-4.12');
    const free = k.mm.normal.freePagesCount + k.mm.highmem!.freePagesCount;
    k.apply(sys(64 * KiB, { cached: true }));
    k.apply(sys(16 * KiB));
    k.apply({ op: 'free', client: 1, handle: 0 });
    k.apply({ op: 'free', client: 1, handle: 1 });
    drain(k);
    expect(heapOf(k).shrinkCount()).toBe(20);
    expect(k.apply({ op: 'shrink' })).toMatchObject({ ok: true, value: 20 });
    expect(heapOf(k).shrinkCount()).toBe(0);
    expect(k.mm.normal.freePagesCount + k.mm.highmem!.freePagesCount).toBe(free);
  });

  it('a clone copies both pool sets', () => {
    const k = boot('tiny', 'ion-4.12');
    k.apply(sys(64 * KiB, { cached: true }));
    k.apply({ op: 'free', client: 1, handle: 0 });
    drain(k);
    const c = heapOf(k).clone();
    c.shrink({ mm: k.mm.clone(), dma: k.dma });
    expect(c.shrinkCount()).toBe(0);
    expect(heapOf(k).shrinkCount()).toBe(16);
  });
});
