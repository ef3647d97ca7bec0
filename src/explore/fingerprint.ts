/**
 * State fingerprints for the explorer (docs/architecture.md section 6): a 64-bit hash (two
 * independent 32-bit lanes, no BigInt) of exactly what `Kernel.hash()` covers, kept up to date
 * from the pages an op touched instead of recomputed over the whole state, and canonical under
 * the permutations of client ids that leave the alphabet unchanged (symmetry reduction).
 *
 * Pages (the only part that grows with RAM) are Zobrist-style: the page part is the sum, lane by
 * lane mod 2^32, of a hash of each page's tuple (owner kind and id, writer, linear type, claims,
 * double frees, live and stale mapping counts) seeded with the page index. A child's page part is
 * its parent's minus the old tuples of the pages the op touched plus their new ones
 * (`pages.touched()`: every page mutation goes through a method that records it). The small
 * structures are hashed as numbers, each into its own pair of lanes (a part): buddy free lists,
 * CMA bitmap, the vmalloc allocator (`digest()`: what `snapshot()` says, without the text) and
 * kmap_atomic slots; a child whose structure did not change since it was cloned (its change
 * flag) takes its parent's part. The ION part (canonical under the renamings) is taken from the
 * parent's too when the device reports no change (`IonDevice.changed`) and the driver areas and
 * the heaps' pool counts it also covers are as the parent has them; a few hundred numbers on
 * `tiny` in all otherwise. Each hashing step is a bijection of the running lane for a given input, so two
 * inputs that differ in one number never hash alike in a lane.
 *
 * Symmetry: the model reads a client id only as a map key and in equality tests (src/model/ion;
 * no page field, vmalloc tag or invariant holds one), so renaming clients by a permutation s of
 * the client ids maps the state reached by a trace to the state reached by the renamed trace, and
 * an invariant holds in one iff it holds in the other. When s also maps the alphabet onto itself
 * (and fixes the booted machine, which has no client), every violating trace from a state has a
 * renamed twin of the same length from the renamed state, so the shortest violation length per
 * invariant is the same from both: a search may keep one state per orbit. The canonical
 * fingerprint is the least, over the group, of the fingerprint of the renamed state; only the ION
 * part names clients, so only it is rehashed per group element. Buffer, handle, fd, vma and area
 * ids are not reduced: they are handed out in creation order and the model iterates objects in
 * id order (client exit, shrink, free lists), so renaming them does not commute with the ops.
 * Devices are not reduced either: the alphabet names one.
 *
 * Collisions: a fingerprint-only visited set is hash compaction (SPIN, TLC): two distinct states
 * with equal fingerprints would merge and the second's subtree be skipped. With n distinct states
 * and a 64-bit hash the probability of any collision is at most n^2 / 2^65 (1e6 states: 3e-8).
 * (The lanes are sums and murmur-style steps, not a cryptographic hash: the bound is the usual
 * estimate for a well-mixed 64-bit hash.) `exactKey` is the full-key alternative (`Kernel.hash()`,
 * sha256, canonicalised the same way) for `explore --exact` and the cross-check tests, which
 * count the same distinct states both ways.
 *
 * Read-only on the model: nothing here writes a kernel.
 */
import type { BuddyZone } from '../model/buddy.ts';
import type { Kernel } from '../model/kernel.ts';
import { type Op, parseOp } from '../model/ops.ts';
import type { PageState } from '../model/pages.ts';
import type { Letter } from './alphabet.ts';

/** A 64-bit fingerprint as two unsigned 32-bit lanes. */
export interface Fp {
  readonly a: number;
  readonly b: number;
}

/** A renaming of client ids (a permutation of the alphabet's clients; identity elsewhere). */
export type ClientMap = ReadonlyMap<number, number>;

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const SEED_A = 0x9747b28c;
const SEED_B = 0x5bd1e995;

