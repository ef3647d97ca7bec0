/**
 * The explorer's frontier spread over worker processes (`ionck explore --workers N`): each level's
 * frontier is dealt round robin into N runs, each worker (./shard-worker.ts) rebuilds and expands its
 * run and sends back every outcome, and the parent's search tree takes the outcomes in frontier
 * order, letters in alphabet order: exactly the order the inline search takes them in. Every
 * decision (new or known state, counterexample, stop) is the tree's, on the same outcomes, so the
 * result (counterexamples, distinct and explored counts, depth completed) is the inline one; only
 * the time split differs (it sums the workers' time). A worker skips checking a transition into a
 * state it knows; it knows a subset of what the tree knows when it takes that outcome (earlier
 * levels, plus its own run so far), so every transition the tree needs checked was checked.
 *
 * Built-in (and zoo) designs only: a worker loads the design by id. Plugin designs run in a child
 * process of their own (src/cli/explore.ts) and are searched inline there.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { ExploreError } from '../errors.ts';
import { builtinDesign } from '../model/designs/index.ts';
import { forkEntry } from '../properties/worker-entry.ts';
import type { Outcome } from './expand.ts';
import {
  type ExploreOptions,
  type ExploreResult,
  exploreWith,
  type LevelSource,
  resolveDesignArg,
  type Search,
  type Settings,
} from './search.ts';
import type { ShardInit, ShardLevel, ShardOutcomes, ShardReply, ShardRequest } from './shard-worker.ts';

const shardEntry = () => forkEntry(new URL('./shard-worker.ts', import.meta.url));

/** One worker process and its one outstanding request. */
class Shard {
  private readonly child: ChildProcess;
  private waiting: ((r: ShardReply) => void) | null = null;
  private exited: string | null = null;

  constructor() {
    const { file, execArgv } = shardEntry();
    this.child = fork(file, [], {
      execArgv,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    this.child.on('message', (r: ShardReply) => {
      const w = this.waiting;
      this.waiting = null;
      w?.(r);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = `a shard worker exited (${signal ?? `code ${code}`})`;
      const w = this.waiting;
      this.waiting = null;
      w?.({ error: this.exited });
    });
  }

  ask(req: ShardRequest): Promise<ShardReply> {
    if (this.exited) return Promise.resolve({ error: this.exited });
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.child.send(req);
    });
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
  }
}

function failed(r: ShardReply): string | null {
  return 'error' in r ? r.error : null;
}

/** The outcomes of one state, unpacked from its worker's arrays. */
function* outcomesOf(o: ShardOutcomes, from: number, count: number, bad: BadMaps): Generator<Outcome> {
  for (let j = from; j < from + count; j++) {
    const f = o.flags[j]!;
    yield {
      li: o.li[j]!,
      a: o.a[j]!,
      b: o.b[j]!,
      pa: o.pa[j]!,
      pb: o.pb[j]!,
      key: o.keys[j] ?? '',
      exception: bad.exceptions.get(j) ?? null,
      creations: (f & 1) !== 0,
      violations: (f & 2) !== 0 ? (bad.violations.get(j) ?? []) : null,
    };
  }
}

interface BadMaps {
  readonly violations: Map<number, ShardOutcomes['violations'][number][1]>;
  readonly exceptions: Map<number, string>;
}

/** The workers of one search. */
class ShardPool {
  private sent = 0;

  constructor(private readonly shards: readonly Shard[]) {}

  static async start(n: number, init: ShardInit): Promise<ShardPool> {
    const pool = new ShardPool(Array.from({ length: n }, () => new Shard()));
    const replies = await Promise.all(pool.shards.map((s) => s.ask({ init })));
    const err = replies.map(failed).find((e) => e !== null);
    if (err) {
      pool.close();
      throw new ExploreError(err);
    }
    return pool;
  }

