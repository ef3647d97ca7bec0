/**
 * Every invariant catches a real violation (a hand-written op sequence on a design that has the
 * bug) and holds where the bug is absent, in both its incremental and its full-scan form.
 */
import { describe, expect, it } from 'vitest';
import { ALL_DESIGNS } from '../../../src/model/designs/index.ts';
import type { Op } from '../../../src/model/ops.ts';
import { resolveProfile } from '../../../src/model/profile.ts';
import { runOps } from '../../../src/properties/run.ts';
import { INVARIANT_IDS, INVARIANTS, type InvariantId } from '../../../src/spec/index.ts';
import { conflicts } from '../../../src/spec/no-conflicting-alias.ts';
import { MiB, uncachedCma } from '../../helpers/kernel.ts';

function verdict(profile: string, design: string, ops: Op[], inv: InvariantId) {
  const d = ALL_DESIGNS.find((x) => x.id === design)!;
  const out: Record<string, { step: number; message: string } | null> = {};
  for (const mode of ['incremental', 'full'] as const) {
    const r = runOps(resolveProfile(profile), d, ops, { invariants: [inv], mode });
    const v = r.firstViolations.get(inv);
    out[mode] = v ? { step: v.step, message: v.violation.message } : null;
  }
  expect(out.incremental).toEqual(out.full);
  return out.full;
}

const share = (handle = 0): Op => ({ op: 'share', client: 1, handle });

interface Case {
  inv: InvariantId;
  violated: { profile: string; design: string; ops: Op[]; step: number; match: RegExp };
  held: { profile: string; design: string; ops: Op[] };
}

const CASES: Case[] = [
  {
    inv: 'no-conflicting-alias',
    violated: {
      // a board whose ION has only the CMA heap: no carveout creation alias (HEAP-CARVEOUT-1)
      profile: 'arm32-1g-cma512,heaps=cma',
      design: 'cma-direct',
      ops: [uncachedCma(), { op: 'kmap', client: 1, handle: 0 }],
      step: 1,
      match: /mapped WB\+NC/,
    },
    held: {
      profile: 'arm32-1g-cma512',
      design: 'cma-direct-remap',
      ops: [uncachedCma(), { op: 'kmap', client: 1, handle: 0 }],
    },
  },
  {
    inv: 'vmalloc-bounded',
    violated: {
      profile: 'arm32-1g',
      design: 'legacy-3.18',
      ops: [uncachedCma()],
      step: 0,
      match: /257 window pages/,
    },
    held: {
      profile: 'arm32-1g',
      design: 'cma-direct',
      ops: [uncachedCma(), { op: 'kmap', client: 1, handle: 0 }],
    },
  },
  {
    inv: 'freed-completely',
    violated: {
      profile: 'tiny',
      design: 'zoo/b15-double-release',
      ops: [uncachedCma(4096), { op: 'free', client: 1, handle: 0 }],
      step: 1,
      match: /freed 2 times/,
    },
    held: {
      profile: 'tiny',
      design: 'cma-direct-remap',
      ops: [uncachedCma(4096), { op: 'free', client: 1, handle: 0 }, { op: 'purge' }],
    },
  },
  {
    inv: 'refcounts-balanced',
    violated: {
      profile: 'tiny',
      design: 'zoo/b3-free-race',
      ops: [
        uncachedCma(4096),
        { op: 'free', client: 1, handle: 0 },
        { op: 'free', client: 1, handle: 0, race: true },
      ],
      step: 2,
      match: /handle 0 has ref -1/,
    },
    held: {
      profile: 'tiny',
      design: 'cma-direct-remap',
      ops: [
        uncachedCma(4096),
        share(),
        { op: 'import', client: 2, fd: 0 },
        { op: 'free', client: 1, handle: 0 },
        { op: 'free', client: 1, handle: 0 },
      ],
    },
  },
  {
    inv: 'contiguous-aligned',
    violated: {
      profile: 'arm32-1g',
      design: 'zoo/b12-bytes-as-pages',
      ops: [uncachedCma(256)],
      step: 0,
      match: /has 4096 pages for 1 pages asked/,
    },
    held: {
      profile: 'arm32-1g',
      design: 'cma-direct',
      ops: [uncachedCma(4096), uncachedCma(100_000), uncachedCma(MiB)],
    },
  },
  {
    inv: 'zeroed-on-alloc',
    violated: {
      profile: 'arm32-1g',
      design: 'zoo/b12-bytes-as-pages',
      ops: [
        { op: 'alloc', client: 1, heap: 'cma', len: 16 },
        share(),
        { op: 'mmap', fd: 0 },
        { op: 'write', vma: 0 },
        { op: 'munmap', vma: 0 },
        { op: 'close', fd: 0 },
        { op: 'free', client: 1, handle: 0 },
        { op: 'alloc', client: 1, heap: 'cma', len: 16 },
      ],
      step: 7,
      match: /still holds data written by buffer 0/,
    },
    held: {
      profile: 'tiny',
      design: 'cma-direct',
      ops: [
        uncachedCma(65536),
        share(),
        { op: 'mmap', fd: 0 },
        { op: 'write', vma: 0 },
        { op: 'munmap', vma: 0 },
        { op: 'close', fd: 0 },
        { op: 'free', client: 1, handle: 0 },
        uncachedCma(65536),
      ],
    },
  },
  {
    inv: 'exclusive-ownership',
    violated: {
      profile: 'arm32-1g',
      design: 'legacy-3.18',
      ops: [uncachedCma(), share(), { op: 'dma-map', fd: 0, device: 'gpu' }],
      step: 2,
      match: /sg table of buffer 0 pointing at pfn 0xB0041/,
    },
    held: {
      profile: 'arm32-1g',
      design: 'no-kernel-mapping',
      ops: [uncachedCma(), share(), { op: 'dma-map', fd: 0, device: 'gpu' }],
    },
  },
];

