/**
 * The CPU mappings of physical pages: the linear map of lowmem (one PTE type per page), kernel vm
 * mappings (vmap, DMA remaps, vm_map_ram), user VMAs and transient kmap_atomic slots. Every
 * mapping is an object with a type, pages and an owner, and every change is mirrored into the
 * per-page counters of pages.ts, so "which types map page p" is O(1) and "which mappings cover
 * page p" is answerable (by a scan, used only when a violation is reported).
 */
import { CLASS_MASK, NO_LINEAR, type PageState, STALE_SHIFT } from './pages.ts';
import { type MappingId, type MemType, ModelBug } from './types.ts';

export type MappingKind = 'linear' | 'vm' | 'vm-ram' | 'user' | 'kmap-atomic';

export interface Mapping {
  readonly id: MappingId;
  readonly kind: MappingKind;
  readonly type: MemType;
  /** Page index mapped at each virtual page (may be discontiguous). */
  readonly pages: Int32Array;
  readonly vaddr: number;
  /** Who made it, in words: "buffer 3 kmap", "driver area 1", "atomic pool". */
  readonly owner: string;
  readonly bufferId: number;
  /** Going stale replaces the mapping in the table (copies of a table share mapping objects). */
  readonly state: 'live' | 'stale';
  /** ARCH-6 armv8: every hand-over between aliases runs the maintenance sequence [A]. */
  readonly maintained: boolean;
  /** The smallest and the largest page mapped (mapsPage rejects other pages without a scan). */
  readonly lo: number;
  readonly hi: number;
  /** The pages are exactly lo, lo+1, ..., hi (most mappings): mapsPage needs no scan at all. */
  readonly run: boolean;
}

/** Does mapping m map page p? O(1) for a contiguous run, else a scan of its pages. */
export function mapsPage(m: Mapping, p: number): boolean {
  return p >= m.lo && p <= m.hi && (m.run || m.pages.includes(p));
}

/** dropStaleRange's scratch (module state: one range is dropped at a time, and a drop allocates none of it). */
const STALE_HITS: Mapping[] = [];
const byVaddr = (a: Mapping, b: Mapping): number => a.vaddr - b.vaddr;

/** A mapping object of `pages`, with their span: lowest and highest page, and one ascending run or not. */
function mappingOf(
  id: MappingId,
  kind: Exclude<MappingKind, 'linear'>,
  type: MemType,
  pages: Int32Array,
  vaddr: number,
  owner: string,
  bufferId: number,
  state: 'live' | 'stale',
  maintained: boolean,
): Mapping {
  // no page: an empty span (lo > hi) that mapsPage rejects every page by
  let lo = pages.length > 0 ? pages[0]! : 0;
  let hi = pages.length > 0 ? lo : -1;
  let run = true;
  for (let i = 1; i < pages.length; i++) {
    const p = pages[i]!;
    if (p < lo) lo = p;
    if (p > hi) hi = p;
    if (p !== pages[0]! + i) run = false;
  }
  return { id, kind, type, pages, vaddr, owner, bufferId, state, maintained, lo, hi, run };
}

/**
 * A mapping (or a linear-map PTE change) as it was created, with the types that already mapped
 * each of its pages at that moment: checks see mappings made and removed within one op (ARCH-3).
 */
export interface MappingCreation {
  readonly kind: MappingKind;
  readonly type: MemType;
  readonly owner: string;
  readonly pages: Int32Array;
  /** Per page: bit mask of live types (bits 0-3) and stale types (bits 4-7) before this mapping. */
  readonly before: Uint8Array;
  readonly maintained: boolean;
}

export class Mmu {
  private nextId = 1;
  private table: Map<number, Mapping>;
  /** vm / vm-ram mappings by virtual page number (live or stale), for purges and vunmap. */
  private byVPage: Map<number, Mapping>;
  /** The stale vm / vm-ram mappings (a purge of a large range visits these, not its pages). */
  private staleVm: Set<Mapping>;
  /** Creations during the current op (cleared with the touched pages). */
  creations: MappingCreation[] = [];
  /**
   * Set by every change of the table since this copy was made: a reusing clone keeps an unchanged
   * table as it is, and the explorer reuses its parent's fingerprint part (issue 14).
   */
  private written = false;

  constructor(
    private pages: PageState,
    readonly staleTlb: boolean,
    from?: Mmu,
  ) {
    this.table = new Map();
    this.byVPage = new Map();
    this.staleVm = new Set();
    if (from) this.copyFrom(from);
  }

  /** Every mapping by id (read only outside this file). */
  get mappings(): Map<number, Mapping> {
    return this.table;
  }

