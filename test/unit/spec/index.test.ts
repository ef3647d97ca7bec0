/** The registry: seven invariants one per file, lookups by id; checkStep runs type-ok first. */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_DESIGNS } from '../../../src/model/designs/index.ts';
import { Kernel } from '../../../src/model/kernel.ts';
import { resolveProfile } from '../../../src/model/profile.ts';
import { MemType } from '../../../src/model/types.ts';
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
import { quietOp } from '../../../src/spec/tracker.ts';
import { bootWith, KiB, uncachedCma } from '../../helpers/kernel.ts';
import { opsArb } from '../../helpers/random-ops.ts';

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

/**
 * legacy-3.18 on tiny after a 64 KiB uncached CMA alloc and a dma-map: the carveout's stale NC
 * zeroing beside the WB linear map, the unmapped remap pinning the window (B2), and the sg table
 * from a vmalloc address (B9).
 */
const violatingLegacy = () =>
  bootWith('tiny', 'legacy-3.18', [
    uncachedCma(64 * KiB),
    { op: 'share', client: 1, handle: 0 },
    { op: 'dma-map', fd: 0, device: 'gpu' },
  ]);

describe('checkStep', () => {
  const violating = violatingLegacy;
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

  it('the same list again, a list of the same ids, and a list grown in place: each read as it is now', () => {
    const k = violating();
    const ids: InvariantId[] = ['vmalloc-bounded'];
    expect(checkStep(k, ids, 'incremental').map((v) => v.invariant)).toEqual(['vmalloc-bounded']);
    k.apply({ op: 'share', client: 9, handle: 0 });
    expect(checkStep(k, ids, 'incremental').map((v) => v.invariant)).toEqual(['vmalloc-bounded']);
    k.apply({ op: 'share', client: 9, handle: 0 });
    expect(checkStep(k, ['vmalloc-bounded'], 'incremental').map((v) => v.invariant)).toEqual([
      'vmalloc-bounded',
    ]);
    k.apply({ op: 'share', client: 9, handle: 0 });
    expect(checkStep(k, ids, 'incremental').map((v) => v.invariant)).toEqual(['vmalloc-bounded']);
    // the caller's list grows in place (its type says it should not): the new id is read too
    ids.push('no-conflicting-alias');
    k.apply({ op: 'share', client: 9, handle: 0 });
    expect(checkStep(k, ids, 'incremental').map((v) => v.invariant)).toEqual([
      'no-conflicting-alias',
      'vmalloc-bounded',
    ]);
  });

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

/**
 * checkStep's quiet path: after an op that changed nothing the checks read (tracker.ts quietOp),
 * the step is decided from the previous step's verdicts (afterQuietOp) with no judging. Shown
 * equal to the full scans on random runs of every design, zoo included (quiet steps with
 * violations standing among them), and unable to hide a violation that comes with any one effect.
 */
describe('checkStep after quiet ops', () => {
  it('equals the full checks on every step of random runs of every design (tiny, seed 11)', () => {
    let quiet = 0;
    let quietViolated = 0;
    for (const design of ALL_DESIGNS) {
      const booted = Kernel.boot(resolveProfile('tiny'), design);
      fc.assert(
        fc.property(opsArb('tiny', 60, 80), (ops) => {
          const k = booted.clone();
          for (const [i, op] of ops.entries()) {
            k.apply(op);
            const wasQuiet = quietOp(k);
            const inc = checkStep(k, INVARIANT_IDS, 'incremental');
            expect(inc, `${design.id} step ${i} (${JSON.stringify(op)})`).toEqual(
              checkStep(k, INVARIANT_IDS, 'full'),
            );
            if (wasQuiet && i > 0) {
              quiet++;
              if (inc.length > 0) quietViolated++;
            }
          }
        }),
        { seed: 11, numRuns: design.id.startsWith('zoo/') ? 2 : 8 },
      );
    }
    // the quiet path ran, with violations standing too (legacy-3.18 and the zoo)
    expect(quiet).toBeGreaterThan(1000);
    expect(quietViolated).toBeGreaterThan(100);
  });

  /** cma-direct-remap after an alloc, a share and a dma-map, checked clean; then a failed free. */
  function afterQuietOp(): Kernel {
    const k = bootWith('tiny', 'cma-direct-remap', [
      uncachedCma(64 * KiB),
      { op: 'share', client: 1, handle: 0 },
      { op: 'dma-map', fd: 0, device: 'gpu' },
    ]);
    expect(checkStep(k, INVARIANT_IDS, 'incremental')).toEqual([]);
    expect(k.apply({ op: 'free', client: 1, handle: 42 }).ok).toBe(false);
    expect(quietOp(k)).toBe(true);
    return k;
  }
  const reported = (k: Kernel) => checkStep(k, INVARIANT_IDS, 'incremental').map((v) => v.invariant);

  it('a quiet op after a clean step: nothing reported, and every bad set stays in step (no rebuild)', () => {
    const k = afterQuietOp();
    expect(reported(k)).toEqual([]);
    expect(k.apply({ op: 'free', client: 1, handle: 0 }).ok).toBe(true);
    expect(checkStep(k, INVARIANT_IDS, 'incremental')).toEqual(checkStep(k, INVARIANT_IDS, 'full'));
  });

  it('each kind of effect ends the quiet path: a violation that comes with it is reported', () => {
    const buffer = (k: Kernel) => [...k.ion.buffers.values()][0]!;
    const effects: [InvariantId | 'type-ok', (k: Kernel) => void][] = [
      // a touched page: another writer's data in the buffer's first page
      [
        'zeroed-on-alloc',
        (k) => {
          const p = buffer(k).pages[0]!;
          k.mm.pages.writer[p] = 99;
          k.mm.pages.touch(p);
        },
      ],
      // a mapping made: outside RAM
      [
        'type-ok',
        (k) =>
          k.mm.mmu.creations.push({
            kind: 'vm',
            type: MemType.WB,
            owner: 'test',
            pages: Int32Array.of(k.mm.pages.nPages),
            before: Uint8Array.of(0),
            maintained: false,
          }),
      ],
      // a buffer whose references changed: one kref too many
      [
        'refcounts-balanced',
        (k) => {
          buffer(k).ref++;
          k.ion.touchedBuffers.add(buffer(k));
        },
      ],
      // a buffer made: its pages not contiguous
      [
        'contiguous-aligned',
        (k) => {
          const b = buffer(k);
          b.pages = Int32Array.of(b.pages[1]!, b.pages[0]!, ...b.pages.subarray(2));
          k.ion.createdThisOp.push(b);
        },
      ],
      // a buffer destroyed: gone from the device with its pages still its own (a leak)
      [
        'freed-completely',
        (k) => {
          const b = buffer(k);
          k.ion.buffers.delete(b.id);
          k.ion.destroyedThisOp.push(b);
        },
      ],
      // an attachment made: its sg table points past the buffer
      [
        'exclusive-ownership',
        (k) => {
          const a = k.ion.attachments[0]!;
          a.sg[0] = a.sg.at(-1)! + 1;
          k.ion.attachedThisOp.push(a);
        },
      ],
    ];
    for (const [id, effect] of effects) {
      const k = afterQuietOp();
      effect(k);
      expect(quietOp(k), id).toBe(false);
      expect(reported(k), id).toContain(id);
    }
  });

  it("a mapping's conflict at its making is not carried past the next quiet op", () => {
    const k = afterQuietOp();
    // a WB kmap_atomic made and gone within the op, over an NC mapping of the buffer's page (ARCH-3)
    k.mm.mmu.creations.push({
      kind: 'kmap-atomic',
      type: MemType.WB,
      owner: 'test',
      pages: Int32Array.of([...k.ion.buffers.values()][0]!.pages[0]!),
      before: Uint8Array.of(1 << MemType.NC),
      maintained: false,
    });
    expect(reported(k)).toEqual(['no-conflicting-alias']);
    expect(k.apply({ op: 'free', client: 1, handle: 42 }).ok).toBe(false);
    expect(quietOp(k)).toBe(true);
    expect(reported(k)).toEqual([]);
  });

  it('a violation standing through quiet ops is reported at each, as the full checks report it', () => {
    const k = violatingLegacy();
    expect(reported(k).length).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) {
      expect(k.apply({ op: 'free', client: 1, handle: 42 }).ok).toBe(false);
      expect(quietOp(k)).toBe(true);
      expect(checkStep(k, INVARIANT_IDS, 'incremental')).toEqual(checkStep(k, INVARIANT_IDS, 'full'));
    }
  });
});
