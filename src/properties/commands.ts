/**
 * fast-check model-based commands over the op vocabulary (docs/architecture.md section 6). The command
 * model (OpModel) tracks which ids exist (handles per client, fds, vmas, attachments, driver
 * areas), so an action's picks resolve to live ids most of the time and to stale or never-made
 * ids on purpose. The model is updated from the real kernel's results, never guessed.
 *
 * A command is check (a pure precondition on the model), run (resolve the op, apply it on the
 * real Kernel, check the watched invariants) and toString (the op as a replay file spells it).
 * A violation throws an InvariantFailure tagged with the invariant id.
 */
import fc from 'fast-check';
import { HEAP_NAMES, type HeapName } from '../model/ion/heap.ts';
import type { Kernel, OpResult } from '../model/kernel.ts';
import { DRIVER_VMAP_PAGES_MAX } from '../model/kernel.ts';
import { formatOp, type Op } from '../model/ops.ts';
import { PAGE_SIZE, pagesOf } from '../model/types.ts';
import { type CheckMode, checkStep, type InvariantId, type Violation } from '../spec/index.ts';
import {
  ACTION_WEIGHTS,
  type Action,
  actionArb,
  boundaryLenArb,
  CLIENTS_MAX,
  FILL_WEIGHTS,
  fillCmaLenArb,
  LIFECYCLE_WEIGHTS,
  type MixOptions,
  newestPickArb,
  type Pick,
  RECYCLE_WEIGHTS,
} from './arbitraries.ts';
import { swarmActionArb, swarmConfigArb } from './swarm.ts';

/** What a check can find: an invariant, type-ok (a model bug), or an exception in the model. */
export type FindingId = InvariantId | 'type-ok' | 'model-exception';
export const MODEL_EXCEPTION = 'model-exception';

// --- the command model -------------------------------------------------------------------

export interface ModelHandle {
  readonly ordinal: number;
  readonly client: number;
  /** Pages of the buffer behind the handle. */
  readonly pages: number;
  ref: number;
  kmap: number;
  live: boolean;
  /** User space wrote through a mapping of an fd SHARE made from this handle. */
  written?: boolean;
}
interface ModelFd {
  readonly fd: number;
  readonly pages: number;
  /** The handle SHARE exported it from (-1: not known). */
  readonly handle: number;
  open: boolean;
}
interface ModelVma {
  readonly id: number;
  /** The fd it maps (-1: not known). */
  readonly fd: number;
  live: boolean;
}
interface ModelLive {
  readonly id: number;
  live: boolean;
}
interface ModelAttachment {
  readonly fd: number;
  readonly device: string;
  live: boolean;
}

/** The ids a run has made and whether they still exist, in creation order per kind. */
export class OpModel {
  readonly handles: ModelHandle[] = [];
  readonly fds: ModelFd[] = [];
  readonly vmas: ModelVma[] = [];
  readonly attachments: ModelAttachment[] = [];
  readonly areas: ModelLive[] = [];
  /** Clients that exist (from first use until client-exit), and those that exited. */
  readonly clients = new Set<number>();
  readonly exited = new Set<number>();
  /** Pages of the buffer whose last handle went most recently (0: none yet). */
  releasedPages = 0;

