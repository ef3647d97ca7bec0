/** The per-kernel index of ION's objects: the same objects, in the same order, as a walk of ION's arrays. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_DESIGNS } from '../../../src/model/designs/index.ts';
import { Kernel } from '../../../src/model/kernel.ts';
import { resolveProfile } from '../../../src/model/profile.ts';
import { ionIndex } from '../../../src/spec/ion-index.ts';
import { bootWith, KiB, uncachedCma } from '../../helpers/kernel.ts';
import { opsArb } from '../../helpers/random-ops.ts';

/** The index's answers against filters over ION's arrays, for every buffer and dma-buf there is. */
function agrees(k: Kernel): number {
  const ion = k.ion;
  const idx = ionIndex(k);
  const buffers = new Set([
    ...ion.buffers.values(),
    ...ion.freeList,
    ...ion.handles.flatMap((h) => (h ? [h.buffer] : [])),
    ...ion.dmabufs.map((d) => d.buffer),
  ]);
  let objects = 0;
  for (const b of buffers) {
    const handles = ion.handles.filter((h) => h?.buffer === b);
    expect(idx.handlesOf(b)).toEqual(handles);
    expect(idx.handlesOf(b).every((h, i) => h === handles[i])).toBe(true);
    const dmabufs = ion.dmabufs.filter((d) => d.buffer === b);
    expect(idx.dmabufsOf(b).every((d, i) => d === dmabufs[i])).toBe(true);
    expect(idx.dmabufsOf(b).length).toBe(dmabufs.length);
    objects += handles.length + dmabufs.length;
  }
  for (const d of ion.dmabufs) {
    const vmas = ion.vmas.filter((v) => v.dmabuf === d);
    const atts = ion.attachments.filter((a) => a.dmabuf === d);
    expect(idx.vmasOf(d).length).toBe(vmas.length);
    expect(idx.vmasOf(d).every((v, i) => v === vmas[i])).toBe(true);
    expect(idx.attachmentsOf(d).length).toBe(atts.length);
    expect(idx.attachmentsOf(d).every((a, i) => a === atts[i])).toBe(true);
    objects += vmas.length + atts.length;
  }
  for (const [i, a] of ion.attachments.entries()) expect(idx.indexOf(a)).toBe(i);
  return objects;
}

describe('ionIndex', () => {
  it('finds the handle, dma-buf, VMA and attachment of a shared, mapped, imported buffer', () => {
    const k = bootWith('tiny', 'cma-direct', [
      uncachedCma(64 * KiB),
      { op: 'share', client: 1, handle: 0 },
      { op: 'mmap', fd: 0 },
      { op: 'dma-map', fd: 0, device: 'gpu' },
    ]);
    const b = k.ion.buffers.get(0)!;
    const idx = ionIndex(k);
    expect(idx.handlesOf(b)).toEqual([k.ion.handles[0]]);
    const [d] = idx.dmabufsOf(b);
    expect(d).toBe(k.ion.dmabufs[0]);
    expect(idx.vmasOf(d!)).toEqual([k.ion.vmas[0]]);
    expect(idx.attachmentsOf(d!)).toEqual([k.ion.attachments[0]]);
    expect(idx.indexOf(k.ion.attachments[0]!)).toBe(0);
  });

  it('knows nothing of objects it never saw (another buffer, a foreign attachment)', () => {
    const k = bootWith('tiny', 'cma-direct', [uncachedCma(64 * KiB)]);
    const other = bootWith('tiny', 'cma-direct', [
      uncachedCma(64 * KiB),
      { op: 'share', client: 1, handle: 0 },
    ]);
    const idx = ionIndex(k);
    expect(idx.handlesOf(other.ion.buffers.get(0)!)).toEqual([]);
    expect(idx.dmabufsOf(k.ion.buffers.get(0)!)).toEqual([]);
    expect(idx.vmasOf(other.ion.dmabufs[0]!)).toEqual([]);
  });

  it("a clone's index holds the clone's objects, not its source's", () => {
    const k = bootWith('tiny', 'cma-direct', [uncachedCma(64 * KiB), { op: 'share', client: 1, handle: 0 }]);
    ionIndex(k);
    const c = k.clone();
    c.apply({ op: 'mmap', fd: 0 });
    const idx = ionIndex(c);
    const b = c.ion.buffers.get(0)!;
    expect(idx.handlesOf(b)[0]).toBe(c.ion.handles[0]);
    expect(idx.vmasOf(c.ion.dmabufs[0]!)).toEqual([c.ion.vmas[0]]);
    expect(ionIndex(k).vmasOf(k.ion.dmabufs[0]!)).toEqual([]);
  });

  // kept up to date from the arrays' tails op after op, it must equal a walk of the arrays
  for (const design of BUILTIN_DESIGNS) {
    it(`${design.id}: agrees with a walk of ION's arrays after every op of 20 random runs (seed 5)`, () => {
      const booted = Kernel.boot(resolveProfile('tiny'), design);
      let objects = 0;
      fc.assert(
        fc.property(opsArb('tiny', 60, 80), (ops) => {
          const k = booted.clone();
          for (const op of ops) {
            k.apply(op);
            objects += agrees(k);
          }
        }),
        { seed: 5, numRuns: 20 },
      );
      expect(objects).toBeGreaterThan(0);
    });
  }
});
