/**
 * Allocator cost against RAM size (docs/architecture.md section 2: no operation scans all pages; every
 * operation is O(pages it touches + log of structures)). The same operations run on arm32-1g
 * (262,144 pages) and arm32-4g (1,048,576 pages); the 4g/1g ratio of the per-op cost should be
 * about 1. A ratio near 4 would mean an op scales with RAM.
 */
import { builtinDesign } from '../src/model/designs/index.ts';
import { Kernel } from '../src/model/kernel.ts';
import type { Op } from '../src/model/ops.ts';
import { Owner } from '../src/model/pages.ts';
import { resolveProfile } from '../src/model/profile.ts';
import { fmtNs, fmtRate, fmtRatio, measureInterleaved, table } from './harness.ts';

export const ALLOCATOR_PROFILES = ['arm32-1g', 'arm32-4g'] as const;

interface Case {
  readonly name: string;
  /** What one op is. */
  readonly unit: string;
  readonly design: string;
  /** Runs n iterations on k; returns the ops done. */
  readonly body: (k: Kernel, n: number) => number;
}

function apply(k: Kernel, op: Op): number {
  const r = k.apply(op);
  if (!r.ok) throw new Error(`bench: ${JSON.stringify(op)} failed with errno ${r.errno}`);
  return r.value ?? 0;
}

const CASES: readonly Case[] = [
  ...[0, 8].flatMap((order) =>
    (['normal', 'highmem'] as const).map(
      (zone): Case => ({
        name: `buddy order ${order} (${zone})`,
        unit: 'alloc_pages or __free_pages',
        design: 'cma-direct',
        body: (k, n) => {
          const { mm } = k;
          const high = zone === 'highmem';
          for (let i = 0; i < n; i++) {
            mm.beginOp();
            const p = mm.allocPages(order, high, Owner.KERNEL, 0);
            if (p < 0) throw new Error('bench: alloc_pages failed');
            mm.freePages(p, order);
          }
          return 2 * n;
        },
      }),
    ),
  ),
  {
    name: 'cma 256 pages (align order 8)',
    unit: 'cma_alloc or cma_release',
    design: 'cma-direct',
    body: (k, n) => {
      const { mm } = k;
      for (let i = 0; i < n; i++) {
        mm.beginOp();
        const p = mm.cmaAlloc(256, 8, Owner.KERNEL, 0);
        if (p < 0) throw new Error('bench: cma_alloc failed');
        mm.cmaRelease(p, 256);
      }
      return 2 * n;
    },
  },
  {
    name: 'driver-vmap 8 / driver-vunmap / purge (1 in 32)',
    unit: 'kernel op',
    design: 'cma-direct',
    body: (k, n) => {
      let ops = 0;
      for (let i = 0; i < n; i++) {
        const area = apply(k, { op: 'driver-vmap', pages: 8 });
        apply(k, { op: 'driver-vunmap', area });
        ops += 2;
        if (i % 32 === 31) {
          apply(k, { op: 'purge' });
          ops++;
        }
      }
      return ops;
    },
  },
  ...['legacy-3.18', 'cma-direct'].map(
    (design): Case => ({
      name: `alloc cma 1 MiB + free (${design})`,
      unit: 'kernel op',
      design,
      body: (k, n) => {
        for (let i = 0; i < n; i++) {
          const handle = apply(k, { op: 'alloc', client: 1, heap: 'cma', len: 1 << 20 });
          apply(k, { op: 'free', client: 1, handle });
        }
        return 2 * n;
      },
    }),
  ),
];

export interface AllocatorRow {
  readonly name: string;
  readonly unit: string;
  /** ns per op by profile id. */
  readonly ns: Readonly<Record<string, number>>;
  readonly ratio: number;
}

export function runAllocatorBench(log: (s: string) => void): AllocatorRow[] {
  const rows: AllocatorRow[] = [];
  for (const c of CASES) {
    const bodies: Record<string, (n: number) => number> = {};
    for (const p of ALLOCATOR_PROFILES) {
      const k = Kernel.boot(resolveProfile(p), builtinDesign(c.design)!);
      bodies[p] = (n) => c.body(k, n);
    }
    const t = measureInterleaved(bodies, { reps: 7, minSampleMs: 25, maxBatch: 50_000 });
    const ns = Object.fromEntries(ALLOCATOR_PROFILES.map((p) => [p, t[p]!.nsPerOp]));
    rows.push({ name: c.name, unit: c.unit, ns, ratio: ns['arm32-4g']! / ns['arm32-1g']! });
  }
  log(
    table(
      ['operation (one op = ...)', 'arm32-1g', 'ops/s', 'arm32-4g', 'ops/s', '4g/1g'],
      rows.map((r) => [
        `${r.name} (${r.unit})`,
        fmtNs(r.ns['arm32-1g']!),
        fmtRate(1e9 / r.ns['arm32-1g']!),
        fmtNs(r.ns['arm32-4g']!),
        fmtRate(1e9 / r.ns['arm32-4g']!),
        fmtRatio(r.ratio),
      ]),
    ),
  );
  return rows;
}
