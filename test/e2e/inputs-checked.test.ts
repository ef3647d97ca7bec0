/**
 * Issue 16, inputs checked before work: output paths are created and proven writable before
 * anything runs (exit 2, one line, fast), impossible hardware is refused with one line, numbers
 * parse strictly, replay files with a BOM load and `__proto__` keys are refused, replays recorded
 * under another model version say so.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeReplay } from '../../src/properties/replay.ts';
import { MODEL_VERSION } from '../../src/version.ts';
import { cli, ROOT, spawnCli } from '../helpers/cli.ts';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ionck-inputs-'));
  writeFileSync(join(dir, 'file'), 'x');
});

const oneLine = (s: string) => expect(s.trimEnd().split('\n')).toHaveLength(1);
const TOKEN_FREE = ['--runs', '1', '--max-ops', '3', '--profile', 'tiny'];

describe('output paths are validated and created before anything runs', () => {
  it.each([
    [['check', ...TOKEN_FREE, '--out', '/proc/x'], /--out \/proc\/x cannot be written \(ENOENT\)/],
    [['compare', '--profile', 'tiny', '--ops', '5', '--out', '/proc/x'], /--out \/proc\/x cannot be written/],
    [['check', ...TOKEN_FREE, '--junit', '/proc/x/j.xml'], /--junit \/proc\/x cannot be written/],
  ])('%j: exit 2 in seconds with one line', (argv, why) => {
    const t0 = performance.now();
    const r = spawnCli(argv);
    expect(performance.now() - t0).toBeLessThan(20_000);
    expect(r.code).toBe(2);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(why);
  });

  it('an --out below a file, a --junit below a file and a replay --save below a file: exit 2 before any run', async () => {
    for (const argv of [
      ['check', ...TOKEN_FREE, '--out', join(dir, 'file', 'sub')],
      ['check', ...TOKEN_FREE, '--junit', join(dir, 'file', 'j.xml')],
      [
        'replay',
        'test/regressions/cma-direct--no-conflicting-alias--cma-stale-tlb.json',
        '--save',
        join(dir, 'file', 'r.json'),
      ],
    ]) {
      const r = await cli(argv);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe(''); // nothing ran
      expect(r.stderr).toMatch(/is not a directory/);
    }
  });

  it('--out and --junit directories are created before the check runs (and hold the reports after)', async () => {
    const out = join(dir, 'new', 'deep', 'out');
    const junit = join(dir, 'j', 'k', 'junit.xml');
    const r = await cli(['check', ...TOKEN_FREE, '--design', 'cma-direct', '--out', out, '--junit', junit]);
    expect([0, 1]).toContain(r.code);
    expect(readdirSync(out)).toContain('check.json');
    expect(existsSync(junit)).toBe(true);
    expect(readdirSync(out).some((f) => f.startsWith('.ionck-probe'))).toBe(false);
  });

  it('unwritable --out, --junit and replay --save (EACCES): exit 2 with one line before the check runs', () => {
    // as root nothing is unwritable: run the CLI as nobody then, on a directory only root may write
    const ro = join(dir, 'read-only');
    mkdirSync(ro, { mode: 0o755 });
    chmodSync(ro, process.getuid?.() === 0 ? 0o755 : 0o555);
    chmodSync(dir, 0o755);
    const as = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const run = (argv: string[]) => {
      const r = spawnSync(join(ROOT, 'bin/ionck'), argv, {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, GITHUB_STEP_SUMMARY: '', HOME: tmpdir() },
        timeout: 60_000,
        ...as,
      });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    for (const [argv, flag] of [
      [['check', '--runs', '150', '--out', join(ro, 'out')], '--out'],
      [['check', '--runs', '150', '--junit', join(ro, 'j.xml')], '--junit'],
      [
        [
          'replay',
          'test/regressions/cma-direct--no-conflicting-alias--cma-stale-tlb.json',
          '--save',
          join(ro, 'r.json'),
        ],
        '--save',
      ],
    ] as const) {
      const r = run([...argv]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^ionck: ${flag} \\S+ cannot be written \\(EACCES\\)\n$`));
    }
    expect(readdirSync(ro)).toEqual([]);
  });

  it('compare --out "" is refused (not the current directory)', async () => {
    const r = await cli(['compare', '--out', '', '--ops', '5'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "ionck compare: option '--out <dir>' argument '' is invalid. --out must not be empty\n",
    );
    expect(readdirSync(dir).filter((f) => f.startsWith('compare.'))).toEqual([]);
  });
});

describe('impossible hardware is refused with one line', () => {
  it.each([
    ['arm32-1g,ram=64G', /beyond the 4 GiB physical address space of ARM32 without LPAE/],
    ['arm32-1g,ram=99999G', /beyond the 4 GiB physical address space/],
    ['arm32-4g,ram=99999G', /more than ionck models/],
    ['arm32-1g,coherent_pool=2G', /coherent_pool=2G cannot be placed/],
    ['arm32-1g,coherent_pool=0', /coherent_pool=0 is not a usable atomic pool/],
    ['arm32-1g,carveout=2G@0x1000', /carveout=2G@0x1000 cannot be placed/],
    ['arm32-1g,cpus=1e1', /cpus= takes 1\.\.32, not '1e1'/],
  ])('layout --profile %s: exit 2', async (spec, why) => {
    const r = await cli(['layout', '--profile', spec]);
    expect(r.code).toBe(2);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(why);
    expect(r.stdout).toBe('');
  });

  it.each(['arm32-4g', 'arm32-2g', 'arm32-1g,cpus=10', 'arm32-1g,carveout=0'])(
    'layout --profile %s still boots (arm32-4g is LPAE)',
    async (spec) => {
      const r = await cli(['layout', '--profile', spec]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    },
  );

  it('check with an impossible profile refuses before any run', async () => {
    const r = await cli(['check', '--profile', 'arm32-1g,ram=64G']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});

describe('replay files', () => {
  const base = (extra: Record<string, unknown> = {}) => ({
    format: 'ionck-replay/1',
    design: 'cma-direct-remap',
    profile: 'tiny',
    ops: [{ op: 'alloc', client: 0, heap: 'cma', len: 4096, cached: false }],
    expect: 'held',
    ...extra,
  });

  it('a file with a UTF-8 BOM is accepted', async () => {
    const f = join(dir, 'bom.json');
    writeFileSync(f, `\uFEFF${JSON.stringify(base())}`);
    const r = await cli(['replay', f]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it.each([
    ['at the top', '{"__proto__": {"x": 1}, "format": "ionck-replay/1"}'],
    [
      'in an op',
      JSON.stringify(base()).replace('"op":"alloc"', '"__proto__":{"polluted":true},"op":"alloc"'),
    ],
  ])('a "__proto__" key %s is refused with one line', async (_where, text) => {
    const f = join(dir, 'proto.json');
    writeFileSync(f, text);
    const r = await cli(['replay', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`ionck: ${f}: replay has a '__proto__' key\n`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a replay recorded under another model version says so; one without a version replays quietly', async () => {
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify(base({ modelVersion: 'old-0' })));
    const r = await cli(['replay', other, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `recorded under model version old-0; this ionck's model is version ${MODEL_VERSION}`,
    );
    expect(JSON.parse(r.stdout)).toMatchObject({
      modelVersion: MODEL_VERSION,
      recordedModelVersion: 'old-0',
    });
    const none = join(dir, 'none.json');
    writeFileSync(none, JSON.stringify(base()));
    const q = await cli(['replay', none]);
    expect(q).toMatchObject({ code: 0, stderr: '' });
  });

  it('tokens record the model version', () => {
    const r = makeReplay({ design: 'cma-direct', profile: 'tiny', ops: [], expect: 'held' });
    expect(r.modelVersion).toBe(MODEL_VERSION);
  });
});
