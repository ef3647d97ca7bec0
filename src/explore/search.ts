/**
 * Bounded breadth-first search with state hashing (docs/architecture.md section 6): from the booted machine,
 * apply every op of a finite alphabet to every state of depth d to get the states of depth d + 1,
 * checking the chosen invariants after every op; a state whose hash was seen before is not
 * expanded again. Because the search goes level by level, the first violation of an invariant it
 * meets is a shortest counterexample over the alphabet. Deterministic: the alphabet order is the
 * search order, and nothing here draws a random number.
 *
 * A child is a clone of its parent with one op applied. The incremental checkers keep per-kernel
 * memos and rebuild them by a full scan for a kernel they have not seen, so a clone is checked
 * correctly (at the cost of one scan). Frontier states are not kept in memory: a node is its
 * parent and its op, and a state to expand is rebuilt by replaying its path from the booted
 * machine (its hash is compared with the recorded one, so a non-deterministic model is caught).
 *
 * Two shortcuts, both exact:
 * - an op naming an id the state has not created yet (handle, fd, vma, area; ids are handed out
 *   in creation order, docs/architecture.md section 5) fails with an errno and changes nothing, so it is not
 *   tried (`skipUnknownIds`, default on);
 * - a transition into a state seen before is not re-checked when the op created no mapping: the
 *   invariants read the state (which the hash covers) plus the mappings the op created
 *   (`mmu.creations`, checked at creation), and the state was checked when first reached, at a
 *   depth no greater than this one (`checkDuplicates` turns the shortcut off).
 */
import { performance } from 'node:perf_hooks';
import { ExploreError } from '../errors.ts';
import type { Design } from '../model/designs/design.ts';
import { builtinDesign } from '../model/designs/index.ts';
import { Kernel } from '../model/kernel.ts';
import type { Op } from '../model/ops.ts';
import { type Profile, resolveProfile } from '../model/profile.ts';
import { type CheckId, checkStep, INVARIANT_IDS, type InvariantId, type Violation } from '../spec/index.ts';
import { buildAlphabet, type IdKind, type Letter } from './alphabet.ts';
import { clientSymmetries, Fingerprinter, type Fp, FpSet } from './fingerprint.ts';

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

/** How many objects of each id kind the state has created (the next id of each counter). */
function idBound(k: Kernel, kind: Exclude<IdKind, null>): number {
  switch (kind) {
    case 'handle':
      return k.ion.handles.length;
    case 'fd':
      return k.ion.dmabufs.length;
    case 'vma':
      return k.ion.vmas.length;
    case 'area':
      return k.driverAreas.length;
  }
}

const errText = (e: unknown): string =>
  e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e);
/** The options resolved and checked. */
interface Settings {
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
  const s = resolveSettings(opts);
  const search = new Search(s);
  let frontier: number[] = search.start();
  let depthCompleted = 0;
  for (let d = 0; d < s.depth && search.stoppedBy === null; d++) {
    const next = search.expandLevel(frontier);
    // a level is complete when every state of depth d was expanded; all-found stops are complete
    // for what they claim (each counterexample is shortest), so they count as the level done
    if (search.completes()) depthCompleted = d + 1;
    frontier = next;
    opts.onLevel?.({ depth: d + 1, frontier: next.length, ...search.effort() });
  }
  if (search.completes()) depthCompleted = s.depth;
  return {
    design: s.design.id,
    profile: s.profile.id,
    depth: s.depth,
    depthCompleted,
    stoppedBy: search.stoppedBy,
    invariants: s.invariants,
    alphabetSize: s.alphabet.length,
    counterexamples: search.found,
    modelBugs: search.modelBugs,
    statesExpanded: search.expanded,
    keys: s.exact ? 'sha256' : 'fp64',
    symmetries: search.symmetries(),
    timing: search.timing,
    ...search.effort(),
  };
}

/** A state to expand: the kernel and, with fingerprints, its page part (for its children's). */
interface Expandable {
  readonly kernel: Kernel;
  readonly pages: Fp | null;
}

