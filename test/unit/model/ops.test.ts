/**
 * The op vocabulary (src/model/ops.ts): OP_TABLE has one entry per kind; parseOp validates before
 * anything changes; formatOp round-trips; refs and creates agree with the kernel.
 */

import { describe, expect, it } from 'vitest';
import { OpError } from '../../../src/errors.ts';
import {
  createsNs,
  formatOp,
  ID_NAMESPACES,
  type IdNs,
  OP_INT_MAX,
  OP_KINDS,
  OP_SIZE_MAX,
  OP_TABLE,
  type Op,
  opBrief,
  opText,
  parseOp,
  refOf,
} from '../../../src/model/ops.ts';
import { boot, KiB } from '../../helpers/kernel.ts';

/** One op of every kind, optional fields included where they exist. */
const EVERY: Op[] = [
  { op: 'alloc', client: 1, heap: 'cma', len: 4096, align: 4096, cached: true },
  { op: 'free', client: 1, handle: 0, race: true },
  { op: 'share', client: 1, handle: 0 },
  { op: 'import', client: 2, fd: 0 },
  { op: 'close', fd: 0 },
  { op: 'kmap', client: 1, handle: 0 },
  { op: 'kunmap', client: 1, handle: 0 },
  { op: 'mmap', fd: 0, pgoff: 1, pages: 2 },
  { op: 'munmap', vma: 0 },
  { op: 'write', vma: 0 },
  { op: 'dma-map', fd: 0, device: 'gpu' },
  { op: 'dma-unmap', fd: 0, device: 'gpu' },
  { op: 'driver-vmap', pages: 16 },
  { op: 'driver-vunmap', area: 0 },
  { op: 'client-exit', client: 1 },
  { op: 'purge' },
  { op: 'shrink' },
];

describe('formatOp / parseOp', () => {
  it('cover every op kind', () => {
    expect(EVERY.map((o) => o.op)).toEqual(OP_KINDS);
  });

  it('round-trip every op through its replay-file text', () => {
    for (const op of EVERY) {
      const text = formatOp(op);
      expect(parseOp(JSON.parse(text))).toEqual(op);
      expect(formatOp(parseOp(JSON.parse(text)))).toBe(text);
    }
  });

  it('normalise key order to the schema, so equal ops format equally', () => {
    const a = parseOp({ len: 8192, heap: 'system', client: 3, op: 'alloc' });
    expect(formatOp(a)).toBe('{"op":"alloc","client":3,"heap":"system","len":8192}');
  });

  it('accept the bounds: size up to 4 GiB - 1, ids up to 2^31 - 1', () => {
    expect(parseOp({ op: 'alloc', client: OP_INT_MAX, heap: 'cma', len: OP_SIZE_MAX })).toMatchObject({
      len: 2 ** 32 - 1,
    });
    expect(() => parseOp({ op: 'alloc', client: 1, heap: 'cma', len: OP_SIZE_MAX + 1 })).toThrow(/len/);
    expect(() => parseOp({ op: 'close', fd: OP_INT_MAX + 1 })).toThrow(
      /'close.fd' must be an integer in 0\.\.2147483647/,
    );
  });
});