/** One murmur3 block step. */
function step(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** murmur3's finaliser: every input bit reaches every output bit. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * One step of a page tuple's hash: xor the field in, multiply by an odd constant, fold the high
 * half down. Each step is a bijection of the running value for a given field, so two tuples that
 * differ in one field never hash alike in a lane; the lanes use different multipliers.
 */
function pstep(h: number, k: number, m: number): number {
  h = Math.imul(h ^ k, m);
  return h ^ (h >>> 15);
}

const MUL_A = 0x9e3779b1 | 0;
const MUL_B = 0x85ebca77 | 0;

/**
 * Page p's tuple hashed in both lanes by pagePair: a typed array, not two module variables (a
 * 32-bit value stored in a variable outside the function may be boxed, an allocation per page).
 */
const PH = new Uint32Array(2);

/**
 * The hash of page p's tuple in each lane (seed and multiplier pick the lane), both lanes in one
 * pass: every field is read once for the two.
 */
function pagePair(ps: PageState, p: number): void {
  let a = pstep(SEED_A, p, MUL_A);
  let b = pstep(SEED_B, p, MUL_B);
  const k = ps.ownerKind[p]! | (ps.linearType[p]! << 8) | (ps.claims[p]! << 16) | (ps.doubleFrees[p]! << 24);
  a = pstep(a, k, MUL_A);
  b = pstep(b, k, MUL_B);
  const id = ps.ownerId[p]!;
  a = pstep(a, id, MUL_A);
  b = pstep(b, id, MUL_B);
  const w = ps.writer[p]!;
  a = pstep(a, w, MUL_A);
  b = pstep(b, w, MUL_B);
  const { live, stale } = ps;
  for (let t = 0; t < 4; t++) {
    const x = live[t]![p]!;
    a = pstep(a, x, MUL_A);
    b = pstep(b, x, MUL_B);
  }
  for (let t = 0; t < 4; t++) {
    const x = stale[t]![p]!;
    a = pstep(a, x, MUL_A);
    b = pstep(b, x, MUL_B);
  }
  PH[0] = fmix(a);
  PH[1] = fmix(b);
}

/** The page part of a fingerprint, from scratch: O(pages). */
export function pagesFp(ps: PageState): Fp {
  let a = 0;
  let b = 0;
  for (let p = 0; p < ps.nPages; p++) {
    pagePair(ps, p);
    a = (a + PH[0]!) | 0;
    b = (b + PH[1]!) | 0;
  }
  return { a: a >>> 0, b: b >>> 0 };
}

/** The page part of `child` (its parent's with one op applied) from the parent's: O(touched). */
export function childPagesFp(parentFp: Fp, parent: PageState, child: PageState): Fp {
  let a = parentFp.a;
  let b = parentFp.b;
  const touched = child.touched();
  for (let i = 0; i < touched.length; i++) {
    const p = touched[i]!;
    pagePair(parent, p);
    a = (a - PH[0]!) | 0;
    b = (b - PH[1]!) | 0;
    pagePair(child, p);
    a = (a + PH[0]!) | 0;
    b = (b + PH[1]!) | 0;
  }
  return { a: a >>> 0, b: b >>> 0 };
}

/** The running lanes of the hash of the small structures (module state: no tuple per step). */
const L = new Int32Array(2);

function put(x: number): void {
  L[0] = pstep(L[0]!, x, MUL_A);
  L[1] = pstep(L[1]!, x, MUL_B);
}

/** `k` was cloned from `from` in the state `from` is in now. */
function isCloneOf(k: Kernel, from: Kernel): boolean {
  const o = k.origin;
  return o !== null && o.serial === from.serial && o.at === from.opsApplied;
}

/** A byte array, four bytes a step (through a 32-bit view when the bytes are aligned). */
function putBytes(bytes: Uint8Array): void {
  const n = bytes.length;
  if ((bytes.byteOffset & 3) === 0 && (n & 3) === 0) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, n >> 2);
    for (let i = 0; i < words.length; i++) put(words[i]! | 0);
  } else
    for (let i = 0; i < n; i += 4)
      put(bytes[i]! | ((bytes[i + 1] ?? 0) << 8) | ((bytes[i + 2] ?? 0) << 16) | ((bytes[i + 3] ?? 0) << 24));
  put(n);
}

/**
 * A buddy zone's free lists, in order, head first, and its free page count: the information of
 * `BuddyZone.stateKey()` (whose sorted block list is a function of the lists) without the text.
 */
function putBuddy(z: BuddyZone | null): void {
  if (!z) {
    put(-1);
    return;
  }
  for (let o = 0; o < z.maxOrder; o++) {
    const list = z.freeList(o);
    for (let i = 0; i < list.length; i++) put(list[i]!);
    put(-2 - o);
  }
  put(z.freePagesCount);
}

