/** The registry: seven invariants one per file, lookups by id; checkStep runs type-ok first. */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GOALS as GOALS_OF_GOALS_TS } from '../../../src/spec/goals.ts';
import {
  checkStep,
  GOALS,
  INVARIANT_IDS,
  INVARIANTS,
  type Invariant,
  type InvariantId,
  invariantById,
  isInvariantId,
  TYPE_OK,
} from '../../../src/spec/index.ts';
import { bootWith, KiB, uncachedCma } from '../../helpers/kernel.ts';

/** "ARCH-1..3" -> ARCH-1, ARCH-2, ARCH-3; other ids as they are. */
function expandIds(list: string): string[] {
  return list
    .split(',')
    .map((s) => s.trim().replace(/\.$/, ''))
    .filter(Boolean)
    .flatMap((id) => {
      const m = /^(.*-)(\d+)\.\.(\d+)$/.exec(id);
      if (!m) return [id];
      const out: string[] = [];
      for (let n = Number(m[2]); n <= Number(m[3]); n++) out.push(`${m[1]}${n}`);
      return out;
    });
}

describe('the invariant registry', () => {
  it('lists seven invariants with definitions and rule ids, in INVARIANT_IDS order', () => {
    expect(INVARIANTS.map((i) => i.id)).toEqual([...INVARIANT_IDS]);
    for (const i of INVARIANTS) {
      expect(i.definition.length).toBeGreaterThan(40);
      expect(i.rests.length).toBeGreaterThan(0);
    }
  });

  it('ids and titles are unique; type-ok stands apart', () => {
    const ids = INVARIANTS.map((i) => i.id);
    expect(new Set(ids).size).toBe(7);
    expect(new Set(INVARIANTS.map((i) => i.title)).size).toBe(7);
    expect(TYPE_OK.id).toBe('type-ok');
    expect(ids).not.toContain('type-ok');
  });

  it('each invariant (and type-ok) is the export of src/spec/<id>.ts, and that file exports no other', async () => {
    for (const inv of [...INVARIANTS, TYPE_OK]) {
      const mod = (await import(`../../../src/spec/${inv.id}.ts`)) as Record<string, unknown>;
      const checkers = Object.values(mod).filter(
        (v): v is Invariant => typeof v === 'object' && v !== null && 'incremental' in v && 'full' in v,
      );
      expect(checkers, inv.id).toEqual([inv]);
    }
  });

  it('every file of src/spec is the registry, its vocabulary, or one check', () => {
    const files = readdirSync('src/spec').map((f) => f.replace(/\.ts$/, ''));
    const support = ['describe', 'goals', 'index', 'invariant', 'ion-index', 'page-facts', 'tracker'];
    expect(files.sort()).toEqual([...support, ...INVARIANT_IDS, 'type-ok'].sort());
  });

  it("each invariant's rule ids are named in its file's header and in its row of docs/invariants.md", () => {
    const doc = readFileSync('docs/invariants.md', 'utf8');
    for (const inv of INVARIANTS) {
      const src = readFileSync(`src/spec/${inv.id}.ts`, 'utf8');
      const header = /\* Rests on: (.*)$/m.exec(src);
      expect(header, inv.id).not.toBeNull();
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${inv.id}\` | \`${inv.id}.ts\` |`));
      expect(row, inv.id).toBeDefined();
      const docRests = expandIds(row!.split('|').at(-2)!);
      const headerRests = expandIds(header![1]!);
      for (const r of inv.rests) {
        expect(headerRests, `${inv.id} header lacks ${r}`).toContain(r);
        expect(docRests, `${inv.id} doc row lacks ${r}`).toContain(r);
      }
    }
  });

  it('every src/spec file has its test at the mirrored path (issue 15), so each invariant is shown caught and held', () => {
    const tests = new Set(readdirSync('test/unit/spec'));
    for (const f of readdirSync('src/spec')) expect(tests, f).toContain(f.replace(/\.ts$/, '.test.ts'));
  });

  it('re-exports the goals of goals.ts', () => {
    expect(GOALS).toBe(GOALS_OF_GOALS_TS);
  });
});

describe('invariantById and isInvariantId', () => {
  it('find each invariant by its id', () => {
    for (const inv of INVARIANTS) {
      expect(invariantById(inv.id)).toBe(inv);
      expect(isInvariantId(inv.id)).toBe(true);
    }
  });
  it('refuse type-ok, unknown ids, other spellings and the empty string', () => {
    for (const id of [
      'type-ok',
      'no-such-invariant',
      'No-Conflicting-Alias',
      'no_conflicting_alias',
      'vmalloc',
      '',
    ]) {
      expect(invariantById(id), id).toBeUndefined();
      expect(isInvariantId(id), id).toBe(false);
    }
  });
});

describe('checkStep', () => {
  /**
   * legacy-3.18 on tiny after a 64 KiB uncached CMA alloc and a dma-map: the carveout's stale NC
   * zeroing beside the WB linear map, the unmapped remap pinning the window (B2), and the sg table
   * from a vmalloc address (B9).
   */
  const violating = () =>
    bootWith('tiny', 'legacy-3.18', [
      uncachedCma(64 * KiB),
      { op: 'share', client: 1, handle: 0 },
      { op: 'dma-map', fd: 0, device: 'gpu' },
    ]);
  const seen: InvariantId[] = ['no-conflicting-alias', 'vmalloc-bounded', 'exclusive-ownership'];

  for (const mode of ['incremental', 'full'] as const) {
    it(`${mode}: every chosen invariant's violation, one each, in registry order`, () => {
      const k = violating();
      const all = checkStep(k, [...INVARIANT_IDS].reverse(), mode);
      expect(all.map((v) => v.invariant)).toEqual(seen);
      expect(all.map((v) => v.message)).toEqual(seen.map((id) => invariantById(id)!.full(k)!.message));
    });
    it(`${mode}: only the chosen invariants; none chosen, none reported`, () => {
      const k = violating();
      expect(checkStep(k, ['exclusive-ownership', 'freed-completely'], mode).map((v) => v.invariant)).toEqual(
        ['exclusive-ownership'],
      );
      expect(checkStep(k, [], mode)).toEqual([]);
    });
    it(`${mode}: a type-ok failure is the only report, whatever else is violated`, () => {
      const k = violating();
      k.mm.pages.linearType[100] = 7;
      k.mm.pages.touch(100);
      const out = checkStep(k, [...INVARIANT_IDS], mode);
      expect(out.map((v) => v.invariant)).toEqual(['type-ok']);
      expect(out[0]!.message).toMatch(/linear type 7/);
    });
  }

  it('holds everywhere on cma-direct-remap after the same ops', () => {
    const k = bootWith('tiny', 'cma-direct-remap', [
      uncachedCma(64 * KiB),
      { op: 'share', client: 1, handle: 0 },
      { op: 'dma-map', fd: 0, device: 'gpu' },
    ]);
    expect(checkStep(k, [...INVARIANT_IDS], 'incremental')).toEqual([]);
    expect(checkStep(k, [...INVARIANT_IDS], 'full')).toEqual([]);
  });
});
