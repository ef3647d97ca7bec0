/**
 * Expanding one state of the search (./search.ts): rebuild it by replaying its path from the booted
 * machine, then apply each letter of the alphabet to a clone, fingerprint the child and check it.
 * What each letter gave is an Outcome, which the search tree takes in alphabet order; the same
 * code runs inline and in the shard workers (./shards.ts), so both produce the same outcomes.
 */
import { performance } from 'node:perf_hooks';
import { ExploreError } from '../errors.ts';
import type { Design } from '../model/designs/design.ts';
import { Kernel } from '../model/kernel.ts';
import type { Op } from '../model/ops.ts';
import type { Profile } from '../model/profile.ts';
import { checkStep, type InvariantId, type Violation } from '../spec/index.ts';
import type { IdKind, Letter } from './alphabet.ts';
import { clientSymmetries, Fingerprinter, type Fp } from './fingerprint.ts';

/** A state's identity in the visited set: a 64-bit fingerprint (a, b), or a full key (exact). */
export interface StateKey {
  readonly a: number;
  readonly b: number;
  /** The fingerprint's page part (for the state's children; 0 with exact). */
  readonly pa: number;
  readonly pb: number;
  /** The sha256 key with `exact`, else ''. */
  readonly key: string;
}

/** Rebuilt states whose page part is recomputed from scratch: one in this many (and the root). */
export const PAGE_CHECK_EVERY = 8;

/** What trying one letter on a state gave. */
export interface Outcome extends StateKey {
  /** The letter's index in the alphabet. */
  readonly li: number;
  /** The op threw (a model or design bug): its message; nothing else is set. */
  readonly exception: string | null;
  /** The op created a mapping: the transition is checked even into a known state. */
  readonly creations: boolean;
  /** The violations after the op, or null when not checked (a known state, no mapping created). */
  readonly violations: readonly Violation[] | null;
}

export interface ExpandSettings {
  readonly profile: Profile;
  readonly design: Design;
  readonly alphabet: readonly Letter[];
  readonly skipUnknownIds: boolean;
  readonly checkDuplicates: boolean;
  readonly exact: boolean;
  readonly symmetry: boolean;
}

/** A state to expand: the kernel and, with fingerprints, its page part (for its children's). */
export interface Expandable {
  readonly kernel: Kernel;
  readonly pages: Fp | null;
}

export type Timing = { clone: number; apply: number; hash: number; check: number; replay: number };

export const zeroTiming = (): Timing => ({ clone: 0, apply: 0, hash: 0, check: 0, replay: 0 });

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

export const errText = (e: unknown): string =>
  e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e);

/** One process's expansion machinery: the booted machine, the fingerprinter, the time split. */
export class Expander {
  readonly timing = zeroTiming();
  readonly root: Kernel;
  readonly fpr: Fingerprinter;
  /** The last state rebuilt (a clone of the root): the next rebuild takes its storage over. */
  private lastRebuilt: Kernel | null = null;
  /** The last child tried (of this or an earlier state): the next child takes its storage over. */
  private lastChild: Kernel | null = null;
  /** The root's checker memos are built (replayed states start from them). */
  private rootChecked = false;

  constructor(private readonly s: ExpandSettings) {
    this.root = Kernel.boot(s.profile, s.design);
    // the reduction needs every renaming to fix the booted machine: true when it has no handle
    const sym = s.symmetry && this.root.ion.handles.length === 0;
    this.fpr = new Fingerprinter(sym ? clientSymmetries(s.alphabet) : []);
  }

  /** A state's key from scratch: O(pages). */
  keyOf(k: Kernel): StateKey {
    const t = performance.now();
    let out: StateKey;
    if (this.s.exact) out = { a: 0, b: 0, pa: 0, pb: 0, key: this.fpr.exactKey(k) };
    else {
      const { fp, pages } = this.fpr.full(k);
      out = { a: fp.a, b: fp.b, pa: pages.a, pb: pages.b, key: '' };
    }
    this.timing.hash += performance.now() - t;
    return out;
  }