  /**
   * The id of the last mapping made. Ids are handed out in order and the table keeps mappings in
   * that order (going stale keeps a mapping's place), so the newest are found by id.
   */
  get newestId(): number {
    return this.nextId - 1;
  }

  /** Whether a mapping was made or removed (or went stale) since this table was copied. */
  get changed(): boolean {
    return this.written;
  }

  /** The tables of `from`: mappings are never changed in place, so both copies share them. */
  private copyFrom(from: Mmu): void {
    this.nextId = from.nextId;
    this.table = new Map(from.table);
    this.byVPage = new Map(from.byVPage);
    this.staleVm = new Set(from.staleVm);
  }

  /**
   * A copy over `pages`; with `reuse` (an earlier clone of this table, which has not changed
   * since) `reuse` itself: kept as it is when the run since made no change, else refilled.
   * `whole`: `reuse` is a copy of another state: always refilled.
   */
  clone(pages: PageState, reuse?: Mmu, whole = false): Mmu {
    if (!reuse) return new Mmu(pages, this.staleTlb, this);
    reuse.pages = pages;
    reuse.clearCreations();
    if (reuse.written || whole) {
      reuse.copyFrom(this);
      reuse.written = false;
    }
    return reuse;
  }

  private before(pages: Int32Array): Uint8Array {
    const classes = this.pages.classes;
    const out = new Uint8Array(pages.length);
    for (let i = 0; i < pages.length; i++) {
      const c = classes[pages[i]!]!;
      const live = c & CLASS_MASK;
      out[i] = live | (((c >> STALE_SHIFT) & ~live & CLASS_MASK) << 4);
    }
    return out;
  }

  /** Create a live mapping of `pages` with memory type `type`. O(pages). */
  map(
    kind: Exclude<MappingKind, 'linear'>,
    type: MemType,
    pages: Int32Array,
    vaddr: number,
    owner: string,
    bufferId = -1,
    maintained = false,
  ): Mapping {
    this.record(kind, type, owner, pages, maintained);
    this.written = true;
    for (let i = 0; i < pages.length; i++) this.pages.addLive(pages[i]!, type, 1);
    const m = mappingOf(
      this.nextId++ as MappingId,
      kind,
      type,
      pages,
      vaddr,
      owner,
      bufferId,
      'live',
      maintained,
    );
    this.table.set(m.id, m);
    if (kind === 'vm' || kind === 'vm-ram') this.byVPage.set(vaddr >>> 12, m);
    return m;
  }

  /**
   * Remove a live mapping. `lazy`: the PTEs are cleared but the TLB may still hold them until the
   * vmalloc range is purged (ARCH-4), so with staleTlb the mapping stays, stale. O(pages).
   */
  unmap(m: Mapping, lazy: boolean): void {
    // a caller's object stays live when the mapping goes stale: the table's object says so
    if (m.state !== 'live' || this.table.get(m.id)?.state !== 'live')
      throw new ModelBug(`unmap of a mapping that is not live`);
    this.written = true;
    for (let i = 0; i < m.pages.length; i++) this.pages.addLive(m.pages[i]!, m.type, -1);
    if (lazy && this.staleTlb) {
      // a copy of the table may share m: the stale mapping is a new object in this table only
      const stale: Mapping = { ...m, state: 'stale' };
      this.table.set(m.id, stale);
      if (m.kind === 'vm' || m.kind === 'vm-ram') {
        if (this.byVPage.get(m.vaddr >>> 12) === m) this.byVPage.set(m.vaddr >>> 12, stale);
        this.staleVm.add(stale);
      }
      for (let i = 0; i < m.pages.length; i++) this.pages.addStale(m.pages[i]!, m.type, 1);
    } else this.forget(m);
  }

  /**
   * A vm_map_ram() mapping made and at once lazily unmapped (the zeroing of ion_heap_clear_pages,
   * ION-15): what map() then unmap(m, true) leave, in one pass over the pages. The live count
   * goes up and down again, so only the creation record, the stale count and the stale mapping
   * remain; the id is taken as map() takes it, so later ids do not move. O(pages).
   */
  mapUnmappedLazily(type: MemType, pages: Int32Array, vaddr: number, owner: string, bufferId: number): void {
    this.record('vm-ram', type, owner, pages, false);
    this.written = true;
    const id = this.nextId++ as MappingId;
    // ARCH-4 without a stale TLB the unmap forgets the mapping: nothing is left but the record
    if (!this.staleTlb) {
      for (let i = 0; i < pages.length; i++) this.pages.touch(pages[i]!);
      return;
    }
    for (let i = 0; i < pages.length; i++) this.pages.addStale(pages[i]!, type, 1);
    const m = mappingOf(id, 'vm-ram', type, pages, vaddr, owner, bufferId, 'stale', false);
    this.table.set(id, m);
    this.byVPage.set(vaddr >>> 12, m);
    this.staleVm.add(m);
  }