  /** The concrete op an action stands for now, or null when it has nothing to act on. */
  resolve(a: Action): Op | null {
    switch (a.kind) {
      case 'alloc': {
        const { kind: _, reuse, ...rest } = a;
        // the size just released, so the allocator hands the same pages out again
        return reuse && this.releasedPages > 0
          ? { op: 'alloc', ...rest, len: this.releasedPages * PAGE_SIZE }
          : { op: 'alloc', ...rest };
      }
      case 'use':
        return this.nextUse();
      case 'release':
        return this.nextRelease();
      case 'free':
      case 'share':
      case 'kmap':
      case 'kunmap': {
        const live = this.handles.filter((h) => h.live);
        const pool =
          a.kind === 'kunmap' && live.some((h) => h.kmap > 0) ? live.filter((h) => h.kmap > 0) : live;
        const h = pickFrom(
          a.handle,
          pool,
          this.handles.filter((x) => !x.live),
        );
        if (h === null) return null;
        const race = a.race ? { race: true } : {};
        if (h === undefined) {
          const n = a.handle.n;
          return { op: a.kind, client: n % CLIENTS_MAX, handle: this.handles.length + (n % 3), ...race };
        }
        const client = a.wrongClient ? (h.client + 1) % CLIENTS_MAX : h.client;
        return { op: a.kind, client, handle: h.ordinal, ...race };
      }
      case 'import': {
        const fd = this.pickFd(a.fd);
        return fd === null ? null : { op: 'import', client: a.client, fd: fd.fd };
      }
      case 'close': {
        const fd = this.pickFd(a.fd);
        return fd === null ? null : { op: 'close', fd: fd.fd };
      }
      case 'mmap': {
        const fd = this.pickFd(a.fd);
        if (fd === null) return null;
        const w = a.window;
        if (!w || fd.pages === 0) return { op: 'mmap', fd: fd.fd };
        if (w.past) return { op: 'mmap', fd: fd.fd, pgoff: fd.pages, pages: 1 };
        if (w.straddle) return { op: 'mmap', fd: fd.fd, pgoff: fd.pages - 1, pages: 2 };
        const pgoff = w.pgoff % fd.pages;
        return { op: 'mmap', fd: fd.fd, pgoff, pages: 1 + (w.pages % (fd.pages - pgoff)) };
      }
      case 'munmap':
      case 'write': {
        const v = pickId(a.vma, this.vmas);
        return v === null ? null : { op: a.kind, vma: v };
      }
      case 'dma-map': {
        const fd = this.pickFd(a.fd);
        return fd === null ? null : { op: 'dma-map', fd: fd.fd, device: a.device };
      }
      case 'dma-unmap': {
        const t = pickFrom(
          a.attachment,
          this.attachments.filter((x) => x.live),
          this.attachments.filter((x) => !x.live),
        );
        if (t === null) return null;
        if (t === undefined)
          return { op: 'dma-unmap', fd: this.fds.length + (a.attachment.n % 3), device: a.device };
        return { op: 'dma-unmap', fd: t.fd, device: t.device };
      }
      case 'driver-vmap':
        return { op: 'driver-vmap', pages: a.pages };
      case 'driver-vunmap': {
        const id = pickId(a.area, this.areas);
        return id === null ? null : { op: 'driver-vunmap', area: id };
      }
      case 'client-exit': {
        const existing = [...this.clients].sort((x, y) => x - y);
        const holding = existing.filter((c) => this.handles.some((h) => h.live && h.client === c));
        const c = pickFrom(
          a.client,
          holding.length > 0 ? holding : existing,
          [...this.exited].sort((x, y) => x - y),
        );
        if (c === null) return null;
        return { op: 'client-exit', client: c ?? CLIENTS_MAX + (a.client.n % 4) };
      }
      case 'purge':
        return { op: 'purge' };
      case 'shrink':
        return { op: 'shrink' };
    }
  }

  /**
   * The next step of the newest buffer in use (shared, not yet written), else of the newest live
   * one: share it, mmap its fd, then write through the mapping.
   */
  private nextUse(): Op | null {
    const h =
      this.newestLive((x) => !x.written && this.fds.some((f) => f.open && f.handle === x.ordinal)) ??
      this.newestLive(() => true);
    if (!h) return null;
    const fd = this.fds.findLast((f) => f.open && f.handle === h.ordinal);
    if (!fd) return { op: 'share', client: h.client, handle: h.ordinal };
    const vma = this.vmas.findLast((v) => v.live && v.fd === fd.fd);
    return vma ? { op: 'write', vma: vma.id } : { op: 'mmap', fd: fd.fd };
  }

  /**
   * The newest written buffer (else the newest shared, else the newest live): its attachments,
   * mappings and fds go first, then the handle, so the buffer is destroyed.
   */
  private nextRelease(): Op | null {
    const h =
      this.newestLive((x) => x.written === true) ??
      this.newestLive((x) => this.fds.some((f) => f.handle === x.ordinal)) ??
      this.newestLive(() => true);
    if (!h) return null;
    const mine = this.fds.filter((f) => f.handle === h.ordinal);
    for (const f of mine) {
      const t = this.attachments.find((x) => x.live && x.fd === f.fd);
      if (t) return { op: 'dma-unmap', fd: t.fd, device: t.device };
      const vma = this.vmas.find((v) => v.live && v.fd === f.fd);
      if (vma) return { op: 'munmap', vma: vma.id };
    }
    const open = mine.find((f) => f.open);
    if (open) return { op: 'close', fd: open.fd };
    if (h.kmap > 0) return { op: 'kunmap', client: h.client, handle: h.ordinal };
    return { op: 'free', client: h.client, handle: h.ordinal };
  }

