/**
 * Zoo test helpers: the op shapes the zoo's short sequences are made of, and the check every zoo
 * design must pass: its planted bug breaks one of the invariants it declares at the last op of a
 * short sequence, while its base design holds on the same ops (the planted fault is the only
 * difference). Both checker forms must agree (firstViolation).
 */
import { expect } from 'vitest';
import type { Design } from '../../src/model/designs/design.ts';
import type { Op } from '../../src/model/ops.ts';
import type { InvariantId } from '../../src/spec/index.ts';
import { alloc, firstViolation } from './kernel.ts';

export const share: Op = { op: 'share', client: 1, handle: 0 };
export const mmap0: Op = { op: 'mmap', fd: 0 };
export const free0: Op = { op: 'free', client: 1, handle: 0 };

/** Write a buffer's pages through a user mapping, free it, allocate again the same size. */
export const reuse = (len: number, cached = false): Op[] => [
  alloc(len, { cached }),
  share,
  mmap0,
  { op: 'write', vma: 0 },
  { op: 'munmap', vma: 0 },
  { op: 'close', fd: 0 },
  free0,
  alloc(len, { cached }),
];

/** The zoo design's id without its `zoo/` prefix (the key of a case table). */
export const caseKey = (d: Design): string => d.id.replace(/^zoo\//, '');

/** The mutant breaks a declared invariant at the last op; `base` holds on the same ops. */
export function expectPlantedBug(d: Design, ops: Op[], base: string): void {
  const t = d.zoo!;
  const invs = t.invariants as InvariantId[];
  const v = firstViolation(t.profile, d.id, ops, invs);
  expect(v, 'violated on the mutant').not.toBeNull();
  expect(invs).toContain(v!.inv);
  expect(v!.step).toBe(ops.length - 1);
  expect(firstViolation(t.profile, base, ops, invs), 'held on the base').toBeNull();
}
