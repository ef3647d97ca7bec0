/**
 * Greedy delta debugging of a concrete counterexample: remove ops one at a time (and an op
 * together with the ops that use what it created) while the SAME finding still occurs, then
 * simplify the remaining ops' fields. Ids are renumbered as the kernel hands them out again, so
 * removing an early alloc does not strand a later kmap of a later handle. Works on plain ops, so
 * it needs nothing from the generators.
 */
import { match, P } from 'ts-pattern';
import { HEAP_NAMES, type HeapName } from '../model/ion/heap.ts';
import type { Kernel, OpResult } from '../model/kernel.ts';
import { createsNs, type Op, refOf } from '../model/ops.ts';
import { PAGE_SIZE } from '../model/types.ts';
import type { CheckMode, InvariantId } from '../spec/index.ts';
import { type FindingId, InvariantFailure, MODEL_EXCEPTION, RunSession, type Watch } from './commands.ts';

/** A trace that shows a finding: its ops up to and including the step that shows it. */
export interface Reproducer {
  readonly ops: readonly Op[];
  readonly results: readonly OpResult[];
  readonly failure: InvariantFailure;
}

export function watchFor(target: FindingId, mode: CheckMode): Watch {
  const isInv = target !== 'type-ok' && target !== MODEL_EXCEPTION;
  return {
    invariants: isInv ? [target as InvariantId] : [],
    typeOk: target === 'type-ok',
    exceptions: target === MODEL_EXCEPTION,
    mode,
  };
}

/** Run ops on a fresh kernel and stop at the target finding: the reproducer, or null. */
export function reproduce(
  fresh: () => Kernel,
  ops: readonly Op[],
  target: FindingId,
  mode: CheckMode,
): Reproducer | null {
  const session = new RunSession(fresh(), watchFor(target, mode));
  try {
    for (const op of ops) session.step(op);
  } catch (e) {
    if (e instanceof InvariantFailure && e.invariant === target)
      return { ops: session.ops.slice(), results: session.results.slice(), failure: e };
    return null; // another kind of failure (a skipped run): not this finding
  }
  return null;
}

/** For each op, the earlier ops that returned the id it refers to (latest last). */
function creatorsOf(ops: readonly Op[], results: readonly (OpResult | undefined)[]): number[][] {
  const made = new Map<string, number[]>();
  const out: number[][] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const ref = refOf(op);
    out.push(ref ? [...(made.get(`${ref.ns}:${ref.id}`) ?? [])] : []);
    const ns = createsNs(op);
    const r = results[i];
    if (ns && r?.ok && r.value !== undefined) {
      const key = `${ns}:${r.value}`;
      const list = made.get(key) ?? [];
      list.push(i);
      made.set(key, list);
    }
  }
  return out;
}

/**
 * Run the ops kept by `keep` (with `patch` replacing some), renumbering ids: a reference to an
 * object made by a kept op follows the id that op gets in this run.
 */
function runKept(
  fresh: () => Kernel,
  trace: Reproducer,
  creators: number[][],
  keep: readonly boolean[],
  target: FindingId,
  mode: CheckMode,
  patch?: { index: number; op: Op },
): Reproducer | null {
  const session = new RunSession(fresh(), watchFor(target, mode));
  const value = new Map<number, number>();
  try {
    for (let i = 0; i < trace.ops.length; i++) {
      if (!keep[i]) continue;
      let op = patch && patch.index === i ? patch.op : trace.ops[i]!;
      const ref = refOf(op);
      if (ref) {
        const cs = creators[i]!;
        for (let j = cs.length - 1; j >= 0; j--) {
          const v = value.get(cs[j]!);
          if (v !== undefined) {
            if (v !== ref.id) op = { ...op, [ref.field]: v } as Op;
            break;
          }
        }
      }
      const r = session.step(op);
      if (r.ok && r.value !== undefined && createsNs(op)) value.set(i, r.value);
    }
  } catch (e) {
    if (e instanceof InvariantFailure && e.invariant === target)
      return { ops: session.ops.slice(), results: session.results.slice(), failure: e };
    return null;
  }
  return null;
}

/** Ops that (transitively) use what op i created. */
function dependents(i: number, creators: number[][]): number[] {
  const dead = new Set([i]);
  for (let j = i + 1; j < creators.length; j++) if (creators[j]!.some((c) => dead.has(c))) dead.add(j);
  dead.delete(i);
  return [...dead];
}

export interface MinimizeBudget {
  /** Most candidate runs to try (each boots a fresh kernel). */
  readonly runsMax: number;
  /** performance.now() deadline, or Infinity. */
  readonly deadline: number;
}

