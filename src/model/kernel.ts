/**
 * One booted machine running one design: the mm core, the DMA layer, ION and the other driver of
 * the seed's product. `apply(op)` is the single entry point every later part drives; `clone` and
 * `hash` serve the explorer and determinism tests.
 */

import { createHash } from 'node:crypto';
import { checkPoolArea, placeBootAreas } from './boot-fill.ts';
import { splitAtAtomicPool } from './boot-vmallocinfo.ts';
import { cmaBitmapAlignedMaskShiftsOrder } from './cma.ts';
import { carveoutPages, checkHeaps, type Design, makeDmaLayer } from './designs/design.ts';
import type { Origin } from './dirty.ts';
import type { DmaAllocation, DmaLayer } from './dma/arm-3.18.ts';
import { makeIonDevice } from './ion/dmabuf-core.ts';
import type { HeapCtx } from './ion/heap.ts';
import type { IonDevice } from './ion/ion.ts';
import type { DriverArea } from './ion/objects.ts';
import { computeLayout } from './layout.ts';
import { Mm, VM_TAG } from './mm.ts';
import { type Op, parseOp } from './ops.ts';
import { Owner } from './pages.ts';
import type { Profile } from './profile.ts';
import { assertNever, Errno, MemType, ModelBug } from './types.ts';

let nextSerial = 1;

export interface OpResult {
  readonly ok: boolean;
  /** Positive errno when the kernel failed the call (the value it returns negated). */
  readonly errno?: number;
  /** The id the op created (handle, fd, vma, area), or the count it returns. */
  readonly value?: number;
  /** Model functions the op passed through, in kernel vocabulary. */
  readonly callPath: readonly string[];
  /** Kernel log lines (WARN, vmap failure messages). */
  readonly log: readonly string[];
}

/** The largest number of pages one driver-vmap may ask for (a bound for generated workloads). */
export const DRIVER_VMAP_PAGES_MAX = 65536;

/** `from`'s driver areas, over the objects of `into` when given (a reusing clone allocates none). */
function copyAreas(from: readonly DriverArea[], into?: DriverArea[]): DriverArea[] {
  if (!into) return from.map((a) => ({ ...a }));
  for (let i = 0; i < from.length; i++) {
    const old = into[i];
    into[i] = old ? Object.assign(old, from[i]!) : { ...from[i]! };
  }
  if (into.length !== from.length) into.length = from.length;
  return into;
}

export class Kernel {
  readonly mm: Mm;
  readonly dma: DmaLayer;
  readonly ion: IonDevice;
  readonly driverAreas: DriverArea[];
  readonly atomicPool: DmaAllocation | null;
  /** Boot-time figures for the quiescence check of freed-completely. */
  readonly boot: { normalFree: number; highFree: number; cmaUsed: number; vmLive: number };
  opsApplied = 0;
  /** This kernel's number, unique in the process (Origin). */
  readonly serial = nextSerial++;
  /** The kernel this one was cloned from, by serial, and its op count then; null for a boot. */
  readonly origin: Origin | null;
  /** Set when a later clone took this kernel's storage over: it must not be used again. */
  private retired = false;

  /** Whether a later clone took this kernel's storage over (its memos are of no further use). */
  get isRetired(): boolean {
    return this.retired;
  }
  /**
   * The kernel this one was cloned from and its op count then, so checkers can start from the
   * source's memo instead of a full scan. Dropped at the second op after the clone, so clones do
   * not keep chains of ancestors alive (a WeakRef would: its target lives to the end of the job).
   */
  clonedFrom: { readonly kernel: Kernel; readonly at: number } | null = null;
  /** The last op applied and whether it succeeded (for goals and reports). */
  lastOp: Op | null = null;
  lastOk = true;

