/**
 * type-ok catches every malformation it checks, in its incremental and its full form, on a booted
 * kernel whose structures are corrupted by hand; and it holds on kernels the model built.
 */
import { describe, expect, it } from 'vitest';
import { MULTI_SHIFT, NO_LINEAR } from '../../../src/model/pages.ts';
import { MemType } from '../../../src/model/types.ts';
import { typeOk } from '../../../src/spec/type-ok.ts';
import { boot, uncachedCma } from '../../helpers/kernel.ts';

/** A booted tiny legacy kernel with one live uncached CMA buffer, shared and mmapped. */
function kernel() {
  const k = boot('tiny', 'legacy-3.18');
  k.apply(uncachedCma(64 * 1024));
  k.apply({ op: 'share', client: 1, handle: 0 });
  k.apply({ op: 'mmap', fd: 0 });
  k.mm.beginOp();
  return k;
}

describe('type-ok holds on what the model builds', () => {
  it('after boot and after ops, both forms', () => {
    const k = kernel();
    expect(typeOk.full(k)).toBeNull();
    expect(typeOk.incremental(k)).toBeNull();
    k.apply({ op: 'alloc', client: 2, heap: 'system', len: 1 << 20 });
    expect(typeOk.incremental(k)).toBeNull();
    expect(typeOk.full(k)).toBeNull();
  });
});

describe('type-ok reports each corruption', () => {
  const lowPage = 100;

  it('a linear PTE type that is no memory class', () => {
    const k = kernel();
    k.mm.pages.linearType[lowPage] = 7;
    k.mm.pages.touch(lowPage);
    expect(typeOk.incremental(k)?.message).toMatch(/linear type 7/);
    expect(typeOk.full(k)?.message).toMatch(/linear type 7/);
  });

  it('a highmem page with a linear PTE', () => {
    const k = kernel();
    const p = k.mm.lowmemPages + 10;
    k.mm.pages.linearType[p] = MemType.WB;
    k.mm.pages.live[MemType.WB]![p]!++;
    k.mm.pages.touch(p);
    expect(typeOk.incremental(k)?.message).toMatch(/highmem page with a linear PTE/);
    expect(typeOk.full(k)?.message).toMatch(/highmem page with a linear PTE/);
  });

  it('a linear PTE its counter does not count', () => {
    const k = kernel();
    k.mm.pages.live[MemType.WB]![lowPage] = 0;
    k.mm.pages.classes[lowPage] = 0;
    k.mm.pages.touch(lowPage);
    expect(typeOk.incremental(k)?.message).toMatch(/linear PTE type not counted/);
    expect(typeOk.full(k)?.message).toMatch(/counters 0\/0, mappings say 1\/0/);
  });

  it('classes that disagree with the counters (a second WB mapping only the classes record)', () => {
    const k = kernel();
    k.mm.pages.classes[lowPage] = (1 << MemType.WB) | (1 << (MemType.WB + MULTI_SHIFT));
    expect(typeOk.full(k)?.message).toBe(`page ${lowPage}: classes 0x101, counters say 0x1`);
  });

  it('a negative mapping count', () => {
    const k = kernel();
    k.mm.pages.stale[MemType.NC]![lowPage] = -1;
    expect(typeOk.full(k)?.message).toMatch(/page 100: type 1 counters 0\/-1/);
  });

  it('per-page counters that disagree with the mapping objects (a mapping dropped without its counts)', () => {
    const k = kernel();
    const vma = [...k.mm.mmu.mappings.values()].find((m) => m.kind === 'user')!;
    k.mm.mmu.mappings.delete(vma.id);
    expect(typeOk.full(k)?.message).toMatch(/type 1 counters 2\/0, mappings say 1\/0/);
  });

  it('a page outside RAM anywhere in a mapping made during the op: first, last, in a round of four or after', () => {
    const n = kernel().mm.pages.nPages;
    for (const bad of [-1, n, n + 1000, -(2 ** 31)])
      for (let at = 0; at < 11; at++) {
        const k = kernel();
        const pages = Int32Array.from({ length: 11 }, (_, i) => (i === at ? bad : n - 11 + i));
        k.mm.mmu.creations.push({
          kind: 'vm',
          type: MemType.WB,
          owner: 'corrupt',
          pages,
          before: new Uint8Array(11),
          maintained: false,
        });
        expect(typeOk.incremental(k)?.message, `${bad} at ${at}`).toBe(
          `corrupt maps page ${bad} outside RAM`,
        );
      }
    // every page inside, the last one included
    const k = kernel();
    k.mm.mmu.creations.push({
      kind: 'vm',
      type: MemType.WB,
      owner: 'fine',
      pages: Int32Array.from({ length: 11 }, (_, i) => n - 11 + i),
      before: new Uint8Array(11),
      maintained: false,
    });
    expect(typeOk.incremental(k)).toBeNull();
  });

  it('a mapping outside RAM, made during the op or standing', () => {
    const k = kernel();
    const n = k.mm.pages.nPages;
    k.mm.mmu.creations.push({
      kind: 'vm',
      type: MemType.NC,
      owner: 'corrupt',
      pages: Int32Array.of(n + 5),
      before: new Uint8Array(1),
      maintained: false,
    });
    expect(typeOk.incremental(k)?.message).toMatch(/corrupt maps page \d+ outside RAM/);
    expect(typeOk.full(k)?.message).toMatch(/corrupt maps page \d+ outside RAM/);
    const k2 = kernel();
    const m = [...k2.mm.mmu.mappings.values()].find((x) => x.kind === 'vm')!;
    (m.pages as Int32Array)[0] = -3;
    expect(typeOk.full(k2)?.message).toMatch(/maps page -3 outside RAM/);
  });

  it('handle and VMA ids that are not their index', () => {
    const k = kernel();
    (k.ion.handles[0] as { ordinal: number }).ordinal = 4;
    expect(typeOk.full(k)?.message).toMatch(/handle 0 has ordinal 4/);
    const k2 = kernel();
    (k2.ion.vmas[0] as { id: number }).id = 9;
    expect(typeOk.full(k2)?.message).toMatch(/vma 0 has id 9/);
  });

  it('NO_LINEAR is not mistaken for a bad type', () => {
    const k = kernel();
    k.mm.pages.linearType[k.mm.lowmemPages + 1] = NO_LINEAR;
    k.mm.pages.touch(k.mm.lowmemPages + 1);
    expect(typeOk.incremental(k)).toBeNull();
  });
});