export interface MinimizeStats {
  runs: number;
  opsApplied: number;
}

/** Greedy delta debugging to a 1-minimal trace (no single op or op-with-users can go). */
export function minimizeOps(
  fresh: () => Kernel,
  start: Reproducer,
  target: FindingId,
  mode: CheckMode,
  budget: MinimizeBudget,
  stats: MinimizeStats = { runs: 0, opsApplied: 0 },
  heaps: readonly HeapName[] = HEAP_NAMES,
): Reproducer {
  const m = new Minimizer(fresh, start, target, mode, budget, stats);
  m.removePasses();
  m.siblingPass();
  if (m.simplifyPass(heaps)) m.removePasses();
  m.renamePass();
  return m.cur;
}

/** The passes of minimizeOps over one current trace, within one budget. */
class Minimizer {
  constructor(
    private readonly fresh: () => Kernel,
    public cur: Reproducer,
    private readonly target: FindingId,
    private readonly mode: CheckMode,
    private readonly budget: MinimizeBudget,
    private readonly stats: MinimizeStats,
  ) {}

  private spent(): boolean {
    return this.stats.runs >= this.budget.runsMax || performance.now() > this.budget.deadline;
  }

  /** The current trace with only the kept ops (one patched), if it still shows the finding. */
  private attempt(keep: boolean[], patch?: { index: number; op: Op }): Reproducer | null {
    this.stats.runs++;
    const creators = creatorsOf(this.cur.ops, this.cur.results);
    const r = runKept(this.fresh, this.cur, creators, keep, this.target, this.mode, patch);
    this.stats.opsApplied += r ? r.ops.length : keep.filter(Boolean).length;
    return r;
  }

  /** Drop an op (first with the ops that use what it made, then alone) until none can go. */
  removePasses(): void {
    let changed = true;
    while (changed && !this.spent()) {
      changed = false;
      for (let i = this.cur.ops.length - 1; i >= 0 && !this.spent(); i--) {
        if (i < this.cur.ops.length && this.dropOne(i)) changed = true;
      }
    }
  }

  private dropOne(i: number): boolean {
    const deps = dependents(i, creatorsOf(this.cur.ops, this.cur.results));
    const candidates: number[][] = deps.length > 0 ? [[i, ...deps], [i]] : [[i]];
    for (const drop of candidates) {
      if (this.spent()) break;
      const r = this.attempt(this.cur.ops.map((_, j) => !drop.includes(j)));
      if (r && r.ops.length < this.cur.ops.length) {
        this.cur = r;
        return true;
      }
    }
    return false;
  }

  /**
   * An op swapped for another on the same object, the ops that used what it made dropped (share
   * then mmap of the fd, or a kmap of the handle): kept only when the trace gets shorter.
   */
  siblingPass(): void {
    for (let i = 0; i < this.cur.ops.length && !this.spent(); i++) {
      const deps = dependents(i, creatorsOf(this.cur.ops, this.cur.results));
      for (const op of siblings(this.cur.ops[i]!)) {
        if (this.spent()) break;
        const r = this.attempt(
          this.cur.ops.map((_, j) => !deps.includes(j)),
          { index: i, op },
        );
        if (r && r.ops.length < this.cur.ops.length) {
          this.cur = r;
          this.removePasses();
          break;
        }
      }
    }
  }

  /**
   * Simplify each op's fields in turn (keeping the length; each variant is strictly simpler), and
   * try each alloc on the other heaps (kept only when the trace gets shorter). True if any changed.
   */
  simplifyPass(heaps: readonly HeapName[]): boolean {
    let simplified = false;
    for (let i = 0; i < this.cur.ops.length && !this.spent(); i++) {
      while (!this.spent() && i < this.cur.ops.length && this.simplifyOne(i, heaps)) simplified = true;
    }
    return simplified;
  }

  private simplifyOne(i: number, heaps: readonly HeapName[]): boolean {
    const op = this.cur.ops[i]!;
    const variants = [
      ...simpler(op).map((v) => ({ op: v, shorter: false })),
      ...otherHeaps(op, heaps).map((v) => ({ op: v, shorter: true })),
    ];
    for (const v of variants) {
      if (this.spent()) break;
      const r = this.attempt(
        this.cur.ops.map(() => true),
        { index: i, op: v.op },
      );
      const len = this.cur.ops.length;
      if (r && (v.shorter ? r.ops.length < len : r.ops.length <= len)) {
        this.cur = r;
        return true;
      }
    }
    return false;
  }

