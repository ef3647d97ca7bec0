import { describe, expect, it } from 'vitest';
import { buildAlphabet, letterOf, withOps } from '../../../src/explore/alphabet.ts';
import { parseOp } from '../../../src/model/ops.ts';

describe('explorer alphabet', () => {
  it('names ids 0..D-1 of each kind and nothing above', () => {
    for (const depth of [1, 2, 3, 4]) {
      const a = buildAlphabet(depth);
      for (const kind of ['handle', 'fd', 'vma', 'area'] as const) {
        const ids = [...new Set(a.filter((l) => l.idKind === kind).map((l) => l.id))].sort((x, y) => x - y);
        expect(ids, `${kind} at depth ${depth}`).toEqual([...Array(depth).keys()]);
      }
    }
  });

  it('covers the vocabulary the brief asks for, every op valid and distinct', () => {
    const a = buildAlphabet(2);
    const kinds = new Set(a.map((l) => l.op.op));
    for (const k of [
      'alloc',
      'free',
      'share',
      'import',
      'close',
      'kmap',
      'kunmap',
      'mmap',
      'munmap',
      'write',
    ])
      expect(kinds.has(k as never), k).toBe(true);
    for (const k of ['dma-map', 'driver-vmap', 'driver-vunmap', 'client-exit', 'purge', 'shrink'])
      expect(kinds.has(k as never), k).toBe(true);
    const keys = a.map((l) => l.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const l of a) expect(parseOp(l.op)).toEqual(l.op);
    const allocs = a.filter((l) => l.op.op === 'alloc').map((l) => l.op);
    expect(allocs).toContainEqual({ op: 'alloc', client: 1, heap: 'cma', len: 16384 });
    expect(allocs).toContainEqual({ op: 'alloc', client: 2, heap: 'cma', len: 65536 });
    expect(allocs).toContainEqual({ op: 'alloc', client: 1, heap: 'cma', len: 16384, cached: true });
    expect(a.filter((l) => l.op.op === 'driver-vmap').map((l) => l.op)).toEqual([
      { op: 'driver-vmap', pages: 8 },
      { op: 'driver-vmap', pages: 64 },
    ]);
  });

  it('adds a trace’s own ops once, whatever their key order', () => {
    const a = buildAlphabet(1);
    const extra = withOps(a, [
      { handle: 0, client: 1, op: 'kmap' } as never,
      { op: 'alloc', client: 3, heap: 'system-contig', len: 100_000 },
      { op: 'alloc', client: 3, heap: 'system-contig', len: 100_000 },
    ]);
    expect(extra.length).toBe(a.length + 1);
    expect(letterOf({ op: 'munmap', vma: 5 })).toMatchObject({ idKind: 'vma', id: 5 });
  });
});
