/**
 * Units and ids of the model. Branded so that a page frame number is never passed where a virtual
 * address is expected; the only conversions between units live in this file.
 */

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** Physical page frame number (phys >> 12), absolute as in the kernel. */
export type Pfn = Brand<number, 'Pfn'>;
/** Index of a page in the model's per-page arrays: pfn - ram base pfn. */
export type PageIdx = Brand<number, 'PageIdx'>;
/** Physical address in bytes. */
export type PhysAddr = Brand<number, 'PhysAddr'>;
/** Kernel (or user) virtual address in bytes. */
export type VAddr = Brand<number, 'VAddr'>;
/** ION handle id, per client, from 1 (ION-2). */
export type HandleId = Brand<number, 'HandleId'>;
/** ion_buffer id, global, in creation order. */
export type BufferId = Brand<number, 'BufferId'>;
/** Id of a Mapping object (linear range, vm area, user VMA, kmap slot). */
export type MappingId = Brand<number, 'MappingId'>;

/** The ION heaps a board can declare (ION-1; HEAP-SYS-1, HEAP-CONTIG-1, HEAP-CARVEOUT-1, HEAP-CMA-1). */
export type HeapName = 'system' | 'system-contig' | 'carveout' | 'cma';
export const HEAP_NAMES: readonly HeapName[] = ['system', 'system-contig', 'carveout', 'cma'];

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;
export const SZ_1M = 1 << 20;

export const pfnOfPhys = (phys: number): Pfn => Math.floor(phys / PAGE_SIZE) as Pfn;
export const physOfPfn = (pfn: number): PhysAddr => (pfn * PAGE_SIZE) as PhysAddr;
export const asVAddr = (n: number): VAddr => n as VAddr;
export const asPhys = (n: number): PhysAddr => n as PhysAddr;
export const asPfn = (n: number): Pfn => n as Pfn;
/** PAGE_ALIGN(bytes) in pages. */
export const pagesOf = (bytes: number): number => Math.ceil(bytes / PAGE_SIZE);
/** get_order(size): smallest order with 2^order pages >= size. */
export function getOrder(bytes: number): number {
  const pages = Math.max(1, pagesOf(bytes));
  return Math.ceil(Math.log2(pages));
}
/** fls(x): 1-based index of the most significant set bit, 0 for 0. */
export const fls = (x: number): number => (x === 0 ? 0 : 32 - Math.clz32(x));

/** `a`'s contents in a new array twice as long, or `atLeast` long if that is more (a list that grew full). */
export function grown(a: Int32Array, atLeast = 0): Int32Array<ArrayBuffer> {
  const b = new Int32Array(Math.max(atLeast, a.length * 2));
  b.set(a);
  return b;
}

export const hex = (n: number): string => `0x${n.toString(16).toUpperCase().padStart(8, '0')}`;

/**
 * Memory attribute classes of a CPU mapping (ARCH-1): Normal write-back, Normal non-cacheable,
 * Device, Strongly-ordered. Numeric so that per-page counters index by type.
 */
export const MemType = { WB: 0, NC: 1, DEV: 2, SO: 3 } as const;
export type MemType = (typeof MemType)[keyof typeof MemType];
export const MEM_TYPES: readonly MemType[] = [MemType.WB, MemType.NC, MemType.DEV, MemType.SO];
const MEM_TYPE_NAMES: readonly string[] = ['WB', 'NC', 'DEV', 'SO'];
export const memTypeName = (t: MemType): string => MEM_TYPE_NAMES[t] ?? '?';

/** Kernel errno values returned (negated) by model functions, exactly where the kernel returns them. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ENXIO: 6,
  EBADF: 9,
  ENOMEM: 12,
  EBUSY: 16,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
} as const;
export type Errno = (typeof Errno)[keyof typeof Errno];
export const errnoName = (e: number): string => {
  for (const [k, v] of Object.entries(Errno)) if (v === e) return k;
  return `E${e}`;
};

/** Result of a model function that can fail like the kernel: a value or a (positive) errno. */
export type KResult<T> = { ok: true; value: T } | { ok: false; errno: number };
export const ok = <T>(value: T): KResult<T> => ({ ok: true, value });
export const fail = <T = never>(errno: number): KResult<T> => ({ ok: false, errno });

/** A bug in the model or in a design (not a kernel finding): thrown, reported as such. */
export class ModelBug extends Error {
  override name = 'ModelBug';
}

export function assertNever(x: never, what = 'value'): never {
  throw new ModelBug(`unhandled ${what}: ${JSON.stringify(x)}`);
}