  private constructor(
    readonly profile: Profile,
    readonly design: Design,
    from?: Kernel,
    reuse?: Kernel,
    whole = false,
  ) {
    this.origin = from ? { serial: from.serial, at: from.opsApplied } : null;
    if (from) {
      this.mm = from.mm.clone(reuse?.mm, whole);
      this.dma = from.dma;
      const spareHeaps = reuse?.ion.heaps;
      const heaps = from.ion.heaps.map((h, i) => h.clone(spareHeaps?.[i], whole));
      this.ion = from.ion.fork(heaps, reuse?.ion, whole);
      this.driverAreas = copyAreas(from.driverAreas, reuse?.driverAreas);
      this.atomicPool = from.atomicPool;
      this.boot = from.boot;
      this.opsApplied = from.opsApplied;
      this.lastOp = from.lastOp;
      this.lastOk = from.lastOk;
      this.clonedFrom = { kernel: from, at: from.opsApplied };
      return;
    }
    const layout = computeLayout(profile);
    this.mm = new Mm(profile, layout);
    // B5 (CMA-1): the 3.16/3.17 cma_bitmap_aligned_mask(), for a design that carries it
    if (design.cmaMaskShiftsOrder && this.mm.cma)
      this.mm.cma = this.mm.cma.withMask(cmaBitmapAlignedMaskShiftsOrder);
    this.dma = makeDmaLayer(design, profile.dmaBufferable);
    // boot-vmallocinfo=: areas below the pool's line existed before atomic_pool_init (VMALLOC-3 first fit)
    const info = profile.bootVmallocinfo;
    const fill = info ? splitAtAtomicPool(info, profile.atomicPoolBytes) : null;
    if (info && fill) placeBootAreas(this.mm, fill.before, info.path);
    // DMA318-9 atomic_pool_init(): from the default CMA area when there is one (GOLD-8, GOLD-32)
    this.atomicPool = this.bootAtomicPool();
    if (info && fill?.pool) checkPoolArea(fill.pool, this.atomicPool?.cpuAddr ?? 0, info.path);
    if (info && fill) placeBootAreas(this.mm, fill.after, info.path);
    const all = checkHeaps(design, design.heaps({ mm: this.mm, carveout: carveoutPages(this.mm) }));
    // ION-1 the board declares only profile.ionHeaps (all when null)
    const declared = profile.ionHeaps;
    const heaps = declared ? all.filter((h) => declared.includes(h.name)) : all;
    // ION-1 ion_heap_create() at probe: heaps that set themselves up (HEAP-CARVEOUT-1 zeroing)
    for (const h of heaps) h.create?.(this.ctx);
    this.ion = makeIonDevice(heaps, design.ionCore);
    this.driverAreas = [];
    // ARCH-8 [A] later boot code reuses the kmap_atomic slots before the first op
    this.mm.resetFixmapSlots();
    this.mm.beginOp();
    this.boot = {
      normalFree: this.mm.normal.freePagesCount,
      highFree: this.mm.highmem?.freePagesCount ?? 0,
      cmaUsed: this.mm.cma?.usedPages ?? 0,
      vmLive: this.mm.liveVmPagesOutsideBlocks(),
    };
  }

  /** Boot a machine: layout, allocators, atomic pool, ION with the design's heaps. */
  static boot(profile: Profile, design: Design): Kernel {
    return new Kernel(profile, design);
  }

  /**
   * A copy of this machine. With `reuse`, an earlier clone of this kernel made when it was in the
   * state it is in now, the copy takes over the storage of `reuse` and restores only what `reuse`
   * changed: a run's fixed cost is then what the previous run touched, not the machine's RAM
   * (issue 14). `reuse` is retired: applying an op to it afterwards is a ModelBug.
   */
  clone(reuse?: Kernel): Kernel {
    if (reuse) {
      const o = reuse.origin;
      if (reuse.retired || !o || o.serial !== this.serial || o.at !== this.opsApplied)
        throw new ModelBug(
          'Kernel.clone(reuse): reuse is not a live clone of this kernel in its current state',
        );
      reuse.retired = true;
    }
    return new Kernel(this.profile, this.design, this, reuse);
  }

