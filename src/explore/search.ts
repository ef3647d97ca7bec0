/**
 * Bounded breadth-first search with state fingerprints (docs/architecture.md section 6, "The
 * explorer"): from the booted machine, apply every op of a finite alphabet to every state of depth
 * d to get the states of depth d + 1, checking the chosen invariants after every op; a state
 * whose fingerprint was seen before is not expanded again. Because the search goes level by level,
 * the first violation of an invariant it meets is a shortest counterexample over the alphabet.
 * Deterministic: the alphabet order is the search order, and nothing here draws a random number.
 *
 * The tree (`Search`) holds, per distinct state, its parent, its letter and its key: a 64-bit
 * fingerprint canonical under client renamings (./fingerprint.ts: incremental, hash compaction,
 * the symmetry argument), or a full sha256 key with `exact`. Frontier states are not kept in
 * memory but rebuilt by replaying their path (./expand.ts); a level's outcomes come from this
 * process or from shard workers (./shards.ts), and the tree takes them in the same order either
 * way, so the result does not depend on where they were computed.
 *
 * Two shortcuts, both exact:
 * - an op naming an id the state has not created yet (handle, fd, vma, area; ids are handed out
 *   in creation order, docs/architecture.md section 5) fails with an errno and changes nothing, so it is not
 *   tried (`skipUnknownIds`, default on);
 * - a transition into a state seen before is not re-checked when the op created no mapping: the
 *   invariants read the state (which the key covers; under the symmetry reduction, a renamed
 *   state violates what the state does) plus the mappings the op created (`mmu.creations`,
 *   checked at creation), and the state was checked when first reached, at a depth no greater
 *   than this one (`checkDuplicates` turns the shortcut off).
 */
import { performance } from 'node:perf_hooks';
import { ExploreError } from '../errors.ts';
import type { Design } from '../model/designs/design.ts';
import { builtinDesign } from '../model/designs/index.ts';
import type { Op } from '../model/ops.ts';
import { type Profile, resolveProfile } from '../model/profile.ts';
import { type CheckId, checkStep, INVARIANT_IDS, type InvariantId, type Violation } from '../spec/index.ts';
import { buildAlphabet, type Letter } from './alphabet.ts';
import { Expander, type Outcome, type StateKey, type Timing, zeroTiming } from './expand.ts';
import { FpSet } from './fingerprint.ts';

/** The largest depth the explorer accepts (the alphabet grows with it, the state space fast). */
export const EXPLORE_DEPTH_MAX = 12;
/** Default cap on distinct states, so a search on a large profile ends. */
export const DEFAULT_MAX_STATES = 200_000;

export interface ExploreOptions {
  readonly profile: Profile | string;
  readonly design: Design | string;
  /** Longest trace searched (ops). */
  readonly depth: number;
  /** Invariants to search for (default: all). */
  readonly invariants?: readonly InvariantId[];
  /** The op alphabet (default: buildAlphabet(depth)). */
  readonly alphabet?: readonly Letter[];
  /** Stop after this many distinct states (default DEFAULT_MAX_STATES); the result says so. */
  readonly maxStates?: number;
  /** Stop after this much wall-clock time; the result says so. */
  readonly timeLimitMs?: number;
  /** Do not try ops on ids the state has not created (default true). */
  readonly skipUnknownIds?: boolean;
  /** Check every transition, also into states seen before (default false: see the file comment). */
  readonly checkDuplicates?: boolean;
  /** Stop as soon as every chosen invariant has a counterexample (default true). */
  readonly stopWhenAllFound?: boolean;
  /** Keep full state keys (sha256) instead of 64-bit fingerprints (default false: ./fingerprint.ts). */
  readonly exact?: boolean;
  /** Keep one state per orbit of the client renamings that fix the alphabet (default true: ./fingerprint.ts). */
  readonly symmetry?: boolean;
  /** Called when a level is done. */
  readonly onLevel?: (p: LevelProgress) => void;
}

