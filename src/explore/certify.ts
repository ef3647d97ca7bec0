/**
 * Certify a counterexample (docs/architecture.md section 6): is a trace that violates an invariant the
 * shortest one, or is there a shorter one? The trace is replayed to its first violation (length
 * L); then a breadth-first search to depth min(L - 1, depthMax) looks for a violation of the same
 * invariant over the explorer's alphabet plus the trace's own ops. None found with L - 1 <=
 * depthMax: the trace is shortest. None found with a smaller bound: no shorter trace within the
 * bound. Found: the shorter trace (itself shortest over that alphabet). This is how the explorer
 * certifies fast-check's shrunk traces.
 */
import { ExploreError } from '../errors.ts';
import type { Design } from '../model/designs/design.ts';
import { Kernel } from '../model/kernel.ts';
import type { Op } from '../model/ops.ts';
import type { Profile } from '../model/profile.ts';
import { checkStep, type InvariantId } from '../spec/index.ts';
import { buildAlphabet, type Letter, withOps } from './alphabet.ts';
import {
  EXPLORE_DEPTH_MAX,
  type ExploreOptions,
  type ExploreResult,
  explore,
  resolveDesignArg,
  resolveProfileArg,
} from './search.ts';

export type CertifyVerdict =
  /** No trace shorter than the given one violates the invariant (over the alphabet). */
  | 'shortest'
  /** No shorter trace of at most `bound` ops; longer ones were not searched (depthMax). */
  | 'no-shorter-within-bound'
  /** A shorter trace violates the invariant: `ops`. */
  | 'shorter-found'
  /** The search stopped early (max states or time): nothing certified below `bound`. */
  | 'inconclusive'
  /** The trace does not violate the invariant at all. */
  | 'does-not-violate';

export interface CertifyResult {
  readonly verdict: CertifyVerdict;
  readonly invariant: InvariantId;
  readonly design: string;
  readonly profile: string;
  /** Length of the given trace up to and including its first violation (0 if none, or at boot). */
  readonly length: number;
  /** Traces of at most this many ops were searched (all of them unless inconclusive). */
  readonly bound: number;
  /** The shortest violating trace known: the shorter one found, else the given trace's prefix. */
  readonly ops: readonly Op[];
  /** The search behind the verdict (null when the trace does not violate, or violates at boot). */
  readonly search: ExploreResult | null;
}

export interface CertifyOptions extends Pick<ExploreOptions, 'maxStates' | 'timeLimitMs'> {
  /** The base alphabet (default: buildAlphabet(bound)); the trace's own ops are always added. */
  readonly alphabet?: readonly Letter[];
}

/**
 * Is `ops` a shortest violation of `invariant` on `design` booted on `profile`, within bound
 * `depthMax`? Returns the verdict and, if one exists, a shorter trace.
 */
export function certify(
  profile: Profile | string,
  design: Design | string,
  invariant: InvariantId,
  ops: readonly Op[],
  depthMax: number,
  opts: CertifyOptions = {},
): CertifyResult {
  const p = resolveProfileArg(profile);
  const d = resolveDesignArg(design);
  if (!Number.isInteger(depthMax) || depthMax < 0)
    throw new ExploreError(`depthMax must be a non-negative integer, not ${depthMax}`);
  const base = { invariant, design: d.id, profile: p.id };
  const length = firstViolation(p, d, invariant, ops);
  if (length < 0) return { ...base, verdict: 'does-not-violate', length: 0, bound: 0, ops: [], search: null };
  // the booted machine already violates it: the empty trace, nothing is shorter
  if (length === 0) return { ...base, verdict: 'shortest', length: 0, bound: 0, ops: [], search: null };
  const prefix = ops.slice(0, length);
  const bound = Math.min(length - 1, depthMax, EXPLORE_DEPTH_MAX);
  const search = explore({
    profile: p,
    design: d,
    depth: bound,
    invariants: [invariant],
    alphabet: withOps(opts.alphabet ?? buildAlphabet(bound), prefix),
    ...(opts.maxStates === undefined ? {} : { maxStates: opts.maxStates }),
    ...(opts.timeLimitMs === undefined ? {} : { timeLimitMs: opts.timeLimitMs }),
  });
  const found = search.counterexamples[invariant];
  if (found) return { ...base, verdict: 'shorter-found', length, bound, ops: found.ops, search };
  if (search.depthCompleted < bound)
    return { ...base, verdict: 'inconclusive', length, bound: search.depthCompleted, ops: prefix, search };
  const verdict = bound === length - 1 ? 'shortest' : 'no-shorter-within-bound';
  return { ...base, verdict, length, bound, ops: prefix, search };
}

/** Number of ops up to and including the first violation of `invariant`: 0 at boot, -1 never. */
function firstViolation(p: Profile, d: Design, invariant: InvariantId, ops: readonly Op[]): number {
  const k = Kernel.boot(p, d);
  if (checkStep(k, [invariant], 'full').some((v) => v.invariant === invariant)) return 0;
  for (let i = 0; i < ops.length; i++) {
    k.apply(ops[i]);
    if (checkStep(k, [invariant], 'incremental').some((v) => v.invariant === invariant)) return i + 1;
  }
  return -1;
}