  /** Name clients 0, 1, ... in order of first use. */
  renamePass(): void {
    const renamed = renameClients(this.cur.ops);
    if (this.spent() || JSON.stringify(renamed) === JSON.stringify(this.cur.ops)) return;
    this.stats.runs++;
    const r = reproduce(this.fresh, renamed, this.target, this.mode);
    if (r && r.ops.length <= this.cur.ops.length) this.cur = r;
  }
}

/** Clients renamed 0, 1, ... in order of first use (a canonical form; ids stay as they are). */
export function renameClients(ops: readonly Op[]): Op[] {
  const names = new Map<number, number>();
  const name = (c: number) => {
    let n = names.get(c);
    if (n === undefined) {
      n = names.size;
      names.set(c, n);
    }
    return n;
  };
  return ops.map((op) => ('client' in op ? ({ ...op, client: name(op.client) } as Op) : op));
}

/**
 * The other ops on the object an op names (the same handle, fd or mapping): a kmap for a share, a
 * write for a munmap; the object is the op table's ref (OP_TABLE). Not simpler in themselves, so a
 * swap is kept only when the trace gets shorter.
 */
export function siblings(op: Op): Op[] {
  const ref = refOf(op);
  if (!ref) return [];
  return match(ref.ns)
    .with('handle', () => {
      if (!('client' in op)) return [];
      const { client } = op;
      const handle = ref.id;
      return (['kmap', 'share', 'kunmap', 'free'] as const)
        .filter((k) => k !== op.op)
        .map((k): Op => ({ op: k, client, handle }));
    })
    .with('fd', () => {
      const fd = ref.id;
      const all: Op[] = [
        { op: 'mmap', fd },
        { op: 'import', client: 0, fd },
        { op: 'dma-map', fd, device: 'gpu' },
        { op: 'close', fd },
      ];
      return all.filter((o) => o.op !== op.op);
    })
    .with('vma', () => {
      const all: Op[] = [
        { op: 'write', vma: ref.id },
        { op: 'munmap', vma: ref.id },
      ];
      return all.filter((o) => o.op !== op.op);
    })
    .with('area', () => [])
    .exhaustive();
}

/**
 * The same request on the other heaps: not simpler in itself, so a swap is kept only when it
 * makes the trace shorter (the finding shows earlier), which also rules out cycles.
 */
export function otherHeaps(op: Op, heaps: readonly HeapName[] = HEAP_NAMES): Op[] {
  if (op.op !== 'alloc') return [];
  return heaps.filter((h) => h !== op.heap).map((heap) => ({ ...op, heap }));
}

/** Simpler variants of an op, simplest first: fewer optional fields, smaller sizes. */
export function simpler(op: Op): Op[] {
  const out: Op[] = match(op)
    .with({ op: 'alloc' }, (op) => {
      const out: Op[] = [];
      const { align, cached, ...base } = op;
      if (align !== undefined) out.push({ ...base, ...(cached !== undefined ? { cached } : {}) });
      if (cached === false) out.push({ ...base, ...(align !== undefined ? { align } : {}) });
      const rest = { ...(align !== undefined ? { align } : {}), ...(cached !== undefined ? { cached } : {}) };
      for (const len of [PAGE_SIZE, 1 << 20, Math.ceil(op.len / 2 / PAGE_SIZE) * PAGE_SIZE])
        if (len < op.len && len > 0) out.push({ ...base, len, ...rest });
      if (op.len % PAGE_SIZE !== 0)
        out.push({ ...base, len: Math.ceil(op.len / PAGE_SIZE) * PAGE_SIZE, ...rest });
      if (op.client !== 0) out.push({ ...op, client: 0 });
      return out;
    })
    .with({ op: 'mmap' }, (op): Op[] =>
      op.pgoff !== undefined || op.pages !== undefined ? [{ op: 'mmap', fd: op.fd }] : [],
    )
    .with({ op: 'driver-vmap' }, (op) =>
      [1, Math.ceil(op.pages / 2)]
        .filter((pages) => pages < op.pages)
        .map((pages): Op => ({ op: 'driver-vmap', pages })),
    )
    .with({ op: 'import' }, (op): Op[] => (op.client !== 0 ? [{ ...op, client: 0 }] : []))
    .with(
      {
        op: P.union(
          'free',
          'share',
          'close',
          'kmap',
          'kunmap',
          'munmap',
          'write',
          'dma-map',
          'dma-unmap',
          'driver-vunmap',
          'client-exit',
          'purge',
          'shrink',
        ),
      },
      () => [],
    )
    .exhaustive();
  const seen = new Set<string>();
  return out.filter((o) => {
    const k = JSON.stringify(o);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