export interface LevelProgress {
  readonly depth: number;
  readonly frontier: number;
  readonly statesExplored: number;
  readonly distinctStates: number;
  readonly elapsedMs: number;
}

/** Search effort at some moment: transitions tried, distinct states, time. */
export interface Effort {
  /** Transitions tried (op applications, duplicates included). */
  readonly statesExplored: number;
  /** Distinct states reached (hashes), the booted one included. */
  readonly distinctStates: number;
  readonly elapsedMs: number;
}

export interface Counterexample extends Effort {
  readonly invariant: InvariantId;
  /** Number of ops (0: the booted machine already violates it). */
  readonly depth: number;
  readonly ops: readonly Op[];
  readonly message: string;
  readonly violation: Violation;
}

/** A type-ok violation or an exception out of apply: a bug in the model or the design. */
export interface ModelBugFinding {
  readonly check: CheckId | 'exception';
  readonly ops: readonly Op[];
  readonly message: string;
}

export interface ExploreResult extends Effort {
  readonly design: string;
  readonly profile: string;
  readonly depth: number;
  /** Every trace of at most this many ops was checked (= depth unless stopped early). */
  readonly depthCompleted: number;
  /** Why the search stopped before depth: 'max-states', 'time-limit' or 'all-found'. */
  readonly stoppedBy: 'max-states' | 'time-limit' | 'all-found' | null;
  readonly invariants: readonly InvariantId[];
  readonly alphabetSize: number;
  /** Shortest counterexample per chosen invariant, or null (none within depthCompleted). */
  readonly counterexamples: Readonly<Record<string, Counterexample | null>>;
  readonly modelBugs: readonly ModelBugFinding[];
  /** States expanded (their children generated). */
  readonly statesExpanded: number;
  /** How states were told apart: 64-bit fingerprints or full sha256 keys (--exact). */
  readonly keys: 'fp64' | 'sha256';
  /** Client renamings states were reduced by (0: no symmetry reduction). */
  readonly symmetries: number;
  /** Processes the levels were expanded in (1: inline). */
  readonly workers: number;
  /** Where the time went (ms): cloning, applying, hashing, checking, replaying frontier states. */
  readonly timing: { clone: number; apply: number; hash: number; check: number; replay: number };
  /** Set when the design failed (threw, looped past its budget, exited): nothing above is a verdict. */
  readonly failure?: string;
}

/** Distinct model bugs kept per search. */
const MODEL_BUGS_KEPT = 10;

export function resolveDesignArg(d: Design | string): Design {
  if (typeof d !== 'string') return d;
  const found = builtinDesign(d);
  if (!found) throw new ExploreError(`unknown design '${d}'`);
  return found;
}

export function resolveProfileArg(p: Profile | string): Profile {
  return typeof p === 'string' ? resolveProfile(p) : p;
}

/** The options resolved and checked. */
export interface Settings {
  readonly profile: Profile;
  readonly design: Design;
  readonly depth: number;
  readonly invariants: InvariantId[];
  readonly alphabet: readonly Letter[];
  readonly maxStates: number;
  readonly timeLimitMs: number;
  readonly skipUnknownIds: boolean;
  readonly checkDuplicates: boolean;
  readonly stopWhenAllFound: boolean;
  readonly exact: boolean;
  readonly symmetry: boolean;
}

function resolveSettings(opts: ExploreOptions): Settings {
  const profile = resolveProfileArg(opts.profile);
  const design = resolveDesignArg(opts.design);
  const depth = opts.depth;
  if (!Number.isInteger(depth) || depth < 0 || depth > EXPLORE_DEPTH_MAX)
    throw new ExploreError(`depth must be an integer in 0..${EXPLORE_DEPTH_MAX}, not ${depth}`);
  const invariants = [...new Set(opts.invariants ?? INVARIANT_IDS)];
  for (const id of invariants)
    if (!(INVARIANT_IDS as readonly string[]).includes(id))
      throw new ExploreError(`unknown invariant '${id}'`);
  return {
    profile,
    design,
    depth,
    invariants,
    alphabet: opts.alphabet ?? buildAlphabet(depth),
    maxStates: opts.maxStates ?? DEFAULT_MAX_STATES,
    timeLimitMs: opts.timeLimitMs ?? Number.POSITIVE_INFINITY,
    skipUnknownIds: opts.skipUnknownIds ?? true,
    checkDuplicates: opts.checkDuplicates ?? false,
    stopWhenAllFound: opts.stopWhenAllFound ?? true,
    exact: opts.exact ?? false,
    symmetry: opts.symmetry ?? true,
  };
}