/**
 * The state of one search: the tree of distinct states reached (node i was reached from parents[i]
 * by alphabet[letters[i]]), their fingerprints (or full keys with `exact`), what was found, and
 * why it stopped.
 */
class Search {
  private readonly t0 = performance.now();
  readonly timing = { clone: 0, apply: 0, hash: 0, check: 0, replay: 0 };
  /** Shortest counterexample per chosen invariant, or null. */
  readonly found: Record<string, Counterexample | null> = {};
  /** Invariants without a counterexample yet (and as a list, for checkStep). */
  private readonly pending: Set<InvariantId>;
  private pendingList: InvariantId[];
  readonly modelBugs: ModelBugFinding[] = [];
  private readonly parents: number[] = [-1];
  private readonly letters: number[] = [-1];
  /** Per node: its fingerprint's lanes, or (exact) its full key. */
  private readonly fpA: number[] = [];
  private readonly fpB: number[] = [];
  private readonly keys: string[] = [];
  private readonly seenFp = new FpSet();
  private readonly seenKeys = new Set<string>();
  private fpr: Fingerprinter;
  private explored = 0;
  expanded = 0;
  stoppedBy: ExploreResult['stoppedBy'] = null;
  private root!: Kernel;

  constructor(private readonly s: Settings) {
    for (const id of s.invariants) this.found[id] = null;
    this.pending = new Set<InvariantId>(s.invariants);
    this.pendingList = [...this.pending];
    this.fpr = new Fingerprinter(s.symmetry ? clientSymmetries(s.alphabet) : []);
  }