  /**
   * A copy of this machine in the storage of `spare`, any other machine of the same boot that is
   * done with (a clone of another state): everything is copied, O(RAM) at memcpy speed, but none
   * of the per-page arrays is allocated (a fresh clone's cost is mostly allocation and GC).
   * `spare` is retired, as by clone(reuse).
   */
  cloneOver(spare: Kernel): Kernel {
    if (spare.retired || spare === this || spare.profile !== this.profile || spare.design !== this.design)
      throw new ModelBug('Kernel.cloneOver(spare): spare is not a live machine of the same boot');
    spare.retired = true;
    return new Kernel(this.profile, this.design, this, spare, true);
  }

  // DMA318-9 atomic_pool_init() (postcore_initcall, LAYOUT-6)
  private bootAtomicPool(): DmaAllocation | null {
    const { mm } = this;
    mm.enter('atomicPoolInit');
    const bytes = mm.profile.atomicPoolBytes;
    if (bytes === 0) return null;
    const type = this.dma.getDmaPgprot({});
    if (mm.cma) return this.dma.allocFromContiguous(mm, bytes, type, {}, -1, 'atomic pool');
    // DMA318-9: no default CMA area -> __alloc_remap_buffer(NULL, ...)
    return this.dma.dmaAllocAttrs(
      mm,
      { name: 'atomic-pool', coherent: false, hasCma: false },
      bytes,
      true,
      {},
      -1,
    );
  }

  private get ctx(): HeapCtx {
    return { mm: this.mm, dma: this.dma };
  }

  /**
   * Apply one op. A malformed op throws OpError before anything changes; a kernel failure is an
   * errno in the result; a ModelBug is a bug in the model or the design.
   */
  apply(raw: Op | unknown): OpResult {
    const op = parseOp(raw);
    if (this.retired) throw new ModelBug('apply on a kernel whose storage a later clone took over');
    if (this.clonedFrom && this.opsApplied > this.clonedFrom.at) this.clonedFrom = null;
    this.mm.beginOp();
    this.ion.beginOp(this.opsApplied);
    const ret = this.dispatch(op);
    this.opsApplied++;
    this.lastOp = op;
    this.lastOk = ret >= 0;
    const { path, log } = this.mm.trace;
    if (ret < 0) return { ok: false, errno: -ret, callPath: path, log };
    return { ok: true, value: ret, callPath: path, log };
  }

  private dispatch(op: Op): number {
    const { ion, ctx } = this;
    switch (op.op) {
      case 'alloc':
        return ion.ionAlloc(ctx, op.client, op.len, op.align ?? 0, op.heap, op.cached ?? false);
      case 'free':
        return ion.ionFree(ctx, op.client, op.handle, op.race === true);
      case 'share':
        return ion.ionShareDmaBuf(ctx, op.client, op.handle);
      case 'import':
        return ion.ionImportDmaBuf(ctx, op.client, op.fd);
      case 'close':
        return ion.close(ctx, op.fd);
      case 'kmap': {
        const r = ion.ionMapKernel(ctx, op.client, op.handle);
        return Math.min(r, 0);
      }
      case 'kunmap':
        return ion.ionUnmapKernel(ctx, op.client, op.handle);
      case 'mmap':
        return ion.ionMmap(ctx, op.fd, op.pgoff ?? 0, op.pages);
      case 'munmap':
        return ion.munmap(ctx, op.vma);
      case 'write':
        return ion.write(ctx, op.vma);
      case 'dma-map': {
        const r = ion.dmaMap(ctx, op.fd, op.device);
        return Math.min(r, 0);
      }
      case 'dma-unmap':
        return ion.dmaUnmap(ctx, op.fd, op.device);
      case 'driver-vmap':
        return this.driverVmap(op.pages);
      case 'driver-vunmap':
        return this.driverVunmap(op.area);
      case 'client-exit':
        return ion.clientExit(ctx, op.client);
      case 'purge':
        this.mm.purgeVmapAreaLazy();
        return 0;
      case 'shrink':
        return ion.shrink(ctx);
      default:
        return assertNever(op, 'op');
    }
  }

