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
import { quietOp, skipQuietOp } from './tracker.ts';
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
 * (at most one per check id). `ids` is read as it is now and may be passed again unchanged (it is
 * recognised by identity); a caller that wants other invariants passes another list.
 */
export function checkStep(k: Kernel, ids: readonly InvariantId[], mode: CheckMode): Violation[] {
  const { chosen, figures } = chosenOf(ids);
  if (mode === 'full') return fullStep(k, chosen);
  const quiet = last.k === k && last.at === k.opsApplied - 1 && last.chosen === chosen && quietOp(k);
  last.k = null;
  const t = quiet ? null : typeOk.incremental(k);
  if (t) return [t];
  if (quiet) skipQuietOp(k);
  const out: Violation[] = [];
  const verdicts = last.verdicts;
  for (let i = 0; i < chosen.length; i++) {
    const inv = chosen[i]!;
    const before = verdicts[i] ?? null;
    let v: Violation | null;
    if (!quiet) v = inv.incremental(k);
    // a clean verdict stands unless it rests on global figures (read from a list: no call per check)
    else v = before === null && figures[i] === 0 ? null : inv.afterQuietOp(k, before);
    verdicts[i] = v;
    if (v) out.push(v);
  }
  last.k = k;
  last.at = k.opsApplied;
  last.chosen = chosen;
  return out;
}

function fullStep(k: Kernel, chosen: readonly Invariant[]): Violation[] {
  const t = typeOk.full(k);
  if (t) return [t];
  const out: Violation[] = [];
  for (let i = 0; i < chosen.length; i++) {
    const v = chosen[i]!.full(k);
    if (v) out.push(v);
  }
  return out;
}

/**
 * The last incremental step that ran every chosen check (type-ok passed): its kernel, op count,
 * chosen invariants and their verdicts. The next op, when quiet, is checked from these: the bad
 * sets are brought up to date without judging (skipQuietOp), and each invariant gives its verdict
 * from the one before (afterQuietOp).
 */
const last: { k: Kernel | null; at: number; chosen: readonly Invariant[]; verdicts: (Violation | null)[] } = {
  k: null,
  at: -1,
  chosen: [],
  verdicts: [],
};

/**
 * The registry's invariants among `ids`, in registry order, and 1 for each that reads global
 * figures: the lists of the last ids asked about kept.
 */
interface Chosen {
  /** The list last asked about (a run passes the same one every step: one comparison) and a copy. */
  readonly asked: readonly InvariantId[];
  readonly ids: readonly InvariantId[];
  readonly chosen: readonly Invariant[];
  readonly figures: Uint8Array;
}
let chosenFor: Chosen = { asked: [], ids: [], chosen: [], figures: new Uint8Array(0) };
function chosenOf(ids: readonly InvariantId[]): Chosen {
  // the same list again (a run's every step); its length too, in case it grew in place
  if (ids === chosenFor.asked && ids.length === chosenFor.ids.length) return chosenFor;
  const was = chosenFor.ids;
  // compared by value: a caller may pass a new array with the same ids each step
  let same = was.length === ids.length;
  for (let i = 0; same && i < ids.length; i++) same = was[i] === ids[i];
  if (!same) {
    const chosen = INVARIANTS.filter((inv) => ids.includes(inv.id as InvariantId));
    chosenFor = {
      asked: ids,
      ids: [...ids],
      chosen,
      figures: Uint8Array.from(chosen, (inv) => (inv.readsFigures ? 1 : 0)),
    };
  } else chosenFor = { ...chosenFor, asked: ids };
  return chosenFor;
}

export type { CheckId };