describe('each invariant catches its violation and holds without the bug', () => {
  it('covers all seven invariants', () => {
    expect(CASES.map((c) => c.inv).sort()).toEqual([...INVARIANT_IDS].sort());
  });
  for (const c of CASES) {
    it(`${c.inv}: violated on ${c.violated.design} (${c.violated.profile}) at step ${c.violated.step}`, () => {
      const v = verdict(c.violated.profile, c.violated.design, c.violated.ops, c.inv);
      expect(v?.step).toBe(c.violated.step);
      expect(v?.message).toMatch(c.violated.match);
    });
    it(`${c.inv}: holds on ${c.held.design} (${c.held.profile})`, () => {
      expect(verdict(c.held.profile, c.held.design, c.held.ops, c.inv)).toBeNull();
    });
  }
});

describe('no-conflicting-alias rule sets (ARCH-6) and stale TLB entries (ARCH-4)', () => {
  const WB = 1;
  const NC = 2;
  const DEV = 4;
  const SO = 8;
  it('linux-arm32: WB beside anything else; armv7-b: any two classes; armv8: TYPE always, COHERENCY unless maintained', () => {
    expect(conflicts(WB | NC, 'linux-arm32')).toBe(true);
    expect(conflicts(NC | SO, 'linux-arm32')).toBe(false);
    expect(conflicts(NC | SO, 'armv7-b')).toBe(true);
    expect(conflicts(NC | DEV, 'armv8')).toBe(false);
    expect(conflicts(WB | SO, 'armv8')).toBe(true);
    expect(conflicts(WB | NC, 'armv8')).toBe(true);
    expect(conflicts(WB | NC, 'armv8', () => true)).toBe(false);
    expect(conflicts(WB, 'armv7-b')).toBe(false);
  });

  const reuse: Op[] = [
    uncachedCma(),
    { op: 'kmap', client: 1, handle: 0 },
    { op: 'kunmap', client: 1, handle: 0 },
    { op: 'free', client: 1, handle: 0 },
    uncachedCma(),
  ];
  // CMA heap only, kmap_atomic slots cleared (ARCH-8 debug-highmem=on): the stale kmap alone
  const board = 'arm32-1g,heaps=cma,debug-highmem=on';
  it('a lazily unmapped NC kmap still conflicts with the next owner zeroing through WB, until purged (B18)', () => {
    expect(verdict(board, 'cma-direct', reuse, 'no-conflicting-alias')?.message).toMatch(
      /kmap_atomic.*stale/,
    );
    expect(verdict(`${board},stale-tlb=off`, 'cma-direct', reuse, 'no-conflicting-alias')).toBeNull();
    const purged = [...reuse.slice(0, 4), { op: 'purge' } as Op, reuse[4]!];
    expect(verdict(board, 'cma-direct', purged, 'no-conflicting-alias')).toBeNull();
    expect(
      verdict('arm32-1g-cma512', 'zoo/b18-flip-without-purge', reuse, 'no-conflicting-alias'),
    ).not.toBeNull();
    expect(verdict('arm32-1g-cma512', 'cma-direct-remap', reuse, 'no-conflicting-alias')).toBeNull();
  });
});

it('the registry lists seven invariants with definitions and rule ids', () => {
  expect(INVARIANTS.map((i) => i.id)).toEqual([...INVARIANT_IDS]);
  for (const i of INVARIANTS) {
    expect(i.definition.length).toBeGreaterThan(40);
    expect(i.rests.length).toBeGreaterThan(0);
  }
});