/** Run the bounded search. Throws ExploreError on bad options; never on a model bug (reported). */
export function explore(opts: ExploreOptions): ExploreResult {
  const search = new Search(resolveSettings(opts));
  const levels = new Levels(search, opts);
  while (levels.more()) levels.done(search.expandLevel(levels.frontier));
  return levels.result(1);
}

/**
 * The search with each level's outcomes from `source` (the shard workers, ./shards.ts): the same
 * level loop and tree as `explore`, hence the same result.
 */
export async function exploreWith(
  opts: ExploreOptions,
  source: (search: Search, frontier: readonly number[]) => Promise<LevelSource>,
  workers: number,
): Promise<ExploreResult> {
  const search = new Search(resolveSettings(opts));
  const levels = new Levels(search, opts);
  while (levels.more())
    levels.done(search.expandLevel(levels.frontier, await source(search, levels.frontier)));
  return levels.result(workers);
}

/** The level loop's bookkeeping: the frontier, how deep the search is complete, the result. */
class Levels {
  frontier: number[];
  private d = 0;
  private depthCompleted = 0;

  constructor(
    private readonly search: Search,
    private readonly opts: ExploreOptions,
  ) {
    this.frontier = search.start();
  }

  more(): boolean {
    return this.d < this.search.s.depth && this.search.stoppedBy === null;
  }

  done(next: number[]): void {
    const { search } = this;
    // a level is complete when every state of depth d was expanded; all-found stops are complete
    // for what they claim (each counterexample is shortest), so they count as the level done
    if (search.completes()) this.depthCompleted = this.d + 1;
    this.d++;
    this.frontier = next;
    this.opts.onLevel?.({ depth: this.d, frontier: next.length, ...search.effort() });
  }

  result(workers: number): ExploreResult {
    const { search } = this;
    const s = search.s;
    if (search.completes()) this.depthCompleted = s.depth;
    return {
      design: s.design.id,
      profile: s.profile.id,
      depth: s.depth,
      depthCompleted: this.depthCompleted,
      stoppedBy: search.stoppedBy,
      invariants: s.invariants,
      alphabetSize: s.alphabet.length,
      counterexamples: search.found,
      modelBugs: search.modelBugs,
      statesExpanded: search.expanded,
      keys: s.exact ? 'sha256' : 'fp64',
      symmetries: search.symmetries(),
      workers,
      timing: search.timing(),
      ...search.effort(),
    };
  }
}

/**
 * Where a level's outcomes come from: inline, each state is expanded here as the tree takes its
 * outcomes (so a state reached earlier in the level is known to the next check); with shards, the
 * outcomes of every state of the level were computed by the workers (./shards.ts).
 */
export type LevelSource = (search: Search, frontier: readonly number[]) => LevelOutcomes;

/** A level's outcomes: whether a state's are there (a worker out of time), and each of them in order. */
export interface LevelOutcomes {
  has(node: number): boolean;
  /** Hands the state's outcomes to `take` in alphabet order until it returns false. */
  each(node: number, take: (o: Outcome) => boolean): void;
}

/** The inline source: rebuild each state and expand it in this process. */
const inline: LevelSource = (search) => ({
  has: () => true,
  each: (node, take) => search.expandHere(node, take),
});

/**
 * The state of one search: the tree of distinct states reached (node i was reached from parents[i]
 * by alphabet[letters[i]]), their fingerprints (or full keys with `exact`), what was found, and
 * why it stopped. It takes the outcomes of each state's letters in alphabet order, states in
 * frontier order, whichever process computed them: the result is the same.
 */
