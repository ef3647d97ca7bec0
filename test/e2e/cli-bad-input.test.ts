/**
 * Bad input never crashes the CLI: 1,000+ malformed invocations (truncated and damaged tokens,
 * wrong format versions, unknown ops, negative sizes, unknown designs and profiles, bad flag
 * values, plugin files that throw or return garbage, bad replay files) each exit 2 with exactly
 * one line `ionck: ...` on stderr, no stack trace, nothing on stdout and nothing written to
 * --out, --junit or --save. Most run in-process; a handful spawn ./bin/ionck.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeToken, makeReplay, REPLAY_FORMAT } from '../../src/properties/replay.ts';
import { cli, spawnCli } from '../helpers/cli.ts';

const SEED = 31337;
let dir = '';
const outDir = () => join(dir, 'out');
const junit = () => join(dir, 'junit.xml');
const saved = () => join(dir, 'saved.json');

const GOOD = {
  format: REPLAY_FORMAT,
  design: 'legacy-3.18',
  profile: 'arm32-1g',
  invariant: 'vmalloc-bounded',
  ops: [
    { op: 'alloc', client: 0, heap: 'cma', len: 4096 },
    { op: 'kmap', client: 0, handle: 0 },
  ],
  expect: 'violated',
};
const rawToken = (o: unknown) =>
  `ionck1:${deflateRawSync(Buffer.from(JSON.stringify(o))).toString('base64url')}`;
const TOKENS = [
  encodeToken(makeReplay(GOOD as never)),
  encodeToken(
    makeReplay({
      design: 'cma-direct',
      profile: 'arm32-1g-cma512,vmalloc=480M',
      invariant: 'no-conflicting-alias',
      ops: Array.from({ length: 30 }, (_, i) => ({
        op: 'alloc' as const,
        client: i % 3,
        heap: 'cma' as const,
        len: 4096 * (i + 1),
      })),
      expect: 'violated',
      origin: { seed: 12, path: '3:1:0', tool: 'ionck check' },
    }),
  ),
  encodeToken(
    makeReplay({ design: 'cma-direct-remap', profile: 'tiny', ops: [{ op: 'purge' }], expect: 'held' }),
  ),
];

/** Every malformed invocation, as argv. */
function cases(): string[][] {
  const out: string[][] = [];
  const check = (...a: string[]) => ['check', ...a, '--out', outDir(), '--junit', junit()];
  const replay = (...a: string[]) => ['replay', ...a, '--save', saved()];
  // 1. truncated tokens: every cut of each token (the prefix alone included)
  for (const t of TOKENS)
    for (let n = 0; n < t.length; n += t.length > 200 ? 3 : 1) out.push(replay(t.slice(0, n)));
  // 2. characters outside base64url
  const bad = ['+', '/', '=', '!', '.', ' ', '%', '~', 'é', '\t'];
  const picks = fc.sample(fc.tuple(fc.nat(bad.length - 1), fc.nat(1000)), { seed: SEED, numRuns: 120 });
  for (const [i, [c, pos]] of picks.entries()) {
    const t = TOKENS[i % TOKENS.length]!;
    const at = 7 + (pos % (t.length - 7));
    out.push(replay(t.slice(0, at) + bad[c] + t.slice(at)));
  }
  // 3. wrong format versions, as tokens and as files
  for (const f of ['ionck-replay/0', 'ionck-replay/2', 'ionck-replay/1.1', 'ionck/1', '', 1, null]) {
    out.push(replay(rawToken({ ...GOOD, format: f })));
    out.push(replay(fileWith(`format-${String(f).replace(/\W/g, '_')}.json`, { ...GOOD, format: f })));
  }
  out.push(replay(rawToken({ ...GOOD, format: undefined })));
  for (const p of ['ionck2:', 'ionck0:', 'ionck10:']) out.push(replay(p + TOKENS[0]!.slice(7)));
  // 4. unknown ops and malformed op fields
  const opsBad: unknown[] = [
    { op: 'explode' },
    { op: 'ALLOC', client: 0, heap: 'cma', len: 4096 },
    { op: 'alloc', client: 0, heap: 'dram', len: 4096 },
    { op: 'alloc', client: 0, heap: 'cma' },
    { op: 'alloc', client: 0, heap: 'cma', len: 4096, colour: 'red' },
    { op: 'kmap', client: 0 },
    { op: 'dma-map', fd: 0, device: 'GPU!' },
    { op: 'alloc', client: 0, heap: 'cma', len: 4096, cached: 'yes' },
    'alloc',
    null,
    [],
    42,
  ];
  for (const [i, o] of opsBad.entries()) {
    out.push(replay(rawToken({ ...GOOD, ops: [GOOD.ops[0], o] })));
    out.push(replay(fileWith(`op-${i}.json`, { ...GOOD, ops: [o] })));
    out.push(replay(rawToken({ ...GOOD, ops: [o] }), '--json'));
  }
  // 5. negative, fractional, huge and non-numeric sizes and ids
  const nums = [-1, -4096, 1.5, 2 ** 32, 2 ** 53, '4096', -0.5, 1e300];
  for (const n of nums) {
    out.push(replay(rawToken({ ...GOOD, ops: [{ op: 'alloc', client: 0, heap: 'cma', len: n }] })));
    out.push(replay(rawToken({ ...GOOD, ops: [{ op: 'alloc', client: n, heap: 'cma', len: 4096 }] })));
    out.push(replay(rawToken({ ...GOOD, ops: [{ op: 'driver-vmap', pages: n }] })));
    out.push(replay(rawToken({ ...GOOD, ops: [{ op: 'mmap', fd: 0, pgoff: n }] })));
    out.push(
      replay(
        fileWith(`num-${String(n)}.json`, {
          ...GOOD,
          ops: [{ op: 'alloc', client: 0, heap: 'cma', len: n }],
        }),
      ),
    );
    out.push(replay(rawToken({ ...GOOD, ops: [{ op: 'free', client: 0, handle: n }] })));
    out.push(
      replay(rawToken({ ...GOOD, ops: [{ op: 'alloc', client: 0, heap: 'cma', len: 4096, align: n }] })),
    );
  }
  // 6. unknown designs (check, replay --design, and in the replay itself)
  const names = fc.sample(fc.stringMatching(/^[a-z][a-z0-9-]{1,20}$/), { seed: SEED, numRuns: 40 });
  for (const n of [...names, 'zoo/nope', 'legacy-3.19', 'LEGACY-3.18', 'cma_direct']) {
    out.push(check('--design', n, '--profile', 'tiny'));
    out.push(replay(TOKENS[0]!, '--design', n));
    out.push(replay(rawToken({ ...GOOD, design: n })));
  }
  out.push(replay(rawToken({ ...GOOD, design: 'Bad Id' })));
  // 7. unknown and malformed profiles (check, layout, replay)
  const profiles = [
    ...fc.sample(fc.stringMatching(/^[a-z][a-z0-9-]{1,16}$/), { seed: SEED + 1, numRuns: 30 }),
    'arm32-1g,vmalloc=lots',
    'arm32-1g,ram=3M',
    'arm32-1g,cpus=0',
    'arm32-1g,rules=x86',
    'arm32-1g,split=4G/0G',
    'arm32-1g,nope=1',
    'arm32-1g,stale-tlb=maybe',
    'arm32-1g,cma=1M@oops',
    ',',
    'ARM32-1G',
  ];
  for (const p of profiles) {
    out.push(check('--profile', p));
    out.push(['layout', '--profile', p]);
    out.push(['layout', '--profile', p, '--json']);
    out.push(replay(rawToken({ ...GOOD, profile: p })));
  }
  // 8. bad flag values and unknown flags
  const flagValues: [string, string[]][] = [
    ['--runs', ['0', '-1', '1.5', 'abc', '', '1e3', '99999999999', '0x10', ' ']],
    ['--max-ops', ['0', '-5', 'many', '100001', '2.0']],
    ['--seed', ['-1', '2147483648', 'x', '1.5', '']],
    ['--time-limit', ['0', '-1', 'abc', '1e9', '', 'NaN', 'Infinity']],
    ['--workers', ['0', '-2', 'x', '65', '257']],
    ['--shard', ['0/1', '2/1', '1/0', '1-2', 'a/b', '1/', '/2', '3', '1/2/3']],
    ['--invariant', ['no-alias', 'type-ok', 'ALL', '']],
    ['--heap', ['dram', 'CMA', '']],
    ['--profile', ['']],
    ['--out', ['']],
    ['--junit', ['']],
  ];
  for (const [flag, values] of flagValues)
    for (const v of values) {
      out.push(check(flag, v));
      out.push(check('--design', 'cma-direct', flag, v, '--json'));
    }
  for (const v of ['nope', 'ALL', '']) out.push(replay(TOKENS[0]!, '--invariant', v));
  for (const f of ['--foo', '--run', '-x', '--runs=', '--jsonn', '--seed=1=2', '--design']) {
    out.push(check(f));
    out.push(replay(TOKENS[0]!, f));
    out.push(['layout', f]);
  }
  out.push(check('--runs'), check('--seed'), check('extra-argument'), replay(), replay(TOKENS[0]!, 'extra'));
  // 9. plugin files that throw, return garbage or are missing
  const plugins = [
    './test/fixtures/designs/throws-at-load.ts',
    './test/fixtures/designs/not-a-design.ts',
    './test/fixtures/designs/no-default.ts',
    './test/fixtures/designs/garbage-heaps.ts',
    './test/fixtures/designs/heaps-throw.ts',
    './test/fixtures/designs/builtin-id.ts',
    './test/fixtures/designs/missing.ts',
    './test/fixtures/designs',
    '/nonexistent/plugin.ts',
  ];
  for (const p of plugins)
    for (const profile of ['tiny', 'arm32-1g', 'arm32-1g-cma512']) {
      out.push(check('--design', p, '--profile', profile));
      out.push(check('--design', 'cma-direct-remap', '--design', p, '--profile', profile, '--json'));
      out.push(replay(TOKENS[2]!, '--design', p));
    }
  // 10. bad replay files
  writeFileSync(join(dir, 'empty.json'), '');
  writeFileSync(join(dir, 'binary.json'), Buffer.from([0, 1, 2, 255, 254]));
  writeFileSync(join(dir, 'text.txt'), 'hello\nworld\n');
  mkdirSync(join(dir, 'a-directory'), { recursive: true });
  for (const f of ['empty.json', 'binary.json', 'text.txt', 'a-directory', 'does-not-exist.json'])
    for (const extra of [[], ['--json'], ['--design', 'cma-direct']])
      out.push(replay(join(dir, f), ...extra));
  for (const text of [
    '{',
    '[]',
    '"x"',
    '{}',
    'null',
    '{"format":"ionck-replay/1"}',
    JSON.stringify({ ...GOOD, ops: 'none' }),
  ])
    out.push(replay(fileWith(`text-${out.length}.json`, text)));
  out.push(replay(fileWith('extra-field.json', { ...GOOD, when: 'now' })));
  out.push(replay(fileWith('bad-expect.json', { ...GOOD, expect: 'fail' })));
  out.push(replay(fileWith('bad-invariant.json', { ...GOOD, invariant: 'model-exception' })));
  out.push(replay(fileWith('bad-origin.json', { ...GOOD, origin: { seed: 1.5 } })));
  // 11. output paths that cannot be written
  const file = fileWith('plain-file.txt', 'not a directory');
  out.push(['check', '--profile', 'tiny', '--out', file]);
  out.push(['check', '--profile', 'tiny', '--out', join(file, 'sub')]);
  out.push(['check', '--profile', 'tiny', '--junit', dir]);
  out.push(['check', '--profile', 'tiny', '--junit', join(file, 'x.xml')]);
  out.push(['replay', TOKENS[0]!, '--save', dir]);
  out.push(['replay', TOKENS[0]!, '--save', join(file, 'x.json')]);
  // 12. commands and subjects that do not exist
  for (const a of [
    ['chek'],
    ['list'],
    ['list', 'things'],
    ['list', 'designs', 'extra'],
    ['layout', 'extra'],
    ['--bogus'],
    [],
  ])
    out.push(a);
  return out;
}