  private newestLive(pred: (h: ModelHandle) => boolean): ModelHandle | undefined {
    return this.handles.findLast((h) => h?.live && pred(h));
  }

  private pickFd(p: Pick): { fd: number; pages: number } | null {
    const fd = pickFrom(
      p,
      this.fds.filter((f) => f.open),
      this.fds.filter((f) => !f.open),
    );
    if (fd === null) return null;
    return fd ?? { fd: this.fds.length + (p.n % 3), pages: 0, handle: -1, open: false };
  }

  /** Learn from what the kernel did: ids come from results, never from guesses. */
  update(op: Op, r: OpResult): void {
    if (!r.ok) return;
    const v = r.value ?? 0;
    switch (op.op) {
      case 'alloc':
        this.clients.add(op.client);
        this.handles[v] = {
          ordinal: v,
          client: op.client,
          pages: pagesOf(op.len),
          ref: 1,
          kmap: 0,
          live: true,
        };
        return;
      case 'import': {
        this.clients.add(op.client);
        const h = this.handles[v];
        if (h?.live) h.ref++;
        else
          this.handles[v] = {
            ordinal: v,
            client: op.client,
            pages: this.fds[op.fd]?.pages ?? 0,
            ref: 1,
            kmap: 0,
            live: true,
          };
        return;
      }
      case 'free': {
        const h = this.handles[op.handle];
        if (h && --h.ref === 0) {
          h.live = false;
          h.kmap = 0;
          this.releasedPages = h.pages;
        }
        return;
      }
      case 'share':
        this.fds[v] = { fd: v, pages: this.handles[op.handle]?.pages ?? 0, handle: op.handle, open: true };
        return;
      case 'close': {
        const f = this.fds[op.fd];
        if (f) f.open = false;
        return;
      }
      case 'kmap': {
        const h = this.handles[op.handle];
        if (h) h.kmap++;
        return;
      }
      case 'kunmap': {
        const h = this.handles[op.handle];
        if (h && h.kmap > 0) h.kmap--;
        return;
      }
      case 'mmap':
        this.vmas[v] = { id: v, fd: op.fd, live: true };
        return;
      case 'munmap': {
        const m = this.vmas[op.vma];
        if (m) m.live = false;
        return;
      }
      case 'dma-map':
        // dma-map returns 0; attachments are numbered in creation order
        this.attachments.push({ fd: op.fd, device: op.device, live: true });
        return;
      case 'dma-unmap': {
        const a = this.attachments.find((x) => x.live && x.fd === op.fd && x.device === op.device);
        if (a) a.live = false;
        return;
      }
      case 'driver-vmap':
        this.areas[v] = { id: v, live: true };
        return;
      case 'driver-vunmap': {
        const a = this.areas[op.area];
        if (a) a.live = false;
        return;
      }
      case 'client-exit':
        for (const h of this.handles)
          if (h?.live && h.client === op.client) {
            h.live = false;
            h.kmap = 0;
          }
        this.clients.delete(op.client);
        this.exited.add(op.client);
        return;
      case 'write': {
        const fd = this.fds[this.vmas[op.vma]?.fd ?? -1];
        const h = fd ? this.handles[fd.handle] : undefined;
        if (h) h.written = true;
        return;
      }
      case 'purge':
      case 'shrink':
        return;
    }
  }

