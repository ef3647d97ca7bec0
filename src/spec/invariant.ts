/**
 * What an invariant is (docs/invariants.md): a stable id, a definition in plain words, the kernel
 * facts it rests on, an incremental checker (after every op, O(what the op touched)) and a
 * full-scan checker (walks the whole state, simple enough to trust by reading). Checkers read the
 * kernel and never change it.
 */
import type { Kernel } from '../model/kernel.ts';
import type { Pfn, VAddr } from '../model/types.ts';

export const INVARIANT_IDS = [
  'no-conflicting-alias',
  'vmalloc-bounded',
  'freed-completely',
  'refcounts-balanced',
  'contiguous-aligned',
  'zeroed-on-alloc',
  'exclusive-ownership',
] as const;
export type InvariantId = (typeof INVARIANT_IDS)[number];
/** The structural check that runs first; its failure is a model bug, not a kernel finding. */
export type CheckId = InvariantId | 'type-ok';

export interface MappingInfo {
  readonly kind: string;
  readonly type: string;
  readonly owner: string;
  readonly state: 'live' | 'stale';
  readonly vaddr: VAddr;
}

export interface Violation {
  readonly invariant: CheckId;
  /** One line a kernel engineer reads as a bug report. */
  readonly message: string;
  /** Physical page frame numbers involved (a few, not all). */
  readonly pfns: readonly Pfn[];
  /** The mappings of the first page involved, with types and owners. */
  readonly mappings: readonly MappingInfo[];
}

export interface Invariant {
  readonly id: CheckId;
  readonly title: string;
  readonly definition: string;
  /** docs/model.md rule ids the invariant rests on. */
  readonly rests: readonly string[];
  incremental(k: Kernel): Violation | null;
  full(k: Kernel): Violation | null;
  /**
   * The incremental verdict after an op that changed nothing the checks read (tracker.ts quietOp),
   * the check's bad sets brought up to date (skipQuietOp), from its verdict before the op: that
   * verdict for a check that judges only the op's effects; a check that reports something of the
   * op itself (a mapping made) or reads global figures (window pages, allocator counts) looks again.
   * Not asked when the verdict before was null and the check does not read global figures: a
   * clean verdict stands (checkStep).
   */
  afterQuietOp(k: Kernel, before: Violation | null): Violation | null;
  /** Does the verdict also rest on global figures that no op effect lists? */
  readonly readsFigures: boolean;
}

/** afterQuietOp of a check that judges only the op's effects: its verdict stands. */
export const verdictStands = (_k: Kernel, before: Violation | null): Violation | null => before;

/** A `sometimes` property: a state the search must reach for its verdicts to mean anything. */
export interface Goal {
  readonly id: string;
  readonly description: string;
  /**
   * Required goals decide whether "no violation" may be reported as held (else: unproven). Goals
   * some designs cannot reach by construction (a design that never flips a linear PTE cannot
   * flip one twice) are reported but not required.
   */
  readonly required: boolean;
  /** Evaluated after every op; true once the state is reached. */
  reached(k: Kernel): boolean;
}
