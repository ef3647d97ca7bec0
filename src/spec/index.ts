/**
 * The registry of invariants and goals, and the per-step check: type-ok first (a model bug is
 * never reported as a kernel finding), then the chosen invariants.
 */
import type { Kernel } from '../model/kernel.ts';
import { contiguousAligned } from './contiguous-aligned.ts';
import { exclusiveOwnership } from './exclusive-ownership.ts';
import { freedCompletely } from './freed-completely.ts';
import { GOALS } from './goals.ts';
import {
  type CheckId,
  INVARIANT_IDS,
  type Invariant,
  type InvariantId,
  type Violation,
} from './invariant.ts';
import { noConflictingAlias } from './no-conflicting-alias.ts';
import { refcountsBalanced } from './refcounts-balanced.ts';
import { typeOk } from './type-ok.ts';
import { vmallocBounded } from './vmalloc-bounded.ts';
import { zeroedOnAlloc } from './zeroed-on-alloc.ts';

export * from './invariant.ts';
export { GOALS };

export const INVARIANTS: readonly Invariant[] = [
  noConflictingAlias,
  vmallocBounded,
  freedCompletely,
  refcountsBalanced,
  contiguousAligned,
  zeroedOnAlloc,
  exclusiveOwnership,
];

export const TYPE_OK: Invariant = typeOk;

export function invariantById(id: string): Invariant | undefined {
  return INVARIANTS.find((i) => i.id === id);
}

export function isInvariantId(id: string): id is InvariantId {
  return (INVARIANT_IDS as readonly string[]).includes(id);
}

export type CheckMode = 'incremental' | 'full';

/**
 * Check the state after one op: type-ok, then each chosen invariant. Returns every violation
 * (at most one per check id).
 */
export function checkStep(k: Kernel, ids: readonly InvariantId[], mode: CheckMode): Violation[] {
  const out: Violation[] = [];
  const t = mode === 'full' ? typeOk.full(k) : typeOk.incremental(k);
  if (t) return [t];
  for (const inv of INVARIANTS) {
    if (!ids.includes(inv.id as InvariantId)) continue;
    const v = mode === 'full' ? inv.full(k) : inv.incremental(k);
    if (v) out.push(v);
  }
  return out;
}

export type { CheckId };