  /** Where the model disagrees with the kernel's objects (empty when it tracks them exactly). */
  disagreements(k: Kernel): string[] {
    const out: string[] = [];
    const ion = k.ion;
    this.handles.forEach((h, i) => {
      const real = ion.handles[i];
      if (!real || real.live !== h.live || real.client !== h.client) out.push(`handle ${i}`);
      else if (h.live && (real.ref !== h.ref || real.kmapCnt !== h.kmap)) out.push(`handle ${i} counts`);
    });
    if (ion.handles.length !== this.handles.length) out.push('handle count');
    this.fds.forEach((f, i) => {
      if (ion.dmabufs[i]?.fdOpen !== f.open) out.push(`fd ${i}`);
    });
    this.vmas.forEach((v, i) => {
      if (ion.vmas[i]?.live !== v.live) out.push(`vma ${i}`);
    });
    this.attachments.forEach((a, i) => {
      if (ion.attachments[i]?.live !== a.live) out.push(`attachment ${i}`);
    });
    this.areas.forEach((a, i) => {
      if (k.driverAreas[i]?.live !== a.live) out.push(`driver area ${i}`);
    });
    return out;
  }
}

/**
 * Choose from live or gone candidates by a pick: the candidate, undefined for "an id never made"
 * (wild, or stale with nothing gone), or null when a live pick has nothing to act on.
 */
function pickFrom<T>(p: Pick, live: readonly T[], gone: readonly T[]): T | null | undefined {
  switch (p.mode) {
    case 'live':
      return live.length === 0 ? null : live[p.n % live.length]!;
    case 'last':
      return live.length === 0 ? null : live[live.length - 1]!;
    case 'stale':
      return gone.length === 0 ? undefined : gone[p.n % gone.length]!;
    case 'wild':
      return undefined;
  }
}

function pickId(p: Pick, all: readonly ModelLive[]): number | null {
  const x = pickFrom(
    p,
    all.filter((v) => v.live),
    all.filter((v) => !v.live),
  );
  if (x === null) return null;
  return x === undefined ? all.length + (p.n % 3) : x.id;
}

// --- the real system -----------------------------------------------------------------------

/** A watched finding: thrown out of a command's run, tagged with its id. */
export class InvariantFailure extends Error {
  override name = 'InvariantFailure';
  constructor(
    readonly invariant: FindingId,
    /** Index of the op after which it was found, from 0. */
    readonly step: number,
    readonly violation: Violation | null,
    message: string,
  ) {
    super(`${invariant} at step ${step}: ${message}`);
  }
}

/** Thrown to end a run early without failing it (runCommands turns it into a pass). */
export class RunEnded extends Error {
  override name = 'RunEnded';
}

/** What a session watches for. */
export interface Watch {
  readonly invariants: readonly InvariantId[];
  /** type-ok failures count (checkStep always runs it; it hides the others when it fails). */
  readonly typeOk: boolean;
  /** Exceptions thrown by the model count as findings; otherwise they end the run quietly. */
  readonly exceptions: boolean;
  readonly mode: CheckMode;
}

export interface StepObserver {
  onStep(k: Kernel, step: number, op: Op, r: OpResult, ops: readonly Op[]): void;
}

/** One run on one kernel: applies ops, checks the watched invariants after each. */
export class RunSession {
  readonly ops: Op[] = [];
  readonly results: OpResult[] = [];
  constructor(
    readonly kernel: Kernel,
    readonly watch: Watch,
    readonly observer: StepObserver | null = null,
  ) {}

  step(op: Op): OpResult {
    const i = this.ops.length;
    this.ops.push(op);
    let r: OpResult;
    try {
      r = this.kernel.apply(op);
    } catch (e) {
      const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      // the step as far as it got: the model functions entered before the throw
      this.results.push({ ok: false, callPath: [...this.kernel.mm.trace.path], log: [] });
      if (this.watch.exceptions) throw new InvariantFailure(MODEL_EXCEPTION, i, null, msg);
      // not what this run looks for, and the state is undefined after it: end the run, passing
      throw new RunEnded(msg);
    }
    this.results.push(r);
    this.observer?.onStep(this.kernel, i, op, r, this.ops);
    const vs = checkStep(this.kernel, this.watch.invariants, this.watch.mode);
    for (const v of vs) {
      if (v.invariant === 'type-ok' && !this.watch.typeOk) continue;
      throw new InvariantFailure(v.invariant, i, v, v.message);
    }
    return r;
  }
}

