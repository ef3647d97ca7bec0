/**
 * What a design is (src/model/designs/design.ts): defineDesign validates a description and refuses
 * a bad one with one line naming the field; checkHeaps refuses what is not a set of ION heaps;
 * standardHeaps are 3.18's non-CMA heaps with the Android heap ids; the DMA layer is 3.18's or
 * 4.1's.
 */

import { describe, expect, it } from 'vitest';
import { DesignError } from '../../../../src/errors.ts';
import {
  carveoutPages,
  checkHeaps,
  type Design,
  defineDesign,
  HEAP_ID,
  makeDmaLayer,
  standardHeaps,
} from '../../../../src/model/designs/design.ts';
import { ArmDma41 } from '../../../../src/model/dma/arm-4.1.ts';
import { CarveoutHeap } from '../../../../src/model/ion/heaps/carveout.ts';
import { KEEP_LINEAR } from '../../../../src/model/ion/heaps/linear-policy.ts';
import { SystemContigHeap, SystemHeap } from '../../../../src/model/ion/heaps/system.ts';
import { MemType } from '../../../../src/model/types.ts';
import { boot } from '../../../helpers/kernel.ts';

const good = {
  id: 'my-design',
  summary: 'a design',
  citations: ['DMA318-6'],
  dmaLayer: '4.1',
  heaps: () => [],
};

describe('defineDesign', () => {
  it('fills in the default ION core (no B10) and keeps only what it knows', () => {
    const d = defineDesign({ ...good, verdictNotes: '', extra: 1 } as unknown);
    expect(d.ionCore).toEqual({ leakOnPageArrayFailure: false, freeDropsLock: false });
    expect(d).not.toHaveProperty('verdictNotes'); // empty notes are dropped
    expect(d).not.toHaveProperty('extra');
    expect(d).not.toHaveProperty('zoo');
    expect(d).not.toHaveProperty('cmaMaskShiftsOrder');
  });

  it('keeps the zoo switches that are set and valid, reads B3 and B13 under their old names', () => {
    const d = defineDesign({
      ...good,
      ionCore: {
        leakOnPageArrayFailure: true,
        freeRaceB3: true,
        kmapPutUnguarded: true,
        closeDoublePut: false,
        handleKrefBits: 2,
        core: 'ion-4.12',
        beginIgnoresKmapErrorB13: true,
        somethingElse: true,
      },
      zoo: { bug: 'B3', profile: 'tiny', invariants: ['refcounts-balanced'] },
      cmaMaskShiftsOrder: true,
    } as unknown);
    expect(d.ionCore).toEqual({
      leakOnPageArrayFailure: true,
      freeDropsLock: true,
      kmapPutUnguarded: true,
      handleKrefBits: 2,
      core: 'ion-4.12',
      beginIgnoresKmapError: true,
    });
    expect(d.zoo).toEqual({ bug: 'B3', profile: 'tiny', invariants: ['refcounts-balanced'] });
    expect(d.cmaMaskShiftsOrder).toBe(true);
  });

  it('drops a kref width outside 1..32', () => {
    for (const bits of [0, 33, 2.5, '2'])
      expect(
        defineDesign({ ...good, ionCore: { leakOnPageArrayFailure: false, handleKrefBits: bits } } as unknown)
          .ionCore,
      ).not.toHaveProperty('handleKrefBits');
  });

  it.each([
    [null, 'design: not an object'],
    [{ ...good, id: 'Bad Id' }, /^design: id must match/],
    [{ ...good, summary: '' }, "design 'my-design': summary must be a non-empty string"],
    [{ ...good, citations: [1] }, "design 'my-design': citations must be an array of strings"],
    [{ ...good, dmaLayer: '5.10' }, "design 'my-design': dmaLayer must be '3.18' or '4.1'"],
    [{ ...good, verdictNotes: 3 }, "design 'my-design': verdictNotes must be a string"],
    [{ ...good, heaps: [] }, "design 'my-design': heaps must be a function returning heaps"],
    [
      { ...good, ionCore: { leakOnPageArrayFailure: 'yes' } },
      /ionCore\.leakOnPageArrayFailure must be a boolean/,
    ],
    [
      { ...good, ionCore: { leakOnPageArrayFailure: false, core: '4.9' } },
      /ionCore\.core must be one of 3\.18, ion-4\.12, dma-heap/,
    ],
    [
      { ...good, zoo: { bug: 'B1', profile: 'tiny' } },
      /zoo must be \{ bug, profile, invariants: string\[\] \}/,
    ],
  ])('refuses %j with one line', (spec, why) => {
    expect(() => defineDesign(spec as unknown)).toThrow(DesignError);
    expect(() => defineDesign(spec as unknown)).toThrow(why);
  });
});