export class Search {
  private readonly t0 = performance.now();
  /** Shortest counterexample per chosen invariant, or null. */
  readonly found: Record<string, Counterexample | null> = {};
  /** Invariants without a counterexample yet (and as a list, for checkStep). */
  private readonly pending: Set<InvariantId>;
  pendingList: InvariantId[];
  readonly modelBugs: ModelBugFinding[] = [];
  private readonly parents: number[] = [-1];
  private readonly letters: number[] = [-1];
  /** Per node: its fingerprint's lanes, or (exact) its full key. */
  private readonly fpA: number[] = [];
  private readonly fpB: number[] = [];
  private readonly pageA: number[] = [];
  private readonly pageB: number[] = [];
  private readonly keys: string[] = [];
  private readonly seenFp = new FpSet();
  private readonly seenKeys = new Set<string>();
  readonly here: Expander;
  /** Time spent in other processes (shards), added to `here.timing` in the result. */
  readonly elsewhere = zeroTiming();
  private explored = 0;
  expanded = 0;
  stoppedBy: ExploreResult['stoppedBy'] = null;

  constructor(readonly s: Settings) {
    for (const id of s.invariants) this.found[id] = null;
    this.pending = new Set<InvariantId>(s.invariants);
    this.pendingList = [...this.pending];
    this.here = new Expander(s);
  }

  symmetries(): number {
    return this.here.fpr.symmetries.length;
  }

  timing(): Timing {
    const t = zeroTiming();
    for (const k of Object.keys(t) as (keyof Timing)[]) t[k] = this.here.timing[k] + this.elsewhere[k];
    return t;
  }

  get size(): number {
    return this.parents.length;
  }

  private distinct(): number {
    return this.s.exact ? this.seenKeys.size : this.seenFp.size;
  }

  effort(): Effort {
    return {
      statesExplored: this.explored,
      distinctStates: this.distinct(),
      elapsedMs: performance.now() - this.t0,
    };
  }

  /** The search stopped for no reason that leaves the level being searched incomplete. */
  completes(): boolean {
    return this.stoppedBy === null || this.stoppedBy === 'all-found';
  }

  has(k: StateKey): boolean {
    return this.s.exact ? this.seenKeys.has(k.key) : this.seenFp.has(k);
  }

  keyOfNode(node: number): StateKey {
    return this.s.exact
      ? { a: 0, b: 0, pa: 0, pb: 0, key: this.keys[node]! }
      : { a: this.fpA[node]!, b: this.fpB[node]!, pa: this.pageA[node]!, pb: this.pageB[node]!, key: '' };
  }

  private add(k: StateKey): void {
    if (this.s.exact) {
      this.seenKeys.add(k.key);
      this.keys.push(k.key);
    } else {
      this.seenFp.add(k);
      this.fpA.push(k.a);
      this.fpB.push(k.b);
      this.pageA.push(k.pa);
      this.pageB.push(k.pb);
    }
  }

  /** Checks the booted machine; the first frontier (empty when the booted machine is a model bug). */
  start(): number[] {
    const root = this.here.root;
    this.add(this.here.keyOf(root));
    const t = performance.now();
    const rootViolations = checkStep(root, this.s.invariants, 'full');
    this.here.timing.check += performance.now() - t;
    const rootBroken = this.record(rootViolations, 0, -1);
    if (this.allFound()) this.stoppedBy = 'all-found';
    return rootBroken ? [] : [0];
  }

  /** Expands every state of one level (until a stop condition); the nodes of the next level. */
  expandLevel(frontier: readonly number[], source: LevelSource = inline): number[] {
    const next: number[] = [];
    const outcomesOf = source(this, frontier);
    for (const node of frontier) {
      if (this.stoppedBy !== null) break;
      // a worker that ran out of time leaves the rest of its run unexpanded
      if (this.outOfTime() || !outcomesOf.has(node)) {
        this.stoppedBy = 'time-limit';
        break;
      }
      this.expanded++;
      outcomesOf.each(node, (o) => {
        const child = this.take(node, o);
        if (child !== null && !child.broken) next.push(child.node);
        return this.stoppedBy === null;
      });
    }
    return next;
  }