  /** The TLB flush of a purge: stale mappings in [vpage, vpage + n) are gone. */
  dropStaleRange(vpage: number, n: number): void {
    if (this.staleVm.size < n) {
      // fewer stale mappings than pages: visit those that start in the range, in address order
      // (gathered first: dropping one deletes it from the set being walked)
      const hit = STALE_HITS;
      for (const m of this.staleVm) if (m.vaddr >>> 12 >= vpage && m.vaddr >>> 12 < vpage + n) hit.push(m);
      try {
        if (hit.length > 1) hit.sort(byVaddr);
        for (const m of hit) this.dropStale(m);
      } finally {
        hit.length = 0;
      }
      return;
    }
    for (let v = vpage; v < vpage + n; v++) {
      const m = this.byVPage.get(v);
      if (!m) continue;
      if (m.state === 'stale') this.dropStale(m);
      v += Math.max(0, (m.pages.length || 1) - 1);
    }
  }

  private dropStale(m: Mapping): void {
    for (let i = 0; i < m.pages.length; i++) this.pages.addStale(m.pages[i]!, m.type, -1);
    this.forget(m);
  }

  private forget(m: Mapping): void {
    this.written = true;
    this.table.delete(m.id);
    this.staleVm.delete(m);
    if ((m.kind === 'vm' || m.kind === 'vm-ram') && this.byVPage.get(m.vaddr >>> 12) === m)
      this.byVPage.delete(m.vaddr >>> 12);
  }

  /** The vm mapping starting at a virtual address (find_vm_area), live or stale. */
  findVm(vaddr: number): Mapping | undefined {
    return this.byVPage.get(vaddr >>> 12);
  }

  /** A mapping that lives only during the op that makes it (kmap_atomic, ARCH-3 [A]). */
  transient(kind: 'kmap-atomic' | 'vm-ram', type: MemType, pages: Int32Array, owner: string): void {
    this.record(kind, type, owner, pages, false);
  }

  /** ARCH-3: a mapping's creation, with the types that mapped each of its pages just before. */
  private record(
    kind: MappingKind,
    type: MemType,
    owner: string,
    pages: Int32Array,
    maintained: boolean,
  ): void {
    this.creations.push({ kind, type, owner, pages, before: this.before(pages), maintained });
  }

  /** Rewrite linear-map PTEs of [p, p+n) to `type` (or NO_LINEAR to unmap). O(n). */
  setLinear(p: number, n: number, type: MemType | typeof NO_LINEAR, owner: string): void {
    if (type !== NO_LINEAR) {
      const pages = new Int32Array(n);
      for (let i = 0; i < n; i++) pages[i] = p + i;
      const changed = pages.filter((q) => this.pages.linearType[q] !== type);
      if (changed.length > 0) {
        // the old linear PTE is replaced in place: it does not count against the new one
        const before = this.before(changed);
        for (let i = 0; i < changed.length; i++) {
          const old = this.pages.linearType[changed[i]!]!;
          if (old !== NO_LINEAR && this.pages.live[old]![changed[i]!] === 1)
            before[i] = before[i]! & ~(1 << old);
        }
        this.creations.push({ kind: 'linear', type, owner, pages: changed, before, maintained: false });
      }
    }
    for (let i = p; i < p + n; i++) this.pages.setLinearType(i, type);
  }

  /** All mappings covering page p, the linear map included (a scan: for reports only). */
  covering(
    p: number,
  ): { kind: MappingKind; type: MemType; owner: string; state: 'live' | 'stale'; vaddr: number }[] {
    const out: { kind: MappingKind; type: MemType; owner: string; state: 'live' | 'stale'; vaddr: number }[] =
      [];
    const lt = this.pages.linearType[p]!;
    if (lt !== NO_LINEAR)
      out.push({ kind: 'linear', type: lt as MemType, owner: 'linear map', state: 'live', vaddr: -1 });
    for (const m of this.mappings.values()) {
      if (m.pages.includes(p))
        out.push({ kind: m.kind, type: m.type, owner: m.owner, state: m.state, vaddr: m.vaddr });
    }
    return out;
  }

  clearCreations(): void {
    if (this.creations.length > 0) this.creations = [];
  }
}
