/**
 * ION's objects (ION-1, ION-2): buffers, clients, handles, dma-bufs, user VMAs, importer
 * attachments, plus the other driver's vmapped areas of the seed's product.
 */
import type { Mapping } from '../mmu.ts';
import type { BufferId, HandleId } from '../types.ts';
import type { IonHeap } from './heap.ts';

export type BufferState = 'live' | 'deferred' | 'destroyed' | 'leaked';

export interface IonBuffer {
  readonly id: BufferId;
  readonly heap: IonHeap;
  readonly cached: boolean;
  /** PAGE_ALIGN(len) in bytes (ION-3). */
  readonly size: number;
  /** Requested alignment in bytes. */
  readonly align: number;
  /** kref (ION-2). */
  ref: number;
  handleCount: number;
  /** ION-8 kmap_cnt and the kernel mapping it refers to. */
  kmapCnt: number;
  vaddr: number;
  kmapMapping: Mapping | null;
  /** The sg table (pages as the table describes them; B9 can make it wrong). */
  sgTable: Int32Array | null;
  /** The pages the heap really gave the buffer. */
  pages: Int32Array;
  /** ION-4 fault-mapped (CACHED and not CACHED_NEEDS_SYNC): page array vmalloc'ed for life. */
  faultMapped: boolean;
  pageArrayVaddr: number;
  /** Heap private data (DMA allocation, chunk list...). */
  priv: unknown;
  state: BufferState;
  /** Op index at which the buffer was created (for reports). */
  readonly createdAt: number;
}

export interface IonHandle {
  /** The op-level id: handles in creation order within a run (docs/architecture.md section 5). */
  readonly ordinal: number;
  /** ION's own per-client id, from 1 (ION-2). */
  readonly ionId: HandleId;
  readonly client: number;
  readonly buffer: IonBuffer;
  ref: number;
  kmapCnt: number;
  live: boolean;
}

export interface IonClient {
  readonly id: number;
  /** ION-2 handles keyed by buffer (one per buffer). */
  readonly byBuffer: Map<number, IonHandle>;
  readonly byIonId: Map<number, IonHandle>;
  nextIonId: number;
}

export interface DmaBuf {
  readonly fd: number;
  readonly buffer: IonBuffer;
  /** File references: the fd, each mmap, each importer attachment (ION-11). */
  fileRef: number;
  fdOpen: boolean;
  released: boolean;
}

export interface Vma {
  readonly id: number;
  readonly dmabuf: DmaBuf;
  readonly mapping: Mapping | null;
  readonly pgoff: number;
  readonly pageCount: number;
  live: boolean;
}

export interface Attachment {
  readonly dmabuf: DmaBuf;
  readonly device: string;
  /** The table handed to the importer (ION-10: the buffer's one sg table). */
  readonly sg: Int32Array;
  live: boolean;
}

export interface DriverArea {
  readonly id: number;
  readonly pages: Int32Array;
  readonly mapping: Mapping | null;
  readonly vaddr: number;
  live: boolean;
}
