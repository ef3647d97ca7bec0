/**
 * A shard worker of the explorer (`ionck explore --workers N`, ./shards.ts): a child process that
 * boots the design once, then for each level expands the states it is given (their paths from the
 * booted machine) and sends back every outcome, packed in typed arrays. It keeps its own copy of
 * the visited set (the states of earlier levels, sent with each level, plus those it reached
 * itself), only to skip checking transitions into states it knows: the tree, and every decision
 * that shapes the result, stays with the parent.
 */
import { builtinDesign } from '../model/designs/index.ts';
import { resolveProfile } from '../model/profile.ts';
import type { InvariantId, Violation } from '../spec/index.ts';
import type { Letter } from './alphabet.ts';
import { Expander, type Outcome, type StateKey, type Timing, zeroTiming } from './expand.ts';
import { FpSet } from './fingerprint.ts';

export interface ShardInit {
  readonly design: string;
  readonly profile: string;
  readonly alphabet: readonly Letter[];
  readonly skipUnknownIds: boolean;
  readonly checkDuplicates: boolean;
  readonly exact: boolean;
  readonly symmetry: boolean;
}

export interface ShardLevel {
  /** Per state to expand: its path (letter indices) and its key. */
  readonly paths: readonly (readonly number[])[];
  readonly a: Uint32Array;
  readonly b: Uint32Array;
  readonly pa: Uint32Array;
  readonly pb: Uint32Array;
  /** Node numbers (which rebuilds recompute the page part). */
  readonly nodes: Int32Array;
  readonly keys: readonly string[];
  readonly pending: readonly InvariantId[];
  /** States reached since the last level (fingerprint lanes, or keys with exact). */
  readonly seenA: Uint32Array;
  readonly seenB: Uint32Array;
  readonly seenKeys: readonly string[];
  /** Stop expanding at this wall-clock time (Date.now(); the search's --time-limit), or null. */
  readonly deadline: number | null;
}

/** Every outcome of a level's states, in order: `counts[i]` of them for state i (-1: not expanded, out of time). */
export interface ShardOutcomes {
  readonly counts: Int32Array;
  readonly li: Int32Array;
  readonly a: Uint32Array;
  readonly b: Uint32Array;
  readonly pa: Uint32Array;
  readonly pb: Uint32Array;
  /** Bit 0: the op created a mapping; bit 1: the transition was checked. */
  readonly flags: Uint8Array;
  readonly keys: readonly string[];
  /** [outcome index, violations] for checked transitions with violations. */
  readonly violations: readonly [number, readonly Violation[]][];
  /** [outcome index, message] for ops that threw. */
  readonly exceptions: readonly [number, string][];
  readonly timing: Timing;
}

export type ShardRequest = { readonly init: ShardInit } | { readonly level: ShardLevel };
export type ShardReply =
  | { readonly ok: true }
  | { readonly outcomes: ShardOutcomes }
  | { readonly error: string };

/** A growable typed array of outcomes' numbers. */
class Column<T extends Int32Array | Uint32Array | Uint8Array> {
  n = 0;
  constructor(private data: T) {}
  push(x: number): void {
    if (this.n === this.data.length) {
      const bigger = new (this.data.constructor as new (n: number) => T)(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.n++] = x;
  }
  done(): T {
    return this.data.slice(0, this.n) as T;
  }
}

let expander: Expander | null = null;
let exact = false;
const seen = new FpSet();
const seenKeys = new Set<string>();

function init(i: ShardInit): ShardReply {
  const design = builtinDesign(i.design);
  if (!design) return { error: `unknown design '${i.design}'` };
  exact = i.exact;
  expander = new Expander({ ...i, profile: resolveProfile(i.profile), design });
  return { ok: true };
}

const known = (k: StateKey): boolean => (exact ? seenKeys.has(k.key) : seen.has(k));

function level(l: ShardLevel): ShardReply {
  const ex = expander;
  if (!ex) return { error: 'shard worker: level before init' };
  for (let i = 0; i < l.seenA.length; i++) seen.add({ a: l.seenA[i]!, b: l.seenB[i]! });
  for (const k of l.seenKeys) seenKeys.add(k);
  const t0 = { ...ex.timing };
  const counts = new Int32Array(l.paths.length);
  const li = new Column(new Int32Array(1024));
  const a = new Column(new Uint32Array(1024));
  const b = new Column(new Uint32Array(1024));
  const pa = new Column(new Uint32Array(1024));
  const pb = new Column(new Uint32Array(1024));
  const flags = new Column(new Uint8Array(1024));
  const keys: string[] = [];
  const violations: [number, readonly Violation[]][] = [];
  const exceptions: [number, string][] = [];
  const take = (o: Outcome): boolean => {
    const at = li.n;
    li.push(o.li);
    a.push(o.a);
    b.push(o.b);
    pa.push(o.pa);
    pb.push(o.pb);
    flags.push((o.creations ? 1 : 0) | (o.violations !== null ? 2 : 0));
    if (exact) keys.push(o.key);
    if (o.exception !== null) exceptions.push([at, o.exception]);
    else if (!known(o)) exact ? seenKeys.add(o.key) : seen.add(o);
    if (o.violations !== null && o.violations.length > 0) violations.push([at, o.violations]);
    return true;
  };
  counts.fill(-1);
  for (let i = 0; i < l.paths.length; i++) {
    if (l.deadline !== null && Date.now() > l.deadline) break;
    const before = li.n;
    const key = { a: l.a[i]!, b: l.b[i]!, pa: l.pa[i]!, pb: l.pb[i]!, key: l.keys[i] ?? '' };
    const parent = ex.rebuild(l.paths[i]!, key, l.pending, l.nodes[i]!);
    ex.expand(parent, l.pending, known, take);
    counts[i] = li.n - before;
  }
  const timing = zeroTiming();
  for (const k of Object.keys(timing) as (keyof Timing)[]) timing[k] = ex.timing[k] - t0[k];
  return {
    outcomes: {
      counts,
      li: li.done(),
      a: a.done(),
      b: b.done(),
      pa: pa.done(),
      pb: pb.done(),
      flags: flags.done(),
      keys,
      violations,
      exceptions,
      timing,
    },
  };
}

process.on('message', (m: ShardRequest) => {
  let reply: ShardReply;
  try {
    reply = 'init' in m ? init(m.init) : level(m.level);
  } catch (e) {
    reply = { error: e instanceof Error ? e.message.split('\n')[0]! : String(e) };
  }
  process.send?.(reply);
});
process.on('disconnect', () => process.exit(0));
