/**
 * Issue 16: `--version`, `help <command>`, bin/ionck before `npm install`, and `ionck merge`
 * joining `check --shard i/n --json` jobs into exactly the one-job result.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODEL_VERSION, TOOL_VERSION } from '../../src/version.ts';
import { cli, ROOT, withoutTimes } from '../helpers/cli.ts';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ionck-meta-'));
});

describe('version and help', () => {
  it('ionck --version prints the tool and model versions (exit 0)', async () => {
    const r = await cli(['--version']);
    expect(r).toEqual({ code: 0, stdout: `${TOOL_VERSION} (model ${MODEL_VERSION})\n`, stderr: '' });
  });

  it.each(['check', 'replay', 'merge', 'layout', 'list', 'compare', 'explore', 'probe', 'zoo'])(
    'ionck help %s prints that command’s usage (exit 0)',
    async (cmd) => {
      const r = await cli(['help', cmd]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: ionck ${cmd}`);
    },
  );

  it('ionck help bogus: exit 2, one line', async () => {
    const r = await cli(['help', 'bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "ionck: help: unknown command 'bogus' (commands: check, compare, replay, explore, merge, layout, list, probe, zoo, help)\n",
    );
  });
});

describe('bin/ionck before npm install', () => {
  it('a checkout without node_modules: one line naming npm install, exit 2 (not a stack trace, not 1)', () => {
    const clone = join(dir, 'clone');
    mkdirSync(join(clone, 'src', 'cli'), { recursive: true });
    cpSync(join(ROOT, 'bin'), join(clone, 'bin'), { recursive: true });
    writeFileSync(join(clone, 'src', 'cli', 'main.ts'), '');
    const r = spawnSync(join(clone, 'bin', 'ionck'), ['list', 'designs'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`ionck: dependencies are not installed: run 'npm install' in ${clone} first\n`);
  });

  it('a package without dist/: one line, exit 2', () => {
    const pkg = join(dir, 'pkg');
    cpSync(join(ROOT, 'bin'), join(pkg, 'bin'), { recursive: true });
    const r = spawnSync(join(pkg, 'bin', 'ionck'), ['--version'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /^ionck: .*dist\/cli\/main\.js is missing: this copy of ionck was not built \(npm run build\)\n$/,
    );
  });
});

describe('ionck merge', () => {
  const check = ['check', '--profile', 'tiny', '--runs', '8', '--max-ops', '25', '--seed', '3', '--json'];

  it('the shards of a 3-way matrix merge into exactly the one-job JSON and exit code', async () => {
    const whole = await cli(check);
    // a result worth merging: legacy-3.18 violates, the others do not
    expect(whole.code).toBe(1);
    expect(JSON.parse(whole.stdout).results[0]).toMatchObject({ design: 'legacy-3.18', status: 'violated' });
    const files: string[] = [];
    for (const i of [2, 1, 3]) {
      const s = await cli([...check, '--shard', `${i}/3`]);
      expect(s.stderr).toContain(`shard ${i}/3`);
      const f = join(dir, `shard-${i}.json`);
      writeFileSync(f, s.stdout);
      files.push(f);
    }
    const m = await cli(['merge', ...files, '--out', join(dir, 'merged.json')]);
    expect(m.stderr).toBe('');
    expect(m.code).toBe(whole.code);
    expect(withoutTimes(m.stdout)).toEqual(withoutTimes(whole.stdout));
    // findings and their shortest counterexamples are all there
    expect(JSON.parse(m.stdout).results.flatMap((d: { violations: unknown[] }) => d.violations).length).toBe(
      JSON.parse(whole.stdout).results.flatMap((d: { violations: unknown[] }) => d.violations).length,
    );
  });

  it('a missing shard, a repeated shard or shards of another seed: exit 2 with one line', async () => {
    const one = await cli([...check, '--shard', '1/2']);
    const other = await cli([...check, '--seed', '4', '--shard', '2/2']);
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    writeFileSync(a, one.stdout);
    writeFileSync(b, other.stdout);
    expect(await cli(['merge', a])).toMatchObject({
      code: 2,
      stderr: 'ionck: merge: shard 2 of 2 is missing\n',
    });
    expect(await cli(['merge', a, a])).toMatchObject({
      code: 2,
      stderr: 'ionck: merge: shard 1/2 is given twice\n',
    });
    const mixed = await cli(['merge', a, b]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/was checked with other versions, seed, profile or parameters/);
  });
});

describe('GitHub annotations and reproduce lines', () => {
  it('under GitHub Actions each violation is an error annotation carrying the command that replays it', async () => {
    const r = await cli(
      ['check', '--design', 'legacy-3.18', '--profile', 'tiny', '--runs', '8', '--max-ops', '25'],
      {
        env: { GITHUB_ACTIONS: 'true' },
      },
    );
    expect(r.code).toBe(1);
    const notes = r.stdout.split('\n').filter((l) => l.startsWith('::error '));
    expect(notes.length).toBeGreaterThan(0);
    for (const n of notes)
      expect(n).toMatch(
        /^::error title=ionck: legacy-3\.18 violates [a-z-]+::.+%0Areplay: \.\/bin\/ionck replay ionck1:\S+$/,
      );
    const token = /replay (ionck1:\S+)$/.exec(notes[0]!)![1]!;
    expect((await cli(['replay', token])).code).toBe(1);
  });

  it("a plugin design's reproduce line names its file", async () => {
    const plugin = './test/fixtures/designs/throws-on-large-alloc.ts';
    const r = await cli(['check', '--design', plugin, '--runs', '30', '--max-ops', '30']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /\.\/bin\/ionck replay --design \.\/test\/fixtures\/designs\/throws-on-large-alloc\.ts ionck1:/,
    );
  });
});