/** One generated command: an action, resolved against the model when it runs. */
export class OpCommand implements fc.Command<OpModel, RunSession> {
  /** The op the last run resolved to (what toString prints). */
  private op: Op | null = null;
  constructor(readonly action: Action) {}

  check(m: Readonly<OpModel>): boolean {
    return (m as OpModel).resolve(this.action) !== null;
  }

  run(m: OpModel, r: RunSession): void {
    const resolved = m.resolve(this.action);
    if (resolved === null) throw new Error('command ran without its precondition');
    const op = this.atEdge(resolved, r);
    this.op = op;
    const res = r.step(op);
    m.update(op, res);
  }

  /**
   * A vmap at the window's edge: sized from the largest free range the allocator can give, lazily
   * freed areas purged as alloc_vmap_area() does when a request does not fit (VMALLOC-3), so the
   * window is full afterwards and not merely fragmented.
   */
  private atEdge(op: Op, r: RunSession): Op {
    const a = this.action;
    if (a.kind !== 'driver-vmap' || a.edge === undefined || op.op !== 'driver-vmap') return op;
    const v = r.kernel.mm.vmalloc;
    const free = v.lazyPages > 0 ? v.largestFreeRunAfterPurge() : v.largestFreeRun();
    // less the guard page and `edge` pages, within what an op may ask
    return { op: 'driver-vmap', pages: Math.max(1, Math.min(DRIVER_VMAP_PAGES_MAX, free - 1 - a.edge)) };
  }

  toString(): string {
    return this.op ? formatOp(this.op) : `<${this.action.kind}>`;
  }

  [fc.cloneMethod](): OpCommand {
    return new OpCommand(this.action);
  }
}

/**
 * The command sequences of one run: up to `maxOps` commands, weighted for deep states. Of eight
 * runs, two use the everyday mix, one the fill mix, two a swarm (swarm.ts), one the lifecycle mix
 * and two the recycle mix.
 */
export function commandsArb(
  maxOps: number,
  heaps: readonly HeapName[] = HEAP_NAMES,
): fc.Arbitrary<Iterable<fc.Command<OpModel, RunSession>>> {
  const cmds = (a: fc.Arbitrary<Action>) =>
    fc.commands([a.map((x) => new OpCommand(x))], { size: 'max', maxCommands: maxOps });
  return fc.oneof(
    { weight: 2, arbitrary: cmds(actionArb(ACTION_WEIGHTS, { heaps })) },
    { weight: 1, arbitrary: cmds(actionArb(FILL_WEIGHTS, { cmaLen: fillCmaLenArb, heaps })) },
    { weight: 2, arbitrary: swarmConfigArb(heaps).chain((c) => cmds(swarmActionArb(c))) },
    { weight: 1, arbitrary: cmds(actionArb(LIFECYCLE_WEIGHTS, { cmaLen: boundaryLenArb, heaps })) },
    { weight: 2, arbitrary: cmds(actionArb(RECYCLE_WEIGHTS, RECYCLE_MIX(heaps))) },
  );
}

/**
 * The recycle mix: one program on its newest objects. Its allocations: boundary sizes, single pages most of all (order 0, where size
 * arithmetic starts), half of them the size just released, and a third of them cached, so written
 * pages go out again to a buffer of either kind.
 */
const recycleLenArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(PAGE_SIZE) },
  { weight: 7, arbitrary: boundaryLenArb },
);

const RECYCLE_MIX = (heaps: readonly HeapName[]): MixOptions => ({
  cmaLen: recycleLenArb,
  otherLen: recycleLenArb,
  heaps,
  // one program, on its newest buffer and fd (a compositor importing the frame it just made)
  clients: fc.constant(0),
  picks: newestPickArb,
  cmaBias: { cached: 33, reuse: 50, align: 12 },
  otherBias: { cached: 33, reuse: 50, align: 0 },
});

/** Run commands on a session with a fresh model (fc.modelRun); a RunEnded run passes. */
export function runCommands(cmds: Iterable<fc.Command<OpModel, RunSession>>, session: RunSession): OpModel {
  const model = new OpModel();
  try {
    fc.modelRun(() => ({ model, real: session }), cmds);
  } catch (e) {
    if (!(e instanceof RunEnded)) throw e;
  }
  return model;
}