  /** Expands one level on the workers; the outcomes as the tree takes them. */
  async level(search: Search, frontier: readonly number[]): Promise<LevelSource> {
    const exact = search.s.exact;
    // the states reached since the last level, for the workers' copies of the visited set
    const fresh = Array.from({ length: search.size - this.sent }, (_, i) => search.keyOfNode(this.sent + i));
    this.sent = search.size;
    const seenA = Uint32Array.from(exact ? [] : fresh.map((k) => k.a));
    const seenB = Uint32Array.from(exact ? [] : fresh.map((k) => k.b));
    const seenKeys = exact ? fresh.map((k) => k.key) : [];
    const n = this.shards.length;
    // round robin: later states have more ids, hence more letters, so runs stay even
    const runs = Array.from({ length: n }, (_, w) => frontier.filter((_, i) => i % n === w));
    const replies = await Promise.all(
      this.shards.map((s, w) => {
        const keys = runs[w]!.map((node) => search.keyOfNode(node));
        const level: ShardLevel = {
          paths: runs[w]!.map((node) => search.pathLetters(node)),
          a: Uint32Array.from(keys.map((k) => k.a)),
          b: Uint32Array.from(keys.map((k) => k.b)),
          pa: Uint32Array.from(keys.map((k) => k.pa)),
          pb: Uint32Array.from(keys.map((k) => k.pb)),
          nodes: Int32Array.from(runs[w]!),
          keys: exact ? keys.map((k) => k.key) : [],
          pending: search.pendingList,
          seenA,
          seenB,
          seenKeys,
          deadline: Number.isFinite(search.s.timeLimitMs) ? Date.now() + search.remainingMs() : null,
        };
        return s.ask({ level });
      }),
    );
    // where each frontier state's outcomes are: its worker's arrays, from an offset
    const at = new Map<number, { o: ShardOutcomes; from: number; count: number; bad: BadMaps }>();
    for (let w = 0; w < n; w++) {
      const r = replies[w]!;
      if ('error' in r) throw new ExploreError(r.error);
      if (!('outcomes' in r)) throw new ExploreError('a shard worker answered a level with no outcomes');
      const o = r.outcomes;
      for (const k of Object.keys(o.timing) as (keyof typeof o.timing)[]) search.elsewhere[k] += o.timing[k];
      const bad: BadMaps = { violations: new Map(o.violations), exceptions: new Map(o.exceptions) };
      let from = 0;
      runs[w]!.forEach((node, i) => {
        const count = o.counts[i]!;
        if (count < 0) return;
        at.set(node, { o, from, count, bad });
        from += count;
      });
    }
    return () => ({
      has: (node) => at.has(node),
      each: (node, take) => {
        const where = at.get(node)!;
        for (const out of outcomesOf(where.o, where.from, where.count, where.bad)) if (!take(out)) return;
      },
    });
  }

  close(): void {
    for (const s of this.shards) s.close();
  }
}

/**
 * The bounded search with each level spread over `workers` processes: the same result as
 * `explore(opts)`. Built-in and zoo designs only (a worker loads the design by id).
 */
export async function exploreSharded(opts: ExploreOptions, workers: number): Promise<ExploreResult> {
  const design = resolveDesignArg(opts.design);
  if (design.source !== undefined || builtinDesign(design.id) !== design)
    throw new ExploreError(`--workers needs a built-in design, not '${design.id}'`);
  let pool: ShardPool | null = null;
  try {
    return await exploreWith(
      opts,
      async (search, frontier) => {
        pool ??= await ShardPool.start(workers, initOf(search.s));
        return pool.level(search, frontier);
      },
      workers,
    );
  } finally {
    (pool as ShardPool | null)?.close();
  }
}

function initOf(s: Settings): ShardInit {
  return {
    design: s.design.id,
    profile: s.profile.id,
    alphabet: s.alphabet,
    skipUnknownIds: s.skipUnknownIds,
    checkDuplicates: s.checkDuplicates,
    exact: s.exact,
    symmetry: s.symmetry,
  };
}