  /**
   * The state at the end of `path` (letter indices), replayed from the booted machine (the n-th
   * state rebuilt in this process). Each replayed op is checked incrementally, so the state's
   * checker memos are up to date at O(touched) per op and each child's check starts from them.
   * Its key is recomputed and compared with the recorded one, which catches a non-deterministic
   * model: the small structures every time, the page part (O(pages)) one rebuild in
   * PAGE_CHECK_EVERY, which also catches a page changed without being recorded as touched.
   */
  rebuild(path: readonly number[], expect: StateKey, pending: readonly InvariantId[], n: number): Expandable {
    const t = performance.now();
    if (!this.rootChecked) {
      checkStep(this.root, pending, 'incremental');
      this.rootChecked = true;
    }
    // Kernel.clone(reuse): the previous rebuilt state is done with (its children were expanded)
    const spare = this.lastRebuilt;
    const kernel = path.length === 0 ? this.root : spare ? this.root.clone(spare) : this.root.clone();
    if (path.length > 0) this.lastRebuilt = kernel;
    for (const li of path) {
      kernel.apply(this.s.alphabet[li]!.op);
      checkStep(kernel, pending, 'incremental');
    }
    this.timing.replay += performance.now() - t;
    let key: StateKey;
    if (this.s.exact || path.length === 0 || n % PAGE_CHECK_EVERY === 0) key = this.keyOf(kernel);
    else {
      const t1 = performance.now();
      // the parts of the structures the replay left as the root had them come from the root's
      const fp = this.fpr.finish(kernel, { a: expect.pa, b: expect.pb }, this.root, true);
      key = { a: fp.a, b: fp.b, pa: expect.pa, pb: expect.pb, key: '' };
      this.timing.hash += performance.now() - t1;
    }
    if (
      key.a !== expect.a ||
      key.b !== expect.b ||
      key.pa !== expect.pa ||
      key.pb !== expect.pb ||
      key.key !== expect.key
    )
      throw new ExploreError(
        `design '${this.s.design.id}' on '${this.s.profile.id}': replaying ${JSON.stringify(this.opsOf(path))} gave a different state (the model is not deterministic, or an op changed a page without touching it)`,
      );
    return { kernel, pages: this.s.exact ? null : { a: key.pa, b: key.pb } };
  }

  opsOf(path: readonly number[]): Op[] {
    return path.map((li) => this.s.alphabet[li]!.op);
  }

  /**
   * Tries the letters of the alphabet on `parent` in order, handing each outcome to `take`
   * (which returns false to stop). `known` says whether a key is in the visited set: a known
   * state is checked only when the op created a mapping (see ./search.ts).
   */
  expand(
    parent: Expandable,
    pending: readonly InvariantId[],
    known: (k: StateKey) => boolean,
    take: (o: Outcome) => boolean,
  ): void {
    const { alphabet, skipUnknownIds } = this.s;
    // the first child copies all of the parent over the last child of the previous state
    let sibling = false;
    for (let li = 0; li < alphabet.length; li++) {
      const l = alphabet[li]!;
      if (skipUnknownIds && l.idKind !== null && l.id >= idBound(parent.kernel, l.idKind)) continue;
      const t = performance.now();
      // Kernel.clone(reuse): the previous child is done with, so this one takes its storage over
      // and restores only what the previous op changed
      const spare = this.lastChild;
      const child: Kernel = !spare
        ? parent.kernel.clone()
        : sibling
          ? parent.kernel.clone(spare)
          : parent.kernel.cloneOver(spare);
      // the clone's end is the apply's start: one clock read fewer per transition
      const t1 = performance.now();
      this.timing.clone += t1 - t;
      this.lastChild = child;
      sibling = true;
      if (!take(this.tryLetter(parent, child, li, pending, known, t1))) return;
    }
  }

  private tryLetter(
    parent: Expandable,
    child: Kernel,
    li: number,
    pending: readonly InvariantId[],
    known: (k: StateKey) => boolean,
    t1: number,
  ): Outcome {
    const { timing } = this;
    try {
      child.apply(this.s.alphabet[li]!.op);
    } catch (e) {
      timing.apply += performance.now() - t1;
      return {
        li,
        exception: errText(e),
        a: 0,
        b: 0,
        pa: 0,
        pb: 0,
        key: '',
        creations: false,
        violations: null,
      };
    }
    const t2 = performance.now();
    timing.apply += t2 - t1;
    const creations = child.mm.mmu.creations.length > 0;
    // the outcome is the child's key too: one object per transition
    const o: { -readonly [K in keyof Outcome]: Outcome[K] } = {
      li,
      exception: null,
      a: 0,
      b: 0,
      pa: 0,
      pb: 0,
      key: '',
      creations,
      violations: null,
    };
    if (this.s.exact) o.key = this.fpr.exactKey(child);
    else {
      const { fp, pages } = this.fpr.child(parent.kernel, parent.pages!, child);
      o.a = fp.a;
      o.b = fp.b;
      o.pa = pages.a;
      o.pb = pages.b;
    }
    const t3 = performance.now();
    timing.hash += t3 - t2;
    if (!this.s.checkDuplicates && !creations && known(o)) return o;
    // with nothing pending this still runs type-ok (a model bug is worth knowing about)
    o.violations = checkStep(child, pending, 'incremental');
    timing.check += performance.now() - t3;
    return o;
  }
}
