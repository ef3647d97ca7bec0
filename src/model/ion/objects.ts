/**
 * ION's objects (ION-1, ION-2): clients, handles, dma-bufs, user VMAs, importer
 * attachments, plus the other driver's vmapped areas of the seed's product.
 */
import type { Mapping } from '../mmu.ts';
import type { HandleId } from '../types.ts';
import type { IonBuffer } from './heap.ts';

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