/** The kmap_atomic slots that map a page: each one's index and the first page it maps. */
function putFixmap(k: Kernel): void {
  const { fixmapSlots } = k.mm;
  const { mappings } = k.mm.mmu;
  let used = 0;
  for (let i = 0; i < fixmapSlots.length; i++) {
    const id = fixmapSlots[i]!;
    // as Kernel.hash(): a slot whose mapping is gone reads as empty (-1)
    const p = id === 0 ? -1 : (mappings.get(id)?.pages[0] ?? -1);
    if (p === -1) continue;
    put(i);
    put(p);
    used++;
  }
  put(-4 - used);
}

/** A name's 32-bit hash (heap and device names), cached: the same in every process. */
const names = new Map<string, number>();
function nameHash(s: string): number {
  let h = names.get(s);
  if (h === undefined) {
    h = SEED_A;
    for (let i = 0; i < s.length; i++) h = pstep(h, s.charCodeAt(i), MUL_A);
    h = fmix(h ^ s.length);
    names.set(s, h);
  }
  return h;
}

/**
 * The ION objects with client ids renamed by `m`: the fields of `Kernel.ionKey()` (buffers by
 * id, handles, dma-bufs, VMAs, attachments, driver areas, the deferred free list, the heaps'
 * pools), as numbers, each section closed by its own marker and count.
 */
function putIon(k: Kernel, m: ClientMap | null): void {
  const ion = k.ion;
  let last = -1;
  let sorted = true;
  for (const b of ion.buffers.values()) {
    if (b.id < last) sorted = false;
    last = b.id;
  }
  const bufs = sorted ? ion.buffers.values() : [...ion.buffers.values()].sort((x, y) => x.id - y.id);
  for (const b of bufs) {
    put(b.id);
    put(nameHash(b.heap.name));
    put(b.size);
    put(b.ref);
    put(b.handleCount);
    put(b.kmapCnt);
    put(b.pages[0] ?? -1);
  }
  put(-11);
  put(ion.buffers.size);
  for (const h of ion.handles) {
    if (!h) {
      put(-12);
      continue;
    }
    put(h.ordinal);
    put(m?.get(h.client) ?? h.client);
    put(h.ref);
    put(h.kmapCnt);
    put(h.live ? 1 : 0);
  }
  put(-13);
  put(ion.handles.length);
  for (const d of ion.dmabufs) {
    put(d.fd);
    put(d.fileRef);
    put(d.fdOpen ? 1 : 0);
  }
  put(-14);
  put(ion.dmabufs.length);
  for (const v of ion.vmas) {
    put(v.id);
    put(v.live ? 1 : 0);
  }
  put(-15);
  put(ion.vmas.length);
  for (const a of ion.attachments) {
    put(a.dmabuf.fd);
    put(nameHash(a.device));
    put(a.live ? 1 : 0);
  }
  put(-16);
  put(ion.attachments.length);
  for (const a of k.driverAreas) {
    put(a.id);
    put(a.live ? 1 : 0);
  }
  put(-17);
  put(k.driverAreas.length);
  for (const b of ion.freeList) put(b.id);
  put(-18);
  put(ion.freeList.length);
  for (const h of ion.heaps) {
    put(nameHash(h.name));
    put(h.shrinkCount());
  }
  put(-19);
}

/** The client-id permutations (identity excluded) that map the alphabet onto itself. */
export function clientSymmetries(alphabet: readonly Letter[]): ClientMap[] {
  const clients = [...new Set(alphabet.flatMap((l) => ('client' in l.op ? [l.op.client] : [])))].sort(
    (x, y) => x - y,
  );
  // 5 clients: 119 renamings per state, already more than the reduction saves
  if (clients.length < 2 || clients.length > 4) return [];
  const keys = new Set(alphabet.map((l) => l.key));
  const out: ClientMap[] = [];
  for (const perm of permutations(clients)) {
    if (perm.every((c, i) => c === clients[i])) continue;
    const m = new Map(clients.map((c, i) => [c, perm[i]!]));
    if (alphabet.every((l) => keys.has(renamedKey(l.op, m)))) out.push(m);
  }
  return out;
}

function renamedKey(op: Op, m: ClientMap): string {
  if (!('client' in op)) return JSON.stringify(op);
  return JSON.stringify(parseOp({ ...op, client: m.get(op.client) ?? op.client }));
}

function permutations(xs: readonly number[]): number[][] {
  if (xs.length <= 1) return [[...xs]];
  const out: number[][] = [];
  for (let i = 0; i < xs.length; i++)
    for (const rest of permutations([...xs.slice(0, i), ...xs.slice(i + 1)])) out.push([xs[i]!, ...rest]);
  return out;
}

