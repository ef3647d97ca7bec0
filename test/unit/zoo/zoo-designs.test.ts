/**
 * Every zoo design breaks the invariant it declares on a short hand-written sequence, and
 * cma-direct-remap (the design every mutant and most known bugs are planted in) holds on the same
 * sequence: the planted fault is the only difference. Both checker forms agree.
 */
import { describe, expect, it } from 'vitest';
import { ALL_DESIGNS, ZOO_DESIGNS } from '../../../src/model/designs/index.ts';
import { KNOWN_BUGS_CATALOGUE } from '../../../src/model/designs/zoo/catalogue.ts';
import type { HeapName } from '../../../src/model/ion/heap.ts';
import type { Op } from '../../../src/model/ops.ts';
import { resolveProfile } from '../../../src/model/profile.ts';
import { runOps } from '../../../src/properties/run.ts';
import type { InvariantId } from '../../../src/spec/index.ts';

const KiB = 1024;
const alloc = (len: number, o: { heap?: HeapName; cached?: boolean; client?: number } = {}): Op => ({
  op: 'alloc',
  client: o.client ?? 1,
  heap: o.heap ?? 'cma',
  len,
  ...(o.cached ? { cached: true } : {}),
});
const share: Op = { op: 'share', client: 1, handle: 0 };
const mmap0: Op = { op: 'mmap', fd: 0 };
/** Write a buffer's pages through a user mapping, free it, allocate again the same size. */
const reuse = (len: number, cached = false): Op[] => [
  alloc(len, { cached }),
  share,
  mmap0,
  { op: 'write', vma: 0 },
  { op: 'munmap', vma: 0 },
  { op: 'close', fd: 0 },
  { op: 'free', client: 1, handle: 0 },
  alloc(len, { cached }),
];

/** design id (without zoo/) -> the sequence that shows its bug. */
const CASES: Record<string, Op[]> = {
  // a 2 MiB kernel mapping cannot fit tiny's 2 MiB window: the begin's kmap get fails
  'b13-begin-ignores-kmap-error': [
    { op: 'alloc', client: 1, heap: 'cma', len: 2048 * KiB, cached: true },
    { op: 'kmap', client: 1, handle: 0 },
  ],
  'b14-fault-past-end': [
    alloc(4 * KiB),
    { op: 'share', client: 1, handle: 0 },
    { op: 'mmap', fd: 0, pgoff: 0, pages: 2 },
  ],
  'b3-free-race': [
    alloc(4 * KiB),
    { op: 'free', client: 1, handle: 0 },
    { op: 'free', client: 1, handle: 0, race: true },
  ],
  'b4-kref-overflow': [
    alloc(4 * KiB),
    share,
    { op: 'import', client: 1, fd: 0 },
    { op: 'import', client: 1, fd: 0 },
    { op: 'import', client: 1, fd: 0 },
  ],
  'b5-aligned-mask': [alloc(64 * KiB)],
  'b6-alloc-buddy-free-cma': [
    alloc(4 * KiB),
    alloc(16 * KiB, { cached: true }),
    { op: 'free', client: 1, handle: 1 },
  ],
  'b12-bytes-as-pages': [alloc(4 * KiB)],
  'b15-double-release': [alloc(4 * KiB), { op: 'free', client: 1, handle: 0 }],
  'b18-flip-without-purge': [
    alloc(1024 * KiB),
    { op: 'kmap', client: 1, handle: 0 },
    { op: 'kunmap', client: 1, handle: 0 },
    { op: 'free', client: 1, handle: 0 },
  ],
  'm01-no-restore-on-free': [alloc(4 * KiB), { op: 'free', client: 1, handle: 0 }],
  'm02-restore-one-short': [alloc(8 * KiB), { op: 'free', client: 1, handle: 0 }],
  'm03-zero-skips-order0': reuse(4 * KiB),
  'm04-zero-skips-tail-batch': reuse(16 * KiB),
  'm05-zero-via-kmap-atomic': [alloc(4 * KiB), share, mmap0],
  'm06-no-purge-before-restore': [
    alloc(1024 * KiB),
    { op: 'kmap', client: 1, handle: 0 },
    { op: 'kunmap', client: 1, handle: 0 },
    { op: 'free', client: 1, handle: 0 },
  ],
  'm07-no-purge-before-uncached': [
    alloc(1024 * KiB, { cached: true }),
    { op: 'kmap', client: 1, handle: 0 },
    { op: 'kunmap', client: 1, handle: 0 },
    { op: 'free', client: 1, handle: 0 },
    alloc(1024 * KiB),
  ],
  // a leak of one cached buffer (no linear flip writes its pages) among live ones: seen at its
  // free, not at quiescence, by both checker forms
  'm08-cma-leak-order5': [
    alloc(4 * KiB),
    alloc(128 * KiB, { cached: true }),
    { op: 'free', client: 1, handle: 1 },
  ],
  'm09-cma-release-one-short': [
    alloc(4 * KiB),
    alloc(16 * KiB, { cached: true }),
    { op: 'free', client: 1, handle: 1 },
  ],
  'm10-cma-align-rounds-down': [alloc(4 * KiB), alloc(12 * KiB)],
  'm11-cma-align-cap-one-less': [alloc(4 * KiB), alloc(1024 * KiB)],
  'm12-mmap-offset-twice': [alloc(16 * KiB), share, { op: 'mmap', fd: 0, pgoff: 2, pages: 2 }],
  'm13-mmap-one-past-end': [alloc(16 * KiB), share, mmap0],
  'm14-cma-zero-uncached-only': reuse(16 * KiB, true),
  'm15-kmap-count-underflow': [alloc(4 * KiB), { op: 'kunmap', client: 1, handle: 0 }],
  'm16-close-double-put': [alloc(4 * KiB), share, mmap0, { op: 'close', fd: 0 }],
  'm17-share-without-ref': [alloc(4 * KiB), share],
  'm18-attach-without-file-ref': [alloc(4 * KiB), share, { op: 'dma-map', fd: 0, device: 'gpu' }],
  'm19-munmap-without-put': [alloc(4 * KiB), share, mmap0, { op: 'munmap', vma: 0 }],
  'm20-detach-without-put': [
    alloc(4 * KiB),
    share,
    { op: 'dma-map', fd: 0, device: 'gpu' },
    { op: 'dma-unmap', fd: 0, device: 'gpu' },
  ],
  'm21-handle-destroy-keeps-kmaps': [
    alloc(4 * KiB),
    { op: 'kmap', client: 1, handle: 0 },
    share,
    { op: 'import', client: 2, fd: 0 },
    { op: 'free', client: 1, handle: 0 },
  ],
};

