/**
 * The known-bugs catalogue (src/model/designs/zoo/catalogue.ts) against docs/model.md section 5:
 * one entry per bug B1..B19; a planted entry names a registered zoo design that declares that
 * bug; a native entry names a built-in design, a profile that boots and invariants the checker
 * knows, and that design breaks them on a short sequence; a not-expressible entry names no design
 * and says what the model would need. (The native cases moved from test/unit/zoo/zoo-designs.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_DESIGNS, ZOO_DESIGNS } from '../../../../../src/model/designs/index.ts';
import { KNOWN_BUGS_CATALOGUE } from '../../../../../src/model/designs/zoo/catalogue.ts';
import type { Op } from '../../../../../src/model/ops.ts';
import { resolveProfile } from '../../../../../src/model/profile.ts';
import { INVARIANT_IDS, type InvariantId } from '../../../../../src/spec/index.ts';
import { alloc, firstViolation, KiB } from '../../../../helpers/kernel.ts';
import { share } from '../../../../helpers/zoo.ts';

/** The bug ids of docs/model.md section 5's table (`| B12 |` rows). */
function modelDocBugs(): string[] {
  const md = readFileSync(new URL('../../../../../docs/model.md', import.meta.url), 'utf8');
  return [...md.matchAll(/^\| (B\d+) \|/gm)].map((m) => m[1]!);
}

describe('the catalogue covers docs/model.md section 5', () => {
  it('one entry per known bug, B1..B19 in order, as the doc table lists them', () => {
    const ids = KNOWN_BUGS_CATALOGUE.map((k) => k.bug);
    expect(ids).toEqual(Array.from({ length: 19 }, (_, i) => `B${i + 1}`));
    expect(ids).toEqual(modelDocBugs());
  });

  it('planted entries name a registered zoo design that declares that bug', () => {
    const planted = KNOWN_BUGS_CATALOGUE.filter((k) => k.status === 'planted');
    expect(planted.map((k) => k.bug)).toEqual(['B3', 'B4', 'B5', 'B6', 'B12', 'B13', 'B14', 'B15', 'B18']);
    for (const k of planted) {
      const d = ZOO_DESIGNS.find((x) => x.id === k.design);
      expect(d, k.bug).toBeDefined();
      expect(d!.zoo?.bug, k.bug).toBe(k.bug);
    }
  });

  it('native entries name a built-in design, a profile that boots and known invariants', () => {
    for (const k of KNOWN_BUGS_CATALOGUE.filter((x) => x.status === 'native')) {
      expect(
        BUILTIN_DESIGNS.map((d) => d.id),
        k.bug,
      ).toContain(k.design);
      expect(() => resolveProfile(k.profile!), k.bug).not.toThrow();
      expect(k.invariants?.length, k.bug).toBeGreaterThan(0);
      for (const inv of k.invariants!) expect(INVARIANT_IDS, k.bug).toContain(inv);
    }
  });

  it('not-expressible entries name no design and say why (B1, B7, B8, B11, B19)', () => {
    const no = KNOWN_BUGS_CATALOGUE.filter((k) => k.status === 'not-expressible');
    expect(no.map((k) => k.bug)).toEqual(['B1', 'B7', 'B8', 'B11', 'B19']);
    for (const k of no) {
      expect(k.design, k.bug).toBeUndefined();
      // the reason: what is missing or why no invariant can see it
      expect(k.note, k.bug).toMatch(/needs|no invariant/);
    }
  });
});

/** Native entries: the bug on the built-in design and profile the zoo names, by its invariant. */
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