  symmetries(): number {
    return this.fpr.symmetries.length;
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

  /** Boots and checks the root; the first frontier (empty when the booted machine is a model bug). */
  start(): number[] {
    const { profile, design, invariants } = this.s;
    this.root = Kernel.boot(profile, design);
    // the reduction needs every renaming to fix the booted machine: true when it has no handle
    if (this.root.ion.handles.length > 0) this.fpr = new Fingerprinter([]);
    let t = performance.now();
    if (this.s.exact) {
      const key = this.fpr.exactKey(this.root);
      this.seenKeys.add(key);
      this.keys.push(key);
    } else {
      const { fp } = this.fpr.full(this.root);
      this.seenFp.add(fp);
      this.fpA.push(fp.a);
      this.fpB.push(fp.b);
    }
    this.timing.hash += performance.now() - t;
    t = performance.now();
    const rootViolations = checkStep(this.root, invariants, 'full');
    this.timing.check += performance.now() - t;
    const rootBroken = this.record(rootViolations, () => []);
    if (this.allFound()) this.stoppedBy = 'all-found';
    return rootBroken ? [] : [0];
  }

  /** Expands every state of one level (until a stop condition); the nodes of the next level. */
  expandLevel(frontier: readonly number[]): number[] {
    const next: number[] = [];
    for (const node of frontier) {
      if (this.stoppedBy !== null) break;
      if (this.outOfTime()) {
        this.stoppedBy = 'time-limit';
        break;
      }
      const parent = this.rebuild(node);
      this.expanded++;
      this.expandNode(node, parent, next);
    }
    return next;
  }

  /** Tries every letter of the alphabet on one state, new states appended to `next`; stops are checked after each new state. */
  private expandNode(node: number, parent: Expandable, next: number[]): void {
    const { alphabet, skipUnknownIds } = this.s;
    for (let li = 0; li < alphabet.length; li++) {
      const l = alphabet[li]!;
      if (skipUnknownIds && l.idKind !== null && l.id >= idBound(parent.kernel, l.idKind)) continue;
      const child = this.tryLetter(node, parent, li);
      if (child === null) continue;
      if (!child.broken) next.push(child.node);
      this.stoppedBy = this.stopReason();
      if (this.stoppedBy !== null) break;
    }
  }

  /**
   * Applies one letter to a clone of the state, checks it, and adds it to the tree if its state is
   * new: the new node, or null for a duplicate or an exception. `broken`: a model bug was found.
   */
  private tryLetter(node: number, parent: Expandable, li: number): { node: number; broken: boolean } | null {
    const { timing } = this;
    const l = this.s.alphabet[li]!;
    this.explored++;
    const t = performance.now();
    const child = parent.kernel.clone();
    const t1 = performance.now();
    timing.clone += t1 - t;
    try {
      child.apply(l.op);
    } catch (e) {
      timing.apply += performance.now() - t1;
      this.addBug({ check: 'exception', ops: [...this.pathOf(node), l.op], message: errText(e) });
      return null;
    }
    const t2 = performance.now();
    timing.apply += t2 - t1;
    let key = '';
    let fp: Fp = { a: 0, b: 0 };
    let dup: boolean;
    if (this.s.exact) {
      key = this.fpr.exactKey(child);
      dup = this.seenKeys.has(key);
    } else {
      fp = this.fpr.child(parent.kernel, parent.pages!, child).fp;
      dup = this.seenFp.has(fp);
    }
    const t3 = performance.now();
    timing.hash += t3 - t2;
    if (dup && !this.s.checkDuplicates && child.mm.mmu.creations.length === 0) return null;
    // with nothing pending this still runs type-ok (a model bug is worth knowing about)
    const violations = checkStep(child, this.pendingList, 'incremental');
    timing.check += performance.now() - t3;
    const broken = this.record(violations, () => [...this.pathOf(node), l.op]);
    if (dup) return null;
    if (this.s.exact) {
      this.seenKeys.add(key);
      this.keys.push(key);
    } else {
      this.seenFp.add(fp);
      this.fpA.push(fp.a);
      this.fpB.push(fp.b);
    }
    this.parents.push(node);
    this.letters.push(li);
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

  private outOfTime(): boolean {
    return performance.now() - this.t0 > this.s.timeLimitMs;
  }

  /**
   * The state of a node, rebuilt by replaying its path from the booted machine. Its key is
   * recomputed from scratch and compared with the recorded one, which catches a non-deterministic
   * model and a page changed without being recorded as touched (the incremental fingerprint).
   * Then its checkers' memos are built once, so each child's incremental check starts from them
   * instead of scanning every page.
   */
  private rebuild(node: number): Expandable {
    const t = performance.now();
    const kernel = node === 0 ? this.root : this.root.clone();
    if (node !== 0) for (const op of this.pathOf(node)) kernel.apply(op);
    let pages: Fp | null = null;
    let same: boolean;
    if (this.s.exact) same = this.fpr.exactKey(kernel) === this.keys[node];
    else {
      const full = this.fpr.full(kernel);
      pages = full.pages;
      same = full.fp.a === this.fpA[node] && full.fp.b === this.fpB[node];
    }
    if (!same)
      throw new ExploreError(
        `design '${this.s.design.id}' on '${this.s.profile.id}': replaying ${JSON.stringify(this.pathOf(node))} gave a different state (the model is not deterministic, or an op changed a page without touching it)`,
      );
    const t1 = performance.now();
    this.timing.replay += t1 - t;
    checkStep(kernel, this.pendingList, 'incremental');
    this.timing.check += performance.now() - t1;
    return { kernel, pages };
  }

  private pathOf(node: number): Op[] {
    const ops: Op[] = [];
    for (let n = node; n > 0; n = this.parents[n]!) ops.push(this.s.alphabet[this.letters[n]!]!.op);
    return ops.reverse();
  }

  /** The first (shortest) trace of each distinct model bug, a few at most. */
  private addBug(b: ModelBugFinding): void {
    if (this.modelBugs.length >= MODEL_BUGS_KEPT || this.modelBugs.some((x) => x.message === b.message))
      return;
    this.modelBugs.push(b);
  }

  /** Records the violations of a state: a counterexample per pending invariant; true on a model bug. */
  private record(violations: readonly Violation[], ops: () => Op[]): boolean {
    let modelBug = false;
    for (const v of violations) {
      if (v.invariant === 'type-ok') {
        modelBug = true;
        this.addBug({ check: 'type-ok', ops: ops(), message: v.message });
        continue;
      }
      const id = v.invariant;
      if (!this.pending.has(id)) continue;
      this.pending.delete(id);
      this.pendingList = [...this.pending];
      const path = ops();
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
