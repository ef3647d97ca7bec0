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
  /** The sha256 key with `exact`, else ''. */
  readonly key: string;
}

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

  constructor(private readonly s: ExpandSettings) {
    this.root = Kernel.boot(s.profile, s.design);
    // the reduction needs every renaming to fix the booted machine: true when it has no handle
    const sym = s.symmetry && this.root.ion.handles.length === 0;
    this.fpr = new Fingerprinter(sym ? clientSymmetries(s.alphabet) : []);
  }

  /** A state's key from scratch (and its page part, for its children). */
  keyOf(k: Kernel): { key: StateKey; pages: Fp | null } {
    const t = performance.now();
    let out: { key: StateKey; pages: Fp | null };
    if (this.s.exact) out = { key: { a: 0, b: 0, key: this.fpr.exactKey(k) }, pages: null };
    else {
      const { fp, pages } = this.fpr.full(k);
      out = { key: { a: fp.a, b: fp.b, key: '' }, pages };
    }
    this.timing.hash += performance.now() - t;
    return out;
  }

  /**
   * The state at the end of `path` (letter indices), replayed from the booted machine. Its key
   * is recomputed from scratch and compared with the recorded one, which catches a
   * non-deterministic model and a page changed without being recorded as touched (the
   * incremental fingerprint). Then its checkers' memos are built once, so each child's
   * incremental check starts from them instead of scanning every page.
   */
  rebuild(path: readonly number[], expect: StateKey, pending: readonly InvariantId[]): Expandable {
    const t = performance.now();
    // Kernel.clone(reuse): the previous rebuilt state is done with (its children were expanded)
    const spare = this.lastRebuilt;
    const kernel = path.length === 0 ? this.root : spare ? this.root.clone(spare) : this.root.clone();
    if (path.length > 0) this.lastRebuilt = kernel;
    for (const li of path) kernel.apply(this.s.alphabet[li]!.op);
    this.timing.replay += performance.now() - t;
    const { key, pages } = this.keyOf(kernel);
    if (key.a !== expect.a || key.b !== expect.b || key.key !== expect.key)
      throw new ExploreError(
        `design '${this.s.design.id}' on '${this.s.profile.id}': replaying ${JSON.stringify(this.opsOf(path))} gave a different state (the model is not deterministic, or an op changed a page without touching it)`,
      );
    const t1 = performance.now();
    checkStep(kernel, pending, 'incremental');
    this.timing.check += performance.now() - t1;
    return { kernel, pages };
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
    let spare: Kernel | null = null;
    for (let li = 0; li < alphabet.length; li++) {
      const l = alphabet[li]!;
      if (skipUnknownIds && l.idKind !== null && l.id >= idBound(parent.kernel, l.idKind)) continue;
      const t = performance.now();
      // Kernel.clone(reuse): the previous child is done with, so this one takes its storage over
      // and restores only what the previous op changed
      const child: Kernel = spare ? parent.kernel.clone(spare) : parent.kernel.clone();
      this.timing.clone += performance.now() - t;
      spare = child;
      if (!take(this.tryLetter(parent, child, li, pending, known))) return;
    }
  }

  private tryLetter(
    parent: Expandable,
    child: Kernel,
    li: number,
    pending: readonly InvariantId[],
    known: (k: StateKey) => boolean,
  ): Outcome {
    const { timing } = this;
    const t1 = performance.now();
    try {
      child.apply(this.s.alphabet[li]!.op);
    } catch (e) {
      timing.apply += performance.now() - t1;
      return { li, exception: errText(e), a: 0, b: 0, key: '', creations: false, violations: null };
    }
    const t2 = performance.now();
    timing.apply += t2 - t1;
    let key: StateKey;
    if (this.s.exact) key = { a: 0, b: 0, key: this.fpr.exactKey(child) };
    else {
      const { fp } = this.fpr.child(parent.kernel, parent.pages!, child);
      key = { a: fp.a, b: fp.b, key: '' };
    }
    const t3 = performance.now();
    timing.hash += t3 - t2;
    const creations = child.mm.mmu.creations.length > 0;
    if (!this.s.checkDuplicates && !creations && known(key))
      return { li, exception: null, ...key, creations, violations: null };
    // with nothing pending this still runs type-ok (a model bug is worth knowing about)
    const violations = checkStep(child, pending, 'incremental');
    timing.check += performance.now() - t3;
    return { li, exception: null, ...key, creations, violations };
  }
}