/**
 * The small structures outside ION, each hashed on its own into a pair of lanes (a part): buddy
 * zones, CMA bitmap, vmalloc allocator, kmap_atomic slots. A part is a function of its structure
 * only, so a child whose structure did not change since it was cloned has its parent's part.
 */
const PARTS = 5;

/** Whether part i of `k` may have changed since `k` was cloned (the structure's change flag). */
function partChanged(k: Kernel, i: number): boolean {
  const { mm } = k;
  switch (i) {
    case 0:
      return mm.normal.changed;
    case 1:
      return mm.highmem?.changed ?? false;
    case 2:
      return mm.cma?.changed ?? false;
    case 3:
      return mm.vmalloc.changed;
    default:
      // a slot's hash reads the mapping table too
      return mm.smallChanged || mm.mmu.changed;
  }
}

/** Where the ION part's two lanes sit in a kept parts array, after the small structures'. */
const ION_PART = 2 * PARTS;
/** Lanes in a parts array: two per small structure, and the ION part's two. */
const PART_LANES = ION_PART + 2;

/** Whether the ION part of `k` may differ from that of `from`, which `k` is a clone of. */
function ionPartChanged(k: Kernel, from: Kernel): boolean {
  if (k.ion.changed) return true;
  const a = k.driverAreas;
  const b = from.driverAreas;
  if (a.length !== b.length) return true;
  for (let i = 0; i < a.length; i++) if (a[i]!.live !== b[i]!.live) return true;
  const { heaps } = k.ion;
  for (let i = 0; i < heaps.length; i++)
    if (heaps[i]!.shrinkCount() !== from.ion.heaps[i]!.shrinkCount()) return true;
  return false;
}

/** Part i of `k` into the running lanes, from the seeds. */
function putPart(k: Kernel, i: number): void {
  const { mm } = k;
  L[0] = SEED_A;
  L[1] = SEED_B;
  switch (i) {
    case 0:
      putBuddy(mm.normal);
      break;
    case 1:
      putBuddy(mm.highmem);
      break;
    case 2:
      if (mm.cma) putBytes(mm.cma.bits as Uint8Array);
      else put(-3);
      break;
    case 3:
      mm.vmalloc.digest(put);
      break;
    default:
      putFixmap(k);
  }
}

/**
 * The renamings in `group` that can change the ION part of `k`: only handles name clients, so a
 * renaming that agrees with another one (or with the identity) on the clients of the handles gives
 * the same hash and is skipped.
 */
function distinctRenamings(k: Kernel, group: readonly ClientMap[]): ClientMap[] {
  const named: number[] = [];
  for (const h of k.ion.handles) if (h && !named.includes(h.client)) named.push(h.client);
  const out: ClientMap[] = [];
  if (named.length === 0) return out;
  for (const m of group) {
    if (agreeOn(named, m, null)) continue;
    let dup = false;
    for (const n of out) if (agreeOn(named, m, n)) dup = true;
    if (!dup) out.push(m);
  }
  return out;
}

/** Whether renamings m and n (null: the identity) map each client of `named` alike. */
function agreeOn(named: readonly number[], m: ClientMap, n: ClientMap | null): boolean {
  for (const c of named) if ((m.get(c) ?? c) !== (n ? (n.get(c) ?? c) : c)) return false;
  return true;
}

/** Fingerprints of one search: the symmetry group is fixed by its alphabet. */
export class Fingerprinter {
  /** The parts of the states kept as parents (the root, rebuilt states), two lanes each. */
  private readonly kept = new WeakMap<Kernel, Int32Array>();
  /** Scratch for the parts of a child (not kept). */
  private readonly scratch = new Int32Array(PART_LANES);

  constructor(readonly symmetries: readonly ClientMap[]) {}

