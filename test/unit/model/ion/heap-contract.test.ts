/**
 * Issue 16: what a heap's allocate hands back is checked where ION core takes it; garbage is the
 * heap's fault (HeapContractError naming the heap), never accepted (`-> ok NaN`) and never a
 * TypeError deep in the model.
 */

import { describe, expect, it } from 'vitest';
import { HeapContractError } from '../../../../src/errors.ts';
import type { IonBuffer } from '../../../../src/model/ion/heap.ts';
import { checkAllocation } from '../../../../src/model/ion/heap-contract.ts';
import { boot } from '../../../helpers/kernel.ts';

const k = boot('tiny', 'cma-direct');
const heap = k.ion.heaps.find((h) => h.name === 'cma')!;
const buf = (pages: unknown) => ({ pages }) as unknown as IonBuffer;
const PAGES = Int32Array.from([5, 6, 7]);

describe('checkAllocation', () => {
  it.each([Number.NaN, -99999, -4096, 1, 0.5, '0', undefined])('refuses the return value %s', (ret) => {
    expect(() => checkAllocation(k.mm, heap, buf(PAGES), 3 * 4096, ret)).toThrow(HeapContractError);
    expect(() => checkAllocation(k.mm, heap, buf(PAGES), 3 * 4096, ret)).toThrow(
      /^heap 'cma' allocate returned .*: not 0 or a negative errno in -4095\.\.-1$/,
    );
  });

  it('passes errnos through unchecked pages, and 0 with good pages', () => {
    expect(checkAllocation(k.mm, heap, buf(null), 4096, -12)).toBe(-12);
    expect(checkAllocation(k.mm, heap, buf(null), 4096, -4095)).toBe(-4095);
    expect(checkAllocation(k.mm, heap, buf(PAGES), 3 * 4096, 0)).toBe(0);
  });

  it.each([
    [[-1, -2, -3], /allocate gave page -1, outside RAM's pages 0\.\.4095/],
    [[0, 1, 4096], /allocate gave page 4096, outside RAM/],
    [[0, 1.5, 2], /allocate gave page 1\.5/],
    [[0, 1], /allocate gave 2 pages for 12288 bytes \(3 needed\)/],
    [null, /allocate succeeded without giving the buffer a page list/],
  ])('refuses success with pages %j', (pages, why) => {
    expect(() => checkAllocation(k.mm, heap, buf(pages), 3 * 4096, 0)).toThrow(why);
  });
});