/** The base each zoo design is planted in: cma-direct-remap, but B12 (4.12's heap, KEEP_LINEAR). */
const BASES: Record<string, string> = {
  'zoo/b12-bytes-as-pages': 'cma-direct',
  'zoo/b13-begin-ignores-kmap-error': 'ion-4.12',
  'zoo/b14-fault-past-end': 'dmabuf-heap-cma',
};
const baseOf = (id: string) => BASES[id] ?? 'cma-direct-remap';

function firstViolation(profile: string, designId: string, ops: Op[], invariants: InvariantId[]) {
  const d = ALL_DESIGNS.find((x) => x.id === designId)!;
  const out = (['incremental', 'full'] as const).map((mode) => {
    const r = runOps(resolveProfile(profile), d, ops, { invariants, mode });
    const vs = [...r.firstViolations.entries()].map(([inv, v]) => ({ inv, step: v.step }));
    return vs.sort((a, b) => a.step - b.step)[0] ?? null;
  });
  expect(out[0]).toEqual(out[1]);
  return out[1];
}

/** Native entries: the bug on the built-in design and profile the catalogue names, by its invariant. */
const NATIVE: Record<string, Op[]> = {
  B2: [alloc(1024 * KiB)],
  B9: [alloc(1024 * KiB), share, { op: 'dma-map', fd: 0, device: 'gpu' }],
  // the window full to its last pages when a cached buffer's page array is vmalloc'd (ION-4)
  B10: [{ op: 'driver-vmap', pages: 61373 }, alloc(64 * KiB, { heap: 'system', cached: true })],
  B16: [alloc(16 * 1024 * KiB)],
  B17: [alloc(1024 * KiB), { op: 'kmap', client: 1, handle: 0 }],
};

describe('native known bugs: the built-in design breaks the invariant on the profile the zoo names', () => {
  const natives = KNOWN_BUGS_CATALOGUE.filter((k) => k.status === 'native');
  it('every native entry has a case', () => {
    expect(natives.map((k) => k.bug).sort()).toEqual(Object.keys(NATIVE).sort());
  });
  for (const k of natives) {
    it(`${k.bug}: ${k.design} on ${k.profile} breaks ${k.invariants?.join(', ')}`, () => {
      const ops = NATIVE[k.bug]!;
      const invs = k.invariants as InvariantId[];
      const v = firstViolation(k.profile!, k.design!, ops, invs);
      expect(v).not.toBeNull();
      expect(v!.step).toBe(ops.length - 1);
    });
  }
  it('B16 needs CONFIG_CMA_ALIGNMENT above the area alignment: with the default 8 it holds', () => {
    expect(
      firstViolation('arm32-1g-cma512', 'cma-direct-remap', NATIVE.B16!, ['contiguous-aligned']),
    ).toBeNull();
  });
});

describe('zoo designs: each breaks its invariant on a short sequence; the base holds', () => {
  it('every zoo design declares where its bug lives and has a case here', () => {
    for (const d of ZOO_DESIGNS) {
      expect(d.zoo, d.id).toBeDefined();
      expect(CASES[d.id.replace(/^zoo\//, '')], d.id).toBeDefined();
    }
    expect(ZOO_DESIGNS.filter((d) => /^zoo\/m\d/.test(d.id)).length).toBeGreaterThanOrEqual(20);
  });
  for (const d of ZOO_DESIGNS) {
    const ops = CASES[d.id.replace(/^zoo\//, '')] ?? [];
    it(`${d.id} breaks ${d.zoo?.invariants.join(' or ')} on ${d.zoo?.profile}; ${baseOf(d.id)} holds`, () => {
      const t = d.zoo!;
      const invs = t.invariants as InvariantId[];
      const v = firstViolation(t.profile, d.id, ops, invs);
      expect(v, 'violated on the mutant').not.toBeNull();
      expect(invs).toContain(v!.inv);
      expect(v!.step).toBe(ops.length - 1);
      expect(firstViolation(t.profile, baseOf(d.id), ops, invs), 'held on the base').toBeNull();
    });
  }
});
