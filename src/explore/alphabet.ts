/**
 * The explorer's finite op alphabet (docs/architecture.md sections 5 and 6). Objects get ids in creation
 * order, one counter per kind (handles, fds, vmas, driver areas), so after at most D ops no id
 * above D - 1 can exist: the alphabet for depth D names ids 0..D-1 and nothing else. Sizes are
 * the few that matter on a small profile: one and several pages of CMA (uncached and cached),
 * a small system and carveout buffer, a small and a larger discontiguous driver vmap.
 */
import { type IdNs, type Op, parseOp, refOf } from '../model/ops.ts';

/** Which id counter an op reads (for skipping ops on ids the state has not created yet). */
export type IdKind = IdNs | null;

export interface Letter {
  readonly op: Op;
  readonly idKind: IdKind;
  /** The id the op names (0 when idKind is null). */
  readonly id: number;
  /** The op as JSON (stable key order): the alphabet's identity for a letter. */
  readonly key: string;
}

export interface AlphabetOptions {
  /** Clients that act (default 1 and 2). */
  readonly clients?: readonly number[];
  /** The device dma-map / dma-unmap attach (default 'gpu'). */
  readonly device?: string;
  /** driver-vmap sizes in pages (default 8 and 64). */
  readonly driverPages?: readonly number[];
}

const KiB = 1024;

/** The alloc ops of the alphabet for one client. */
function allocs(client: number): Op[] {
  return [
    { op: 'alloc', client, heap: 'cma', len: 16 * KiB },
    { op: 'alloc', client, heap: 'cma', len: 64 * KiB },
    { op: 'alloc', client, heap: 'cma', len: 16 * KiB, cached: true },
    { op: 'alloc', client, heap: 'system', len: 16 * KiB },
    { op: 'alloc', client, heap: 'carveout', len: 16 * KiB },
  ];
}

function letter(op: Op, idKind: IdKind = null, id = 0): Letter {
  // parseOp puts the fields in schema order, so equal ops have equal keys
  const norm = parseOp(op);
  return { op: norm, idKind, id, key: JSON.stringify(norm) };
}

/**
 * The alphabet for searches of depth `depth`: allocs, then per-handle, per-fd, per-vma and
 * per-area ops for ids 0..depth-1, then driver vmaps, client exits, purge and shrink. The order
 * is the search order, so it is part of what makes a run deterministic.
 */
export function buildAlphabet(depth: number, opts: AlphabetOptions = {}): Letter[] {
  const clients = opts.clients ?? [1, 2];
  const device = opts.device ?? 'gpu';
  const driverPages = opts.driverPages ?? [8, 64];
  const ids = Math.max(0, depth);
  const out: Letter[] = [];
  for (const c of clients) for (const op of allocs(c)) out.push(letter(op));
  for (let h = 0; h < ids; h++)
    for (const client of clients) {
      out.push(letter({ op: 'kmap', client, handle: h }, 'handle', h));
      out.push(letter({ op: 'kunmap', client, handle: h }, 'handle', h));
      out.push(letter({ op: 'share', client, handle: h }, 'handle', h));
      out.push(letter({ op: 'free', client, handle: h }, 'handle', h));
    }
  for (let fd = 0; fd < ids; fd++) {
    for (const client of clients) out.push(letter({ op: 'import', client, fd }, 'fd', fd));
    out.push(letter({ op: 'mmap', fd }, 'fd', fd));
    out.push(letter({ op: 'dma-map', fd, device }, 'fd', fd));
    out.push(letter({ op: 'dma-unmap', fd, device }, 'fd', fd));
    out.push(letter({ op: 'close', fd }, 'fd', fd));
  }
  for (let vma = 0; vma < ids; vma++) {
    out.push(letter({ op: 'write', vma }, 'vma', vma));
    out.push(letter({ op: 'munmap', vma }, 'vma', vma));
  }
  for (const pages of driverPages) out.push(letter({ op: 'driver-vmap', pages }));
  for (let area = 0; area < ids; area++) out.push(letter({ op: 'driver-vunmap', area }, 'area', area));
  for (const client of clients) out.push(letter({ op: 'client-exit', client }));
  out.push(letter({ op: 'purge' }));
  out.push(letter({ op: 'shrink' }));
  return out;
}

/** Which id kind an op names, and the id (for letters built from a trace's own ops): the op table's ref. */
export function letterOf(op: Op): Letter {
  const ref = refOf(op);
  return ref ? letter(op, ref.ns, ref.id) : letter(op);
}

/** The alphabet plus the given ops (deduplicated, appended in their order). */
export function withOps(alphabet: readonly Letter[], ops: readonly Op[]): Letter[] {
  const out = [...alphabet];
  const keys = new Set(out.map((l) => l.key));
  for (const op of ops) {
    const l = letterOf(op);
    if (keys.has(l.key)) continue;
    keys.add(l.key);
    out.push(l);
  }
  return out;
}