describe('checkHeaps', () => {
  const d = defineDesign(good);
  const heaps = standardHeaps({ mm: boot('tiny').mm, carveout: null }, KEEP_LINEAR);

  it('passes real heaps through', () => {
    expect(checkHeaps(d, heaps)).toBe(heaps);
  });

  it('refuses a non-array, something that is not a heap, and two heaps of one name', () => {
    expect(() => checkHeaps(d, 'heaps')).toThrow("design 'my-design': heaps() did not return an array");
    expect(() => checkHeaps(d, [{ name: 'cma', id: 4 }])).toThrow(
      "design 'my-design': heaps() returned something that is not an ION heap",
    );
    // every operation but one
    const ops = [
      'allocate',
      'free',
      'mapDma',
      'mapKernel',
      'unmapKernel',
      'mapUser',
      'shrinkCount',
      'clone',
      'area',
      'alignPages',
    ];
    const almost = { name: 'cma', id: 4, ...Object.fromEntries(ops.map((f) => [f, () => 0])) };
    expect(() => checkHeaps(d, [{ ...almost, shrink: () => 0 }])).not.toThrow();
    expect(() => checkHeaps(d, [{ ...almost, shrink: 1 }])).toThrow(/not an ION heap/);
    expect(() => checkHeaps(d, [heaps[0], heaps[0]])).toThrow("design 'my-design': two heaps named 'system'");
  });
});

describe('the building blocks', () => {
  it('HEAP_ID: the Android heap type numbers; allocation visits cma (4) first (ION-1)', () => {
    expect(HEAP_ID).toEqual({ system: 0, 'system-contig': 1, carveout: 2, cma: 4 });
  });

  it("standardHeaps: 3.18's system, system-contig and carveout heaps with the ids above", () => {
    const k = boot('tiny');
    const hs = standardHeaps({ mm: k.mm, carveout: carveoutPages(k.mm) }, KEEP_LINEAR);
    expect(hs.map((h) => [h.name, h.id])).toEqual([
      ['system', 0],
      ['system-contig', 1],
      ['carveout', 2],
    ]);
    expect(hs[0]).toBeInstanceOf(SystemHeap);
    expect(hs[1]).toBeInstanceOf(SystemContigHeap);
    expect(hs[2]).toBeInstanceOf(CarveoutHeap);
  });

  it('carveoutPages: the profile carveout in page indices (16 MiB at 0x88000000 on arm32-1g), or null', () => {
    expect(carveoutPages(boot('arm32-1g').mm)).toEqual({ start: 0x8000, pageCount: 4096 });
    expect(carveoutPages(boot('arm32-1g,carveout=0').mm)).toBeNull();
  });

  it("makeDmaLayer: '4.1' gives the 4.1 layer, '3.18' the 3.18 one, with the profile's bufferable flag (DMA318-1)", () => {
    const d = (dmaLayer: '3.18' | '4.1') => ({ ...defineDesign(good), dmaLayer }) as Design;
    expect(makeDmaLayer(d('4.1'), true)).toBeInstanceOf(ArmDma41);
    expect(makeDmaLayer(d('3.18'), true).version).toBe('3.18');
    expect(makeDmaLayer(d('3.18'), false).getDmaPgprot({})).toBe(MemType.SO); // ARMv6 without BUFFERABLE
    expect(makeDmaLayer(d('3.18'), true).getDmaPgprot({})).toBe(MemType.NC);
  });
});