  /** Rebuilds a node's state and expands it in this process. */
  expandHere(node: number, take: (o: Outcome) => boolean): void {
    const parent = this.here.rebuild(this.pathLetters(node), this.keyOfNode(node), this.pendingList, node);
    this.here.expand(parent, this.pendingList, (k) => this.has(k), take);
  }

  /**
   * Takes one outcome of a letter tried on `node`: records what it violates and adds its state
   * to the tree if new (the new node, or null for a duplicate or an exception); the stop
   * conditions are checked after each new state. `broken`: a model bug was found.
   */
  private take(node: number, o: Outcome): { node: number; broken: boolean } | null {
    this.explored++;
    if (o.exception !== null) {
      this.addBug({ check: 'exception', ops: this.opsTo(node, o.li), message: o.exception });
      return null;
    }
    const dup = this.has(o);
    if (dup && !this.s.checkDuplicates && !o.creations) return null;
    if (o.violations === null)
      throw new ExploreError(`internal: an unchecked transition into a new state (letter ${o.li})`);
    const broken = this.record(o.violations, node, o.li);
    if (dup) return null;
    this.add(o);
    this.parents.push(node);
    this.letters.push(o.li);
    this.stoppedBy = this.stopReason();
    return { node: this.parents.length - 1, broken };
  }

  /** Why the search must stop now, or null: checked after each new state. */
  private stopReason(): ExploreResult['stoppedBy'] {
    if (this.allFound()) return 'all-found';
    if (this.distinct() >= this.s.maxStates) return 'max-states';
    if (this.outOfTime()) return 'time-limit';
    return null;
  }

  private allFound(): boolean {
    return this.s.stopWhenAllFound && this.pending.size === 0;
  }

  outOfTime(): boolean {
    return performance.now() - this.t0 > this.s.timeLimitMs;
  }

  /** Time left before the time limit (ms; Infinity without one). */
  remainingMs(): number {
    return this.s.timeLimitMs - (performance.now() - this.t0);
  }

  /** The letters from the booted machine to a node. */
  pathLetters(node: number): number[] {
    const out: number[] = [];
    for (let n = node; n > 0; n = this.parents[n]!) out.push(this.letters[n]!);
    return out.reverse();
  }

  private pathOf(node: number): Op[] {
    return this.pathLetters(node).map((li) => this.s.alphabet[li]!.op);
  }

  /** The ops from the booted machine to `node`, then letter li's (none for li = -1). */
  private opsTo(node: number, li: number): Op[] {
    return li < 0 ? [] : [...this.pathOf(node), this.s.alphabet[li]!.op];
  }

  /** The first (shortest) trace of each distinct model bug, a few at most. */
  private addBug(b: ModelBugFinding): void {
    if (this.modelBugs.length >= MODEL_BUGS_KEPT || this.modelBugs.some((x) => x.message === b.message))
      return;
    this.modelBugs.push(b);
  }

  /**
   * Records the violations of a state (letter li tried on node; li = -1: the booted machine): a
   * counterexample per pending invariant; true on a model bug. No closure per transition.
   */
  private record(violations: readonly Violation[], node: number, li: number): boolean {
    let modelBug = false;
    for (const v of violations) {
      if (v.invariant === 'type-ok') {
        modelBug = true;
        this.addBug({ check: 'type-ok', ops: this.opsTo(node, li), message: v.message });
        continue;
      }
      const id = v.invariant;
      if (!this.pending.has(id)) continue;
      this.pending.delete(id);
      this.pendingList = [...this.pending];
      const path = this.opsTo(node, li);
      this.found[id] = {
        invariant: id,
        depth: path.length,
        ops: path,
        message: v.message,
        violation: v,
        ...this.effort(),
      };
    }
    return modelBug;
  }
}
