/**
 * The zoo entries of the two later stacks (src/model/designs/zoo/b13-b14.ts): B13 planted on
 * ion-4.12 (begin_cpu_access ignores a failed kmap get, end_cpu_access puts anyway: ION412-1) and
 * B14 on dmabuf-heap-cma (the fault handler inserts pages[pagecount], DMABUF-CMA-1/3). Each breaks
 * its invariant on a short sequence its base design holds. (Cases moved from
 * test/unit/zoo/zoo-designs.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { dmabufHeapCma } from '../../../../../src/model/designs/dmabuf-heap-cma.ts';
import { ion412 } from '../../../../../src/model/designs/ion-4.12.ts';
import { STACK_ZOO } from '../../../../../src/model/designs/zoo/b13-b14.ts';
import type { Op } from '../../../../../src/model/ops.ts';
import { Owner } from '../../../../../src/model/pages.ts';
import { alloc, boot, KiB } from '../../../../helpers/kernel.ts';
import { caseKey, expectPlantedBug } from '../../../../helpers/zoo.ts';

const CASES: Record<string, Op[]> = {
  // a 2 MiB kernel mapping cannot fit tiny's 2 MiB window: the begin's kmap get fails
  'b13-begin-ignores-kmap-error': [
    { op: 'alloc', client: 1, heap: 'cma', len: 2048 * KiB, cached: true },
    { op: 'kmap', client: 1, handle: 0 },
  ],
  'b14-fault-past-end': [
    alloc(4 * KiB),
    { op: 'share', client: 1, handle: 0 },
    { op: 'mmap', fd: 0, pgoff: 0, pages: 2 },
  ],
};

const BASES: Record<string, string> = {
  'b13-begin-ignores-kmap-error': 'ion-4.12',
  'b14-fault-past-end': 'dmabuf-heap-cma',
};

describe('b13-b14.ts: B13 on ion-4.12, B14 on dmabuf-heap-cma', () => {
  it('declares B13 and B14, on the cores of their base designs', () => {
    expect(STACK_ZOO.map((d) => d.zoo?.bug)).toEqual(['B13', 'B14']);
    const [b13, b14] = STACK_ZOO;
    expect(b13!.ionCore).toMatchObject({ core: ion412.ionCore.core, beginIgnoresKmapError: true });
    expect(ion412.ionCore.beginIgnoresKmapError).toBeUndefined();
    expect(b14!.ionCore.core).toBe(dmabufHeapCma.ionCore.core);
  });

  it('B13: the failed begin is taken as mapped; ion-4.12 fails the kmap and takes no count', () => {
    const ops = CASES['b13-begin-ignores-kmap-error']!;
    const mutant = boot('tiny', 'zoo/b13-begin-ignores-kmap-error');
    const base = boot('tiny', 'ion-4.12');
    const rm = ops.map((op) => mutant.apply(op));
    const rb = ops.map((op) => base.apply(op));
    expect(rb[1]!.ok).toBe(false);
    expect(rm[1]!.ok).toBe(true);
    // nothing is mapped either way: the window cannot hold 513 pages
    expect(base.ion.buffers.get(0)!.kmapCnt).toBe(0);
  });

  it('B14: a 2-page VMA on a 1-page buffer maps the CMA page after it; the fixed heap refuses the VMA', () => {
    const ops = CASES['b14-fault-past-end']!;
    const mutant = boot('tiny', 'zoo/b14-fault-past-end');
    const base = boot('tiny', 'dmabuf-heap-cma');
    const rm = ops.map((op) => mutant.apply(op));
    const rb = ops.map((op) => base.apply(op));
    expect(rm[2]!.ok).toBe(true);
    const buf = mutant.ion.buffers.get(0)!;
    const vma = mutant.ion.vmas[0]!.mapping!;
    expect([...vma.pages]).toEqual([buf.pages[0]!, buf.pages[0]! + 1]);
    expect(mutant.mm.pages.ownerKind[buf.pages[0]! + 1]).toBe(Owner.CMA_FREE);
    expect(rb[2]!.ok).toBe(false);
  });

  for (const d of STACK_ZOO) {
    const base = BASES[caseKey(d)]!;
    it(`${d.id} breaks ${d.zoo?.invariants.join(' or ')} on ${d.zoo?.profile}; ${base} holds`, () => {
      expectPlantedBug(d, CASES[caseKey(d)] ?? [], base);
    });
  }
});