  /**
   * The whole fingerprint from the page part: the small structures part by part, ION canonically.
   * `from`: the kernel `k` is a clone of, as it was then (its parts kept): a part whose structure
   * did not change since is taken from it. `keep`: keep k's parts for its own children.
   */
  finish(k: Kernel, pages: Fp, from: Kernel | null = null, keep = false): Fp {
    const prev = from && isCloneOf(k, from) ? this.kept.get(from) : undefined;
    const parts = keep ? new Int32Array(PART_LANES) : this.scratch;
    for (let i = 0; i < PARTS; i++) {
      if (prev && !partChanged(k, i)) {
        parts[2 * i] = prev[2 * i]!;
        parts[2 * i + 1] = prev[2 * i + 1]!;
        continue;
      }
      putPart(k, i);
      parts[2 * i] = fmix(L[0]!);
      parts[2 * i + 1] = fmix(L[1]!);
    }
    if (prev && !ionPartChanged(k, from!)) {
      parts[ION_PART] = prev[ION_PART]!;
      parts[ION_PART + 1] = prev[ION_PART + 1]!;
    } else this.ionPart(k, parts);
    if (keep) this.kept.set(k, parts);
    let ha = pages.a;
    let hb = pages.b;
    for (let i = 0; i < PARTS; i++) {
      ha = step(ha, parts[2 * i]!);
      hb = step(hb, parts[2 * i + 1]!);
    }
    const ia = parts[ION_PART]! >>> 0;
    const ib = parts[ION_PART + 1]! >>> 0;
    return { a: fmix(step(ha, ia)), b: fmix(step(hb, ib)) };
  }

  /** The ION part of `k` into parts[ION_PART..]: the least over the group of the renamed hashes. */
  private ionPart(k: Kernel, parts: Int32Array): void {
    L[0] = SEED_A;
    L[1] = SEED_B;
    putIon(k, null);
    let [ia, ib] = [L[0]! >>> 0, L[1]! >>> 0];
    for (const m of this.symmetries.length === 0 ? [] : distinctRenamings(k, this.symmetries)) {
      L[0] = SEED_A;
      L[1] = SEED_B;
      putIon(k, m);
      const [xa, xb] = [L[0]! >>> 0, L[1]! >>> 0];
      // the least over the group (a then b): the same for every renaming of the state
      if (xa < ia || (xa === ia && xb < ib)) [ia, ib] = [xa, xb];
    }
    parts[ION_PART] = ia;
    parts[ION_PART + 1] = ib;
  }

  /** A state's fingerprint from scratch (O(pages)), its parts kept; also its page part for its children. */
  full(k: Kernel): { fp: Fp; pages: Fp } {
    const pages = pagesFp(k.mm.pages);
    return { fp: this.finish(k, pages, null, true), pages };
  }

  /** A child's fingerprint from its parent's page part and parts: O(touched) plus what changed. */
  child(parent: Kernel, parentPages: Fp, child: Kernel): { fp: Fp; pages: Fp } {
    const pages = childPagesFp(parentPages, parent.mm.pages, child.mm.pages);
    return { fp: this.finish(child, pages, parent), pages };
  }

  /**
   * The full key: `Kernel.hash()` (sha256 over the whole state), the least over the group when
   * there is symmetry. For `--exact` and for cross-checking fingerprints.
   */
  exactKey(k: Kernel): string {
    if (this.symmetries.length === 0) return k.hash();
    let best = k.hash();
    for (const m of distinctRenamings(k, this.symmetries)) {
      const h = k.hash(m);
      if (h < best) best = h;
    }
    return best;
  }
}

/**
 * A set of 64-bit fingerprints (open addressing, linear probing, typed arrays): a visited set
 * that holds 8 bytes per state and allocates nothing per lookup.
 */
export class FpSet {
  private a = new Uint32Array(1 << 12);
  private b = new Uint32Array(1 << 12);
  private used = new Uint8Array(1 << 12);
  private mask = (1 << 12) - 1;
  size = 0;

  has(fp: Fp): boolean {
    const { a, b, used, mask } = this;
    for (let i = (fp.a ^ Math.imul(fp.b, 0x9e3779b1)) & mask; used[i] === 1; i = (i + 1) & mask)
      if (a[i] === fp.a && b[i] === fp.b) return true;
    return false;
  }

  /** Adds fp; false if it was there already. */
  add(fp: Fp): boolean {
    if (2 * (this.size + 1) > this.used.length) this.grow();
    const { a, b, used, mask } = this;
    let i = (fp.a ^ Math.imul(fp.b, 0x9e3779b1)) & mask;
    for (; used[i] === 1; i = (i + 1) & mask) if (a[i] === fp.a && b[i] === fp.b) return false;
    used[i] = 1;
    a[i] = fp.a;
    b[i] = fp.b;
    this.size++;
    return true;
  }

  private grow(): void {
    const { a, b, used } = this;
    const n = used.length * 2;
    this.a = new Uint32Array(n);
    this.b = new Uint32Array(n);
    this.used = new Uint8Array(n);
    this.mask = n - 1;
    this.size = 0;
    for (let i = 0; i < used.length; i++) if (used[i] === 1) this.add({ a: a[i]!, b: b[i]! });
  }
}
