/**
 * Workloads: a pure function of (seed, ops, profile); every op valid; each stands for its use;
 * the generator's optimistic id bookkeeping matches ION's numbering where nothing fails.
 * Seed: 20160901 (and 7 for the "differs" check).
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_DESIGNS } from '../../../src/model/designs/index.ts';
import { Kernel } from '../../../src/model/kernel.ts';
import { OP_KINDS, type Op, parseOp } from '../../../src/model/ops.ts';
import { resolveProfile } from '../../../src/model/profile.ts';
import { WORKLOADS, workloadById } from '../../../src/properties/workloads.ts';

const SEED = 20160901;
const arm = resolveProfile('arm32-1g');
const cma512 = resolveProfile('arm32-1g-cma512');
const MiB = 1 << 20;

const kinds = (ops: readonly Op[]) => new Set(ops.map((o) => o.op));
const of = <K extends Op['op']>(ops: readonly Op[], k: K) =>
  ops.filter((o): o is Extract<Op, { op: K }> => o.op === k);

describe(`workloads (seed ${SEED})`, () => {
  for (const w of WORKLOADS) {
    it(`${w.id}: deterministic for a seed, exactly n ops, every op valid`, () => {
      for (const n of [1, 37, 600]) {
        const a = w.generate(SEED, n, arm);
        const b = w.generate(SEED, n, arm);
        expect(a).toEqual(b);
        expect(a).toHaveLength(n);
        for (const [i, op] of a.entries()) expect(parseOp(op, `${w.id}[${i}]`)).toEqual(op);
      }
      expect(w.generate(7, 600, arm)).not.toEqual(w.generate(SEED, 600, arm));
      expect(w.summary.length).toBeGreaterThan(20);
      expect(w.standsFor.length).toBeGreaterThan(80);
    });
  }

  it('has the four workloads of the issue', () => {
    expect(WORKLOADS.map((w) => w.id)).toEqual(['seed-product', 'camera', 'display', 'random']);
    expect(workloadById('camera')?.id).toBe('camera');
    expect(workloadById('nope')).toBeUndefined();
  });

  it('seed-product: many uncached ~1 MiB CMA buffers, driver vmaps of 256..2048 pages, some vunmaps', () => {
    const ops = workloadById('seed-product')!.generate(SEED, 1000, arm);
    const allocs = of(ops, 'alloc');
    expect(allocs.length).toBeGreaterThan(150);
    for (const a of allocs) {
      expect(a.heap).toBe('cma');
      expect(a.cached ?? false).toBe(false);
      expect(a.len).toBeGreaterThanOrEqual(MiB / 2);
      expect(a.len).toBeLessThanOrEqual(1.25 * MiB);
    }
    const vmaps = of(ops, 'driver-vmap');
    expect(vmaps.length).toBeGreaterThan(20);
    for (const v of vmaps) {
      expect(v.pages).toBeGreaterThanOrEqual(256);
      expect(v.pages).toBeLessThanOrEqual(2048);
    }
    expect(of(ops, 'driver-vunmap').length).toBeGreaterThan(0);
    expect(kinds(ops).has('kmap')).toBe(false); // the product only needs physical addresses
  });

  it('camera: 2-8 MiB uncached CMA frames shared with a device, mmapped, written, freed', () => {
    const ops = workloadById('camera')!.generate(SEED, 1000, arm);
    const big = of(ops, 'alloc').filter((a) => a.len >= 2 * MiB);
    expect(big.length).toBeGreaterThan(10);
    for (const a of of(ops, 'alloc')) {
      expect(a.heap).toBe('cma');
      expect(a.len).toBeLessThanOrEqual(8 * MiB);
    }
    for (const k of ['share', 'dma-map', 'mmap', 'write', 'munmap', 'free', 'import'] as const)
      expect(kinds(ops).has(k)).toBe(true);
  });

  it('display: CMA scanout buffers kmapped for composition, some mmapped', () => {
    const ops = workloadById('display')!.generate(SEED, 1000, arm);
    expect(of(ops, 'alloc').some((a) => a.heap === 'cma' && !a.cached)).toBe(true);
    expect(of(ops, 'kmap').length).toBeGreaterThan(100);
    expect(of(ops, 'mmap').length).toBeGreaterThan(0);
    expect(of(ops, 'free').length).toBeGreaterThan(0);
  });

  it('random: the whole op vocabulary', () => {
    const ops = workloadById('random')!.generate(SEED, 1000, arm);
    expect([...kinds(ops)].sort()).toEqual([...OP_KINDS].sort());
  });

  it('scales to the machine: a tiny profile gets small requests', () => {
    const tiny = resolveProfile('tiny');
    const ops = workloadById('seed-product')!.generate(SEED, 300, tiny);
    for (const v of of(ops, 'driver-vmap')) expect(v.pages).toBeLessThan(256);
  });

  // The stream's ids are ION's ids when every creation succeeds: on a design where the realistic
  // workloads never fail, no op may fail at all (a wrong id would be -EINVAL or -EBADF).
  for (const w of WORKLOADS.filter((x) => x.id !== 'random')) {
    it(`${w.id}: ids match ION's numbering (no op fails on cma-direct-remap, arm32-1g-cma512)`, () => {
      const d = BUILTIN_DESIGNS.find((x) => x.id === 'cma-direct-remap')!;
      const k = Kernel.boot(cma512, d);
      const failed = w
        .generate(SEED, 1000, cma512)
        .map((op, i) => ({ i, op, r: k.apply(op) }))
        .filter((x) => !x.r.ok);
      expect(failed.map((f) => `${f.i} ${JSON.stringify(f.op)} errno ${f.r.errno}`)).toEqual([]);
    });
  }
});