  /**
   * VMALLOC-6 the seed's product: another driver allocates `n` discontiguous pages (alloc_page(GFP_HIGHUSER)
   * one by one) and vmaps them WB (PAGE_KERNEL). vmap failure frees the pages: -ENOMEM.
   */
  private driverVmap(n: number): number {
    const { mm } = this;
    mm.enter('driverVmap');
    if (n === 0 || n > DRIVER_VMAP_PAGES_MAX) return -Errno.EINVAL;
    const id = this.driverAreas.length;
    const pages = new Int32Array(n);
    const got = mm.allocPagesBulk(pages, true, Owner.DRIVER, id);
    if (got < n) {
      mm.freePagesEach(pages.subarray(0, got));
      return -Errno.ENOMEM;
    }
    const m = mm.vmap(pages, MemType.WB, `driver area ${id}`, -1, VM_TAG.DRIVER);
    if (!m) {
      mm.freePagesEach(pages);
      return -Errno.ENOMEM;
    }
    this.driverAreas.push({ id, pages, mapping: m, vaddr: m.vaddr, live: true });
    return id;
  }

  // VMALLOC-5 vunmap() (lazy) then __free_page() of each page
  private driverVunmap(id: number): number {
    const { mm } = this;
    mm.enter('driverVunmap');
    const a = this.driverAreas[id];
    if (!a?.live) return -Errno.EINVAL;
    a.live = false;
    mm.vunmap(a.vaddr);
    mm.freePagesEach(a.pages);
    return 0;
  }

  /**
   * Canonical hash of the whole state (explorer, determinism tests); `clients` renames client ids
   * in the ION part (the explorer's symmetry reduction).
   */
  hash(clients?: ReadonlyMap<number, number>): string {
    const h = createHash('sha256');
    const { pages } = this.mm;
    h.update(pages.ownerKind);
    h.update(new Uint8Array(pages.ownerId.buffer));
    h.update(new Uint8Array(pages.writer.buffer));
    h.update(pages.linearType);
    h.update(pages.claims);
    h.update(pages.doubleFrees);
    for (const a of pages.live) h.update(new Uint8Array(a.buffer));
    for (const a of pages.stale) h.update(new Uint8Array(a.buffer));
    h.update(this.mm.normal.stateKey());
    h.update(this.mm.highmem?.stateKey() ?? '');
    if (this.mm.cma) h.update(this.mm.cma.bits as Uint8Array);
    h.update(this.mm.vmalloc.snapshot());
    for (const id of this.mm.fixmapSlots) h.update(`${this.mm.mmu.mappings.get(id)?.pages[0] ?? -1},`);
    h.update(this.ionKey(clients));
    return h.digest('hex');
  }

  /** ION object state as canonical text, client ids renamed by `clients` when given. */
  ionKey(clients?: ReadonlyMap<number, number>): string {
    const ion = this.ion;
    const parts: string[] = [];
    for (const b of [...ion.buffers.values()].sort((x, y) => x.id - y.id))
      parts.push(
        `b${b.id}:${b.heap.name}:${b.size}:${b.ref}:${b.handleCount}:${b.kmapCnt}:${b.pages[0] ?? -1}`,
      );
    for (const h of ion.handles)
      parts.push(
        h ? `h${h.ordinal}:${clients?.get(h.client) ?? h.client}:${h.ref}:${h.kmapCnt}:${h.live}` : 'h-',
      );
    for (const d of ion.dmabufs) parts.push(`d${d.fd}:${d.fileRef}:${d.fdOpen}`);
    for (const v of ion.vmas) parts.push(`v${v.id}:${v.live}`);
    for (const a of ion.attachments) parts.push(`a${a.dmabuf.fd}:${a.device}:${a.live}`);
    for (const a of this.driverAreas) parts.push(`r${a.id}:${a.live}`);
    parts.push(`fl${ion.freeList.map((b) => b.id).join(',')}`);
    for (const h of ion.heaps) parts.push(`${h.name}:${h.shrinkCount()}`);
    return parts.join('|');
  }
}
