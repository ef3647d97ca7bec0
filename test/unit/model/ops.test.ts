/** The op vocabulary (src/model/ops.ts): parseOp validates before anything changes; formatOp round-trips. */

import { describe, expect, it } from 'vitest';
import { OpError } from '../../../src/errors.ts';
import { formatOp, OP_INT_MAX, OP_KINDS, OP_SIZE_MAX, type Op, parseOp } from '../../../src/model/ops.ts';

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
