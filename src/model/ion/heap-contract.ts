/**
 * What a heap hands back to ION core, checked where it enters the model: a design (a plugin above
 * all) returning garbage is that design's fault, reported as such, never a crash deep in the model
 * or a number the model silently accepts.
 */

import { HeapContractError } from '../../errors.ts';
import type { Mm } from '../mm.ts';
import { PAGE_SIZE } from '../types.ts';
import type { IonBuffer, IonHeap } from './heap.ts';

/** MAX_ERRNO (include/linux/err.h): an error return is -1..-4095. */
export const MAX_ERRNO = 4095;

const bad = (heap: IonHeap, what: string): HeapContractError =>
  new HeapContractError(`heap '${heap.name}' ${what}`);

/** Check allocate()'s return value and, on success, the pages it gave `buf` for `len` bytes. */
export function checkAllocation(mm: Mm, heap: IonHeap, buf: IonBuffer, len: number, ret: unknown): number {
  if (typeof ret !== 'number' || !Number.isInteger(ret) || ret > 0 || ret < -MAX_ERRNO)
    throw bad(heap, `allocate returned ${String(ret)}: not 0 or a negative errno in -${MAX_ERRNO}..-1`);
  if (ret !== 0) return ret;
  const pages: unknown = buf.pages;
  if (!(pages instanceof Int32Array) && !Array.isArray(pages))
    throw bad(heap, 'allocate succeeded without giving the buffer a page list');
  const want = Math.ceil(len / PAGE_SIZE);
  if (pages.length < want)
    throw bad(heap, `allocate gave ${pages.length} pages for ${len} bytes (${want} needed)`);
  const n = mm.pages.nPages;
  for (let i = 0; i < pages.length; i++) {
    const p: unknown = pages[i];
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p >= n)
      throw bad(heap, `allocate gave page ${String(p)}, outside RAM's pages 0..${n - 1}`);
  }
  return ret;
}
