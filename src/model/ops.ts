/**
 * The op vocabulary (docs/architecture.md section 5): what user space and other drivers do to the stack.
 * Ops are plain JSON; `parseOp` validates one before anything changes, with a one-line error.
 */

import { OpError } from '../errors.ts';
import { HEAP_NAMES, type HeapName } from './ion/heap.ts';

export type Op =
  | { op: 'alloc'; client: number; heap: HeapName; len: number; align?: number; cached?: boolean }
  /**
   * `race`: an interleaving point (B3): this FREE's lookup ran while another FREE of the same id
   * was between its lookup and its put. Where ion_free holds the client lock across both (ION-7)
   * the two are serialised and `race` changes nothing.
   */
  | { op: 'free'; client: number; handle: number; race?: boolean }
  | { op: 'share'; client: number; handle: number }
  | { op: 'import'; client: number; fd: number }
  | { op: 'close'; fd: number }
  | { op: 'kmap'; client: number; handle: number }
  | { op: 'kunmap'; client: number; handle: number }
  | { op: 'mmap'; fd: number; pgoff?: number; pages?: number }
  | { op: 'munmap'; vma: number }
  | { op: 'write'; vma: number }
  | { op: 'dma-map'; fd: number; device: string }
  | { op: 'dma-unmap'; fd: number; device: string }
  | { op: 'driver-vmap'; pages: number }
  | { op: 'driver-vunmap'; area: number }
  | { op: 'client-exit'; client: number }
  | { op: 'purge' }
  | { op: 'shrink' };

export type OpKind = Op['op'];

/** Fields of each op: required (true) or optional (false), and their kind. */
const SCHEMA: Record<OpKind, Record<string, ['int' | 'size' | 'heap' | 'bool' | 'device', boolean]>> = {
  alloc: {
    client: ['int', true],
    heap: ['heap', true],
    len: ['size', true],
    align: ['size', false],
    cached: ['bool', false],
  },
  free: { client: ['int', true], handle: ['int', true], race: ['bool', false] },
  share: { client: ['int', true], handle: ['int', true] },
  import: { client: ['int', true], fd: ['int', true] },
  close: { fd: ['int', true] },
  kmap: { client: ['int', true], handle: ['int', true] },
  kunmap: { client: ['int', true], handle: ['int', true] },
  mmap: { fd: ['int', true], pgoff: ['int', false], pages: ['int', false] },
  munmap: { vma: ['int', true] },
  write: { vma: ['int', true] },
  'dma-map': { fd: ['int', true], device: ['device', true] },
  'dma-unmap': { fd: ['int', true], device: ['device', true] },
  'driver-vmap': { pages: ['int', true] },
  'driver-vunmap': { area: ['int', true] },
  'client-exit': { client: ['int', true] },
  purge: {},
  shrink: {},
};
export const OP_KINDS = Object.keys(SCHEMA) as OpKind[];

/** Largest size an op may ask for: 4 GiB (what a 32-bit size_t can say). */
export const OP_SIZE_MAX = 2 ** 32 - 1;
/** Largest id or count an op may carry. */
export const OP_INT_MAX = 2 ** 31 - 1;

/** Validate a JSON value as an op; throws OpError naming the field that is wrong. */
export function parseOp(x: unknown, where = 'op'): Op {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new OpError(`${where}: not an object`);
  const o = x as Record<string, unknown>;
  const kind = o.op;
  if (typeof kind !== 'string' || !(kind in SCHEMA))
    throw new OpError(`${where}: unknown op ${JSON.stringify(kind)} (known: ${OP_KINDS.join(', ')})`);
  const schema = SCHEMA[kind as OpKind];
  for (const key of Object.keys(o)) {
    if (key !== 'op' && !(key in schema)) throw new OpError(`${where}: '${kind}' has no field '${key}'`);
  }
  const out: Record<string, unknown> = { op: kind };
  for (const [key, [type, required]] of Object.entries(schema)) {
    const v = o[key];
    if (v === undefined) {
      if (required) throw new OpError(`${where}: '${kind}' needs field '${key}'`);
      continue;
    }
    switch (type) {
      case 'int':
      case 'size': {
        const max = type === 'size' ? OP_SIZE_MAX : OP_INT_MAX;
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
          throw new OpError(
            `${where}: '${kind}.${key}' must be an integer in 0..${max}, not ${JSON.stringify(v)}`,
          );
        break;
      }
      case 'heap':
        if (typeof v !== 'string' || !(HEAP_NAMES as readonly string[]).includes(v))
          throw new OpError(`${where}: '${kind}.${key}' must be one of ${HEAP_NAMES.join(', ')}`);
        break;
      case 'bool':
        if (typeof v !== 'boolean') throw new OpError(`${where}: '${kind}.${key}' must be true or false`);
        break;
      case 'device':
        if (typeof v !== 'string' || !/^[a-z0-9_-]{1,32}$/.test(v))
          throw new OpError(`${where}: '${kind}.${key}' must be a device name ([a-z0-9_-], 1-32 chars)`);
        break;
    }
    out[key] = v;
  }
  return out as Op;
}

/** The op as a replay file spells it (stable key order). */
export function formatOp(op: Op): string {
  return JSON.stringify(op);
}