describe('parseOp refuses malformed ops with one line naming the field', () => {
  it.each([
    [null, /op: not an object/],
    [[1], /op: not an object/],
    [{ op: 'teleport' }, /unknown op "teleport" \(known: alloc, free,/],
    [{ op: 'close', fd: 0, extra: 1 }, /'close' has no field 'extra'/],
    [{ op: 'free', client: 1 }, /'free' needs field 'handle'/],
    [{ op: 'alloc', client: 1, heap: 'cma', len: -5 }, /'alloc.len' must be an integer/],
    [{ op: 'alloc', client: 1, heap: 'cma', len: 1.5 }, /'alloc.len' must be an integer/],
    [{ op: 'alloc', client: 1, heap: 'cma', len: '4096' }, /'alloc.len' must be an integer/],
    [
      { op: 'alloc', client: 1, heap: 'vram', len: 1 },
      /'alloc.heap' must be one of system, system-contig, carveout, cma/,
    ],
    [{ op: 'alloc', client: 1, heap: 'cma', len: 1, cached: 1 }, /'alloc.cached' must be true or false/],
    [{ op: 'dma-map', fd: 0, device: 'GPU!' }, /'dma-map.device' must be a device name/],
    [{ op: 'dma-map', fd: 0, device: 'x'.repeat(33) }, /device name/],
  ])('%j', (bad, why) => {
    expect(() => parseOp(bad)).toThrow(OpError);
    expect(() => parseOp(bad)).toThrow(why);
  });

  it('names where the op came from', () => {
    expect(() => parseOp({ op: 'purge', x: 1 }, 'replay.json op 3')).toThrow(/^replay\.json op 3: /);
  });
});

describe('OP_TABLE: one entry per op kind', () => {
  it('has an entry for every kind, with the fields the op of that kind carries', () => {
    expect(Object.keys(OP_TABLE).sort()).toEqual([...OP_KINDS].sort());
    for (const op of EVERY) {
      const { op: kind, ...fields } = op;
      expect(Object.keys(OP_TABLE[kind].fields)).toEqual(Object.keys(fields));
    }
  });

  it('parse(format(op)) round-trips for every kind, with and without optional fields', () => {
    for (const op of EVERY) {
      const required = Object.fromEntries(
        Object.entries(op).filter(
          ([k]) =>
            k === 'op' || (OP_TABLE[op.op].fields as Record<string, { required: boolean }>)[k]?.required,
        ),
      ) as Op;
      for (const o of [op, required]) expect(parseOp(JSON.parse(formatOp(o)))).toEqual(o);
    }
  });

  it('refuses an op without one of its required fields, naming it', () => {
    for (const op of EVERY)
      for (const [key, spec] of Object.entries(
        OP_TABLE[op.op].fields as Record<string, { required: boolean }>,
      )) {
        if (!spec.required) continue;
        const { [key]: _, ...rest } = op as Op & Record<string, unknown>;
        expect(() => parseOp(rest)).toThrow(`'${op.op}' needs field '${key}'`);
      }
  });

  it('prints every kind in each form: replay JSON, text, brief', () => {
    expect(EVERY.map(opBrief)).toEqual([
      'alloc(c1 cma 4 KiB cached)',
      'free(c1 h0)',
      'share(c1 h0)',
      'import(c2 fd0)',
      'close(fd0)',
      'kmap(c1 h0)',
      'kunmap(c1 h0)',
      'mmap(fd0)',
      'munmap(vma0)',
      'write(vma0)',
      'dma-map(fd0 gpu)',
      'dma-unmap(fd0 gpu)',
      'driver-vmap(16p)',
      'driver-vunmap(a0)',
      'client-exit(c1)',
      'purge',
      'shrink',
    ]);
    expect(opText(EVERY[0]!)).toBe('alloc client=1 heap=cma len=4096 align=4096 cached=true');
    expect(opText(EVERY[10]!)).toBe('dma-map fd=0 device=gpu');
    expect(formatOp(EVERY[10]!)).toBe('{"op":"dma-map","fd":0,"device":"gpu"}');
  });

  it('refs and creates agree with what the kernel does on a short run', () => {
    const k = boot('tiny', 'legacy-3.18');
    /** How many objects of each id namespace the kernel has made (the next id of each). */
    const made = (): Record<IdNs, number> => ({
      handle: k.ion.handles.length,
      fd: k.ion.dmabufs.length,
      vma: k.ion.vmas.length,
      area: k.driverAreas.length,
    });
    // every kind once, each naming the object the one before it made (ids from 0 per namespace)
    const run: Op[] = [
      { op: 'alloc', client: 1, heap: 'cma', len: 16 * KiB },
      { op: 'share', client: 1, handle: 0 },
      { op: 'import', client: 2, fd: 0 },
      { op: 'mmap', fd: 0 },
      { op: 'write', vma: 0 },
      { op: 'munmap', vma: 0 },
      { op: 'kmap', client: 1, handle: 0 },
      { op: 'kunmap', client: 1, handle: 0 },
      { op: 'dma-map', fd: 0, device: 'gpu' },
      { op: 'dma-unmap', fd: 0, device: 'gpu' },
      { op: 'driver-vmap', pages: 4 },
      { op: 'driver-vunmap', area: 0 },
      { op: 'free', client: 1, handle: 0 },
      { op: 'close', fd: 0 },
      { op: 'client-exit', client: 2 },
      { op: 'purge' },
      { op: 'shrink' },
    ];
    expect(new Set(run.map((o) => o.op))).toEqual(new Set(OP_KINDS));
    for (const op of run) {
      const before = made();
      const ref = refOf(op);
      // the id it names exists: the namespace has made more than that many objects
      if (ref) expect(before[ref.ns], `${formatOp(op)} names ${ref.ns} ${ref.id}`).toBeGreaterThan(ref.id);
      const r = k.apply(op);
      expect(r.ok, formatOp(op)).toBe(true);
      const after = made();
      const ns = createsNs(op);
      for (const n of ID_NAMESPACES) {
        // the namespace it creates grows by one and the op returns the new id; the others stand still
        const grew = n === ns && !(op.op === 'import' && r.value! < before.handle);
        expect(after[n], `${formatOp(op)}: ${n}`).toBe(before[n] + (grew ? 1 : 0));
        if (grew) expect(r.value, formatOp(op)).toBe(before[n]);
      }
    }
    // a named id the kernel never made is refused, so the ref field is the one the kernel reads
    const k2 = boot('tiny', 'legacy-3.18');
    for (const op of run) {
      const ref = refOf(op);
      if (!ref) continue;
      expect(k2.apply({ ...op, [ref.field]: 7 }).ok, formatOp(op)).toBe(false);
    }
  });
});
