/**
 * The op vocabulary (docs/architecture.md section 5): what user space and other drivers do to the stack.
 * Ops are plain JSON; `parseOp` validates one before anything changes, with a one-line error.
 *
 * OP_TABLE is the one description of each op kind: its fields, the id it names, the id it creates
 * and its short reading. The parser, the minimizer's id renumbering, the explorer's letters and the
 * printers all read it, so a new op kind is one type member plus one table entry.
 */

import { OpError } from '../errors.ts';
import { HEAP_NAMES, type HeapName } from './ion/heap.ts';
import { assertNever } from './types.ts';

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
/** The op of kind K. */
export type OpOf<K extends OpKind> = Extract<Op, { op: K }>;

/**
 * The id counters ops name (docs/architecture.md section 5): ION handles (ION-2), dma-buf fds
 * (ION-11), user VMAs, the other driver's vmapped areas (VMALLOC-6). Importer attachments are not
 * one: dma-map returns 0 and an attachment is named by its fd and device.
 */
export type IdNs = 'handle' | 'fd' | 'vma' | 'area';
export const ID_NAMESPACES: readonly IdNs[] = ['handle', 'fd', 'vma', 'area'];

/** How a field is checked: an id or count, a size in bytes, a heap name, a flag, a device name. */
export type FieldType = 'int' | 'size' | 'heap' | 'bool' | 'device';
type FieldTypeOf<V> = V extends boolean
  ? 'bool'
  : V extends number
    ? 'int' | 'size'
    : V extends HeapName
      ? 'heap'
      : 'device';
type Fields<K extends OpKind> = Exclude<keyof OpOf<K>, 'op'>;

/** One field: its type and whether the op needs it (the type system keeps both true to `Op`). */
export interface FieldSpec<T extends FieldType = FieldType, R extends boolean = boolean> {
  readonly type: T;
  readonly required: R;
}

export interface OpSpec<K extends OpKind> {
  /** The fields in replay-file order (parseOp puts them in this order). */
  readonly fields: {
    readonly [F in Fields<K>]-?: FieldSpec<
      FieldTypeOf<NonNullable<OpOf<K>[F]>>,
      undefined extends OpOf<K>[F] ? false : true
    >;
  };
  /** The id the op names: its namespace and field. */
  readonly ref: { readonly ns: IdNs; readonly field: Fields<K> & string } | null;
  /** The namespace of the id the op returns when it succeeds. */
  readonly creates: IdNs | null;
  /** A short reading for summary lines (`alloc(c1 cma 16 KiB)`); the exact op is formatOp's. */
  readonly brief: (op: OpOf<K>) => string;
}

const int = { type: 'int', required: true } as const;
const intOpt = { type: 'int', required: false } as const;
const device = { type: 'device', required: true } as const;
const handleRef = { ns: 'handle', field: 'handle' } as const;
const fdRef = { ns: 'fd', field: 'fd' } as const;
const vmaRef = { ns: 'vma', field: 'vma' } as const;
const onHandle = (op: { op: string; client: number; handle: number }) =>
  `${op.op}(c${op.client} h${op.handle})`;
const onVma = (op: { op: string; vma: number }) => `${op.op}(vma${op.vma})`;
const onAttachment = (op: { op: string; fd: number; device: string }) => `${op.op}(fd${op.fd} ${op.device})`;

/** The op table: every op kind, in the order OP_KINDS lists them. */
export const OP_TABLE: { readonly [K in OpKind]: OpSpec<K> } = {
  // ION-3 ion_alloc(): a new handle
  alloc: {
    fields: {
      client: int,
      heap: { type: 'heap', required: true },
      len: { type: 'size', required: true },
      align: { type: 'size', required: false },
      cached: { type: 'bool', required: false },
    },
    ref: null,
    creates: 'handle',
    brief: (op) => {
      const kib = op.len % 1024 === 0 ? `${op.len / 1024} KiB` : `${op.len} B`;
      return `alloc(c${op.client} ${op.heap} ${kib}${op.cached ? ' cached' : ''})`;
    },
  },
  // ION-7 ion_free()
  free: {
    fields: { client: int, handle: int, race: { type: 'bool', required: false } },
    ref: handleRef,
    creates: null,
    brief: onHandle,
  },
  // ION-11 ion_share_dma_buf_fd(): a new fd
  share: { fields: { client: int, handle: int }, ref: handleRef, creates: 'fd', brief: onHandle },
  // ION-11 ion_import_dma_buf(): a handle (the existing one for a buffer the client holds)
  import: {
    fields: { client: int, fd: int },
    ref: fdRef,
    creates: 'handle',
    brief: (op) => `import(c${op.client} fd${op.fd})`,
  },
  close: { fields: { fd: int }, ref: fdRef, creates: null, brief: (op) => `close(fd${op.fd})` },
  // ION-8 ion_map_kernel() returns a kernel address, not an id
  kmap: { fields: { client: int, handle: int }, ref: handleRef, creates: null, brief: onHandle },
  kunmap: { fields: { client: int, handle: int }, ref: handleRef, creates: null, brief: onHandle },
  mmap: {
    fields: { fd: int, pgoff: intOpt, pages: intOpt },
    ref: fdRef,
    creates: 'vma',
    brief: (op) => `mmap(fd${op.fd})`,
  },
  munmap: { fields: { vma: int }, ref: vmaRef, creates: null, brief: onVma },
  write: { fields: { vma: int }, ref: vmaRef, creates: null, brief: onVma },
  'dma-map': { fields: { fd: int, device }, ref: fdRef, creates: null, brief: onAttachment },
  'dma-unmap': { fields: { fd: int, device }, ref: fdRef, creates: null, brief: onAttachment },
  // VMALLOC-6 the other driver's vmap: a new area
  'driver-vmap': {
    fields: { pages: int },
    ref: null,
    creates: 'area',
    brief: (op) => `driver-vmap(${op.pages}p)`,
  },
  'driver-vunmap': {
    fields: { area: int },
    ref: { ns: 'area', field: 'area' },
    creates: null,
    brief: (op) => `driver-vunmap(a${op.area})`,
  },
  'client-exit': {
    fields: { client: int },
    ref: null,
    creates: null,
    brief: (op) => `client-exit(c${op.client})`,
  },
  purge: { fields: {}, ref: null, creates: null, brief: (op) => op.op },
  shrink: { fields: {}, ref: null, creates: null, brief: (op) => op.op },
};