function fileWith(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ionck-bad-input-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function expectBadInput(r: { code: number; stdout: string; stderr: string }, what: string) {
  expect(r.code, `${what}\nstderr: ${r.stderr}`).toBe(2);
  expect(r.stderr, what).toMatch(/^ionck: [^\n]+\n$/);
  expect(r.stderr, what).not.toMatch(/\n\s+at |internal error/);
  expect(r.stdout, what).toBe('');
}

describe('bad input', () => {
  it(`1,000+ malformed invocations: exit 2, one line, nothing written (seed ${SEED})`, async () => {
    const all = cases();
    expect(all.length).toBeGreaterThanOrEqual(1000);
    const before = new Set(readdirSync(dir));
    for (const argv of all) {
      const r = await cli(argv);
      expectBadInput(r, JSON.stringify(argv));
      expect(existsSync(outDir()), JSON.stringify(argv)).toBe(false);
      expect(existsSync(junit()), JSON.stringify(argv)).toBe(false);
      expect(existsSync(saved()), JSON.stringify(argv)).toBe(false);
    }
    // no stray temp files either
    expect(readdirSync(dir).filter((f) => !before.has(f))).toEqual([]);
  });

  it('an existing --out directory is left untouched by bad input', async () => {
    mkdirSync(outDir(), { recursive: true });
    writeFileSync(join(outDir(), 'check.json'), 'previous report');
    const r = await cli([
      'check',
      '--design',
      './test/fixtures/designs/throws-at-load.ts',
      '--out',
      outDir(),
    ]);
    expectBadInput(r, 'plugin throws');
    expect(r.stderr).toContain('throws-at-load.ts');
    expect(r.stderr).not.toContain('second line');
    expect(readdirSync(outDir())).toEqual(['check.json']);
    rmSync(outDir(), { recursive: true });
  });

  it('names what was wrong', async () => {
    const msg = async (argv: string[]) => (await cli(argv)).stderr;
    expect(await msg(['check', '--runs', 'abc'])).toContain("'--runs <n>' argument 'abc' is invalid");
    expect(await msg(['check', '--profile', 'nope'])).toContain("unknown profile 'nope'");
    expect(await msg(['check', '--design', 'nope'])).toContain("unknown design 'nope'");
    expect(await msg(['check', '--invariant', 'nope'])).toContain("unknown invariant 'nope'");
    expect(await msg(['replay', 'ionck1:abc!'])).toContain('not base64url');
    expect(await msg(['replay', rawToken({ ...GOOD, ops: [{ op: 'boom' }] })])).toContain(
      'ops[0]: unknown op "boom"',
    );
    expect(await msg(['replay', rawToken({ ...GOOD, format: 'ionck-replay/2' })])).toContain(
      "format 'ionck-replay/2' is not supported",
    );
    expect(
      await msg(['check', '--design', './test/fixtures/designs/garbage-heaps.ts', '--profile', 'tiny']),
    ).toContain('garbage-heaps.ts');
  });

  it('the real binary: exit 2 and one line, no stack trace', () => {
    for (const argv of [
      ['replay', TOKENS[0]!.slice(0, 30)],
      ['check', '--bogus'],
      ['layout', '--profile', 'arm64'],
      ['check', '--design', './test/fixtures/designs/throws-at-load.ts'],
      ['replay', 'ionck1:@@@'],
    ]) {
      const r = spawnCli(argv);
      expectBadInput(r, JSON.stringify(argv));
    }
  });
});