export const OP_KINDS = Object.keys(OP_TABLE) as OpKind[];

/** The table entry of an op's kind (one place that widens OpSpec<K> for a union-typed op). */
export function specOf<K extends OpKind>(op: OpOf<K>): OpSpec<K> {
  return OP_TABLE[op.op as K];
}

/** The id an op names (namespace, field, value), or null. */
export function refOf(op: Op): { readonly ns: IdNs; readonly field: string; readonly id: number } | null {
  const ref = specOf(op).ref;
  return ref
    ? { ns: ref.ns, field: ref.field, id: (op as unknown as Record<string, number>)[ref.field]! }
    : null;
}

/** The namespace of the id an op creates when it succeeds, or null. */
export function createsNs(op: Op): IdNs | null {
  return specOf(op).creates;
}

/** Largest size an op may ask for: 4 GiB (what a 32-bit size_t can say). */
export const OP_SIZE_MAX = 2 ** 32 - 1;
/** Largest id or count an op may carry. */
export const OP_INT_MAX = 2 ** 31 - 1;

/** The one-line complaint about value v of a field of type t, or null when v is one. */
function fieldError(t: FieldType, v: unknown): string | null {
  switch (t) {
    case 'int':
    case 'size': {
      const max = t === 'size' ? OP_SIZE_MAX : OP_INT_MAX;
      return typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max
        ? `must be an integer in 0..${max}, not ${JSON.stringify(v)}`
        : null;
    }
    case 'heap':
      return typeof v !== 'string' || !(HEAP_NAMES as readonly string[]).includes(v)
        ? `must be one of ${HEAP_NAMES.join(', ')}`
        : null;
    case 'bool':
      return typeof v !== 'boolean' ? 'must be true or false' : null;
    case 'device':
      return typeof v !== 'string' || !/^[a-z0-9_-]{1,32}$/.test(v)
        ? 'must be a device name ([a-z0-9_-], 1-32 chars)'
        : null;
    default:
      return assertNever(t, 'field type'); // parseOp runs on every Kernel.apply: a switch, not ts-pattern
  }
}

/** The fields of an op kind, in table order, as [name, spec] pairs. */
function fieldsOf(kind: OpKind): [string, FieldSpec][] {
  return Object.entries(OP_TABLE[kind].fields as Record<string, FieldSpec>);
}

/** Validate a JSON value as an op; throws OpError naming the field that is wrong. */
export function parseOp(x: unknown, where = 'op'): Op {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new OpError(`${where}: not an object`);
  const o = x as Record<string, unknown>;
  const kind = o.op;
  if (typeof kind !== 'string' || !Object.hasOwn(OP_TABLE, kind))
    throw new OpError(`${where}: unknown op ${JSON.stringify(kind)} (known: ${OP_KINDS.join(', ')})`);
  const fields = OP_TABLE[kind as OpKind].fields;
  for (const key of Object.keys(o)) {
    if (key !== 'op' && !(key in fields)) throw new OpError(`${where}: '${kind}' has no field '${key}'`);
  }
  const out: Record<string, unknown> = { op: kind };
  for (const [key, { type, required }] of fieldsOf(kind as OpKind)) {
    const v = o[key];
    if (v === undefined) {
      if (required) throw new OpError(`${where}: '${kind}' needs field '${key}'`);
      continue;
    }
    const err = fieldError(type, v);
    if (err !== null) throw new OpError(`${where}: '${kind}.${key}' ${err}`);
    out[key] = v;
  }
  return out as Op;
}

/** The op as a replay file spells it: JSON, fields in the op's own order (parseOp's is the table's). */
export function formatOp(op: Op): string {
  return JSON.stringify(op);
}

/**
 * The op without the quotes: `alloc client=0 heap=cma len=4096`. Heap and device names print
 * bare, numbers and flags as JSON.
 */
export function opText(op: Op): string {
  const { op: kind, ...rest } = op as Op & Record<string, unknown>;
  const fields = OP_TABLE[kind].fields as Record<string, FieldSpec | undefined>;
  const args = Object.entries(rest).map(([k, v]) => {
    const t = fields[k]?.type;
    const bare = t === 'heap' || t === 'device';
    return `${k}=${bare ? v : JSON.stringify(v)}`;
  });
  return [kind, ...args].join(' ');
}

/** A short reading of an op for a summary line: `alloc(c1 cma 16 KiB)`, `kmap(c1 h0)`. */
export function opBrief(op: Op): string {
  return specOf(op).brief(op);
}
