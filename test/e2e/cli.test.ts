/**
 * The ionck CLI end to end (in-process through main(), plus a few spawns of ./bin/ionck): check's
 * default run, determinism, outputs (--json, --out, --junit, GitHub summary, --stats), replay,
 * layout and list.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeToken, makeReplay, parseReplay } from '../../src/properties/replay.ts';
import { cli, spawnCli, withoutTimes } from '../helpers/cli.ts';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ionck-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const VMALLOC_TOKEN = encodeToken(
  makeReplay({
    design: 'legacy-3.18',
    profile: 'arm32-1g',
    invariant: 'vmalloc-bounded',
    ops: [
      { op: 'alloc', client: 0, heap: 'cma', len: 4096 },
      { op: 'kmap', client: 0, handle: 0 },
      { op: 'free', client: 0, handle: 0 },
    ],
    expect: 'violated',
  }),
);

describe('ionck check', () => {
  it('default run: all six built-ins on arm32-1g, seed 1, the expected verdicts', async () => {
    const r = await cli(['check', '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('seed 1');
    const json = JSON.parse(r.stdout);
    // issue 16: versions, seed, profile and parameters at the top, then the designs
    expect(Object.keys(json)).toEqual([
      'tool',
      'toolVersion',
      'modelVersion',
      'command',
      'seed',
      'profile',
      'parameters',
      'exitCode',
      'results',
      'timing',
    ]);
    expect(json).toMatchObject({
      tool: 'ionck',
      command: 'check',
      seed: 1,
      profile: 'arm32-1g',
      exitCode: 1,
    });
    expect(json.toolVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(json.parameters).toMatchObject({ runs: 150, maxOps: 100, shard: null, requireGoals: false });
    const by = Object.fromEntries(json.results.map((x: { design: string }) => [x.design, x]));
    expect(Object.keys(by)).toEqual([
      'legacy-3.18',
      'no-kernel-mapping',
      'cma-direct',
      'cma-direct-remap',
      'ion-4.12',
      'dmabuf-heap-cma',
    ]);
    for (const d of json.results) {
      expect(Object.keys(d)).toEqual([
        'design',
        'profile',
        'status',
        'runs',
        'opsExecuted',
        'elapsedMs',
        'violations',
        'goals',
      ]);
      expect(d.profile).toBe('arm32-1g');
      for (const v of d.violations)
        expect(Object.keys(v)).toEqual(['invariant', 'step', 'message', 'ops', 'callPath', 'replay']);
    }
    const vb = by['legacy-3.18'].violations.find(
      (v: { invariant: string }) => v.invariant === 'vmalloc-bounded',
    );
    expect(vb.ops).toEqual([{ op: 'alloc', client: 0, heap: 'cma', len: 4096 }]);
    expect(by['cma-direct-remap'].status).toBe('held');
    expect(by['cma-direct-remap'].violations).toEqual([]);
    expect(by['cma-direct'].status).toBe('violated');
    expect(by['ion-4.12'].status).toBe('violated');
    expect(by['dmabuf-heap-cma'].status).toBe('held');
  });

  it('the same --seed twice gives identical JSON but elapsedMs', async () => {
    const argv = ['check', '--json', '--seed', '7', '--runs', '25', '--max-ops', '40', '--profile', 'tiny'];
    const a = await cli(argv);
    const b = await cli(argv);
    expect(a.code).toBe(b.code);
    expect(withoutTimes(a.stdout)).toEqual(withoutTimes(b.stdout));
    const c = await cli([...argv.slice(0, 3), '8', ...argv.slice(4)]);
    expect(withoutTimes(c.stdout)).not.toEqual(withoutTimes(a.stdout));
  });

  it('human output: verdict table, trace with call paths, mappings, an issue block with the replay command', async () => {
    const r = await cli(['check', '--design', 'legacy-3.18', '--runs', '20', '--max-ops', '30', '--stats']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/design\s+verdict\s+runs\s+ops/);
    expect(r.stdout).toMatch(/legacy-3\.18\s+VIOLATED/);
    expect(r.stdout).toContain('legacy-3.18 violates vmalloc-bounded after 1 op');
    expect(r.stdout).toContain('#0  {"op":"alloc","client":0,"heap":"cma","len":4096}  -> ok 0');
    expect(r.stdout).toContain('ionAlloc > ionBufferCreate > ionCmaAllocate > dmaAllocAttrs');
    expect(r.stdout).toContain('mappings of pfn');
    expect(r.stdout).toContain('````markdown');
    expect(r.stdout).toMatch(/\.\/bin\/ionck replay ionck1:[A-Za-z0-9_-]+\n/);
    expect(r.stdout).toContain('action coverage');
    expect(r.stdout).toMatch(/goals:/);
  });

  it('--out, --junit and the GitHub step summary, written atomically', async () => {
    const out = join(dir, 'report');
    const junit = join(dir, 'junit', 'check.xml');
    const summary = join(dir, 'summary.md');
    writeFileSync(summary, '# before\n');
    const argv = [
      'check',
      '--design',
      'legacy-3.18',
      '--design',
      'cma-direct-remap',
      '--runs',
      '15',
      '--max-ops',
      '30',
    ];
    const r = await cli([...argv, '--out', out, '--junit', junit, '--json'], {
      env: { GITHUB_STEP_SUMMARY: summary },
    });
    expect(r.code).toBe(1);
    expect(readdirSync(out).sort()).toEqual(['check.json', 'check.md', 'replays']);
    expect(withoutTimes(readFileSync(join(out, 'check.json'), 'utf8'))).toEqual(withoutTimes(r.stdout));
    const replays = readdirSync(join(out, 'replays'));
    expect(replays).toContain('legacy-3.18--vmalloc-bounded.json');
    for (const f of replays) {
      const rep = parseReplay(readFileSync(join(out, 'replays', f), 'utf8'));
      expect(rep.expect).toBe('violated');
      const again = await cli(['replay', join(out, 'replays', f)]);
      expect(again.code, f).toBe(1);
    }
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/^<\?xml/);
    expect(xml).toContain('<testcase classname="ionck.legacy-3.18" name="vmalloc-bounded"><failure');
    expect(xml).toContain('<testsuite name="cma-direct-remap on arm32-1g"');
    const md = readFileSync(summary, 'utf8');
    expect(md.startsWith('# before\n## ionck check: arm32-1g, seed 1')).toBe(true);
    expect(md).toContain('| `legacy-3.18` | ❌ violated |');
    expect(md).toContain('./bin/ionck replay ionck1:');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('unproven when a goal is missed: exit 0, or 1 with --require-goals', async () => {
    const argv = ['check', '--design', 'cma-direct-remap', '--runs', '2', '--max-ops', '3', '--json'];
    const a = await cli(argv);
    expect(a.code).toBe(0);
    expect(JSON.parse(a.stdout).results[0].status).toBe('unproven');
    const b = await cli([...argv, '--require-goals']);
    expect(b.code).toBe(1);
  });

  it('plugin designs load from a file', async () => {
    const r = await cli([
      'check',
      '--design',
      './test/fixtures/designs/remap-copy.ts',
      '--profile',
      'tiny',
      '--runs',
      '10',
      '--max-ops',
      '20',
      '--json',
    ]);
    expect(r.stderr).not.toContain('ionck: design');
    const d = JSON.parse(r.stdout).results[0];
    expect(d.design).toBe('fixture-remap-copy');
    expect(d.violations).toEqual([]);
  });

  it('--no-stale-tlb: a lazily unmapped alias stops counting (ARCH-4), and the profile says so', async () => {
    const args = [
      'check',
      '--design',
      'cma-direct',
      // kmap_atomic slots cleared (ARCH-8), so only lazily unmapped aliases remain
      '--profile',
      'arm32-1g,debug-highmem=on',
      '--heap',
      'cma',
      '--runs',
      '40',
      '--invariant',
      'no-conflicting-alias',
      '--json',
    ];
    const withStale = JSON.parse((await cli(args)).stdout);
    const without = await cli([...args, '--no-stale-tlb']);
    expect(withStale.results[0].status).toBe('violated');
    expect(without.code).toBe(0);
    const r = JSON.parse(without.stdout).results[0];
    expect(r.profile).toBe('arm32-1g,debug-highmem=on,stale-tlb=off,heaps=cma');
    expect(r.status).not.toBe('violated');
  });

  it('--shard and --workers are accepted', async () => {
    const r = await cli([
      'check',
      '--design',
      'cma-direct-remap',
      '--profile',
      'tiny',
      '--runs',
      '9',
      '--max-ops',
      '5',
      '--shard',
      '2/3',
      '--workers',
      '2',
      '--json',
    ]);
    expect(r.stderr).toContain('shard 2/3');
    // one design: shard 2 of 3 has none of it (shards split the designs)
    expect(JSON.parse(r.stdout).results).toEqual([]);
  });

  it('--workers 2 checks designs (a plugin among them) in worker processes with the same results as one (elapsedMs and timing aside)', async () => {
    const args = [
      'check',
      '--design',
      'legacy-3.18',
      '--design',
      'cma-direct',
      '--design',
      './test/fixtures/designs/remap-copy.ts',
    ];
    const small = ['--profile', 'tiny', '--runs', '30', '--max-ops', '40', '--json'];
    const one = await cli([...args, ...small]);
    const two = await cli([...args, ...small, '--workers', '2']);
    expect(two.code).toBe(one.code);
    expect(withoutTimes(two.stdout)).toEqual(withoutTimes(one.stdout));
    expect(JSON.parse(two.stdout).results.map((r: { design: string }) => r.design)).toEqual([
      'legacy-3.18',
      'cma-direct',
      'fixture-remap-copy',
    ]);
  });
});

describe('ionck replay', () => {
  it('runs every op, reports the violation, exits 1; --json shape', async () => {
    const r = await cli(['replay', VMALLOC_TOKEN, '--json']);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    // issue 16: versions, seed, profile, parameters and the design's status come first
    expect(Object.keys(json)).toEqual([
      'tool',
      'toolVersion',
      'modelVersion',
      'recordedModelVersion',
      'command',
      'seed',
      'profile',
      'parameters',
      'design',
      'status',
      'steps',
      'violations',
    ]);
    expect(json).toMatchObject({ tool: 'ionck', command: 'replay', status: 'violated' });
    expect(json.steps).toHaveLength(3);
    expect(Object.keys(json.steps[0])).toEqual(['op', 'ok', 'errno', 'value', 'callPath']);
    expect(json.steps[0]).toMatchObject({ op: { op: 'alloc' }, ok: true, errno: null, value: 0 });
    expect(json.violations).toEqual([{ invariant: 'vmalloc-bounded', step: 0, message: expect.any(String) }]);
  });

  it('exit 0 when the finding does not reproduce on another design', async () => {
    const r = await cli(['replay', VMALLOC_TOKEN, '--design', 'cma-direct-remap']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('verdict: held');
    const p = await cli([
      'replay',
      VMALLOC_TOKEN,
      '--design',
      './test/fixtures/designs/remap-copy.ts',
      '--json',
    ]);
    expect(p.code).toBe(0);
    expect(JSON.parse(p.stdout).design).toBe('fixture-remap-copy');
  });

  it('--invariant chooses what is checked; human output shows the trace', async () => {
    const r = await cli(['replay', VMALLOC_TOKEN, '--invariant', 'refcounts-balanced']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('checking: refcounts-balanced');
    expect(r.stdout).toContain('#1  {"op":"kmap","client":0,"handle":0}  -> ok 0');
    expect(r.stdout).toContain('(recorded: vmalloc-bounded violated)');
  });

  it('--save writes a replay file that replays to the same verdict', async () => {
    const path = join(dir, 'regressions', 'saved.json');
    const r = await cli(['replay', VMALLOC_TOKEN, '--save', path]);
    expect(r.code).toBe(1);
    const rep = parseReplay(readFileSync(path, 'utf8'));
    expect(rep).toMatchObject({ design: 'legacy-3.18', invariant: 'vmalloc-bounded', expect: 'violated' });
    const again = await cli(['replay', path, '--json']);
    expect(again.code).toBe(1);
    const held = join(dir, 'held.json');
    expect((await cli(['replay', path, '--design', 'cma-direct-remap', '--save', held])).code).toBe(0);
    expect(parseReplay(readFileSync(held, 'utf8'))).toMatchObject({
      design: 'cma-direct-remap',
      expect: 'held',
    });
  });
});

describe('ionck layout and list', () => {
  it('layout --json: arm32-1g numbers', async () => {
    const r = await cli(['layout', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toEqual({
      profile: 'arm32-1g',
      lowmem: { physStart: 0x80000000, physEnd: 0xaf800000, bytes: 760 * 2 ** 20 },
      highmem: { physStart: 0xaf800000, physEnd: 0xc0000000, bytes: 264 * 2 ** 20 },
      vmalloc: { start: 0xf0000000, end: 0xff000000, bytes: 240 * 2 ** 20 },
      cma: [{ base: 0xb0000000, size: 256 * 2 ** 20, zone: 'highmem' }],
      atomicPool: {
        phys: 0xb0000000,
        size: 256 * 1024,
        vaddr: 0xf0000000,
        windowPages: 65,
        area: { start: 0xf0000000, end: 0xf0041000, bytes: 65 * 4096 },
      },
      kernel: '3.18',
      highMemory: 0xef800000,
      cmaFailure: null,
      memblock: [],
    });
  });

  it('layout: human form in hex and MiB', async () => {
    const r = await cli(['layout', '--profile', 'arm32-1g-cma512']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/cma\s+0x[0-9A-F]{8}-0x[0-9A-F]{8}\s+512 MiB\s+default area, lowmem/);
    expect(r.stdout).toMatch(/vmalloc\s+0xF0000000-0xFEFFFFFF\s+240 MiB/);
  });

  it('list designs, profiles, invariants, workloads', async () => {
    const d = await cli(['list', 'designs']);
    expect(d.stdout).toMatch(/legacy-3\.18\s+built-in/);
    expect((await cli(['list', 'profiles'])).stdout).toMatch(/arm32-1g-cma512/);
    const inv = await cli(['list', 'invariants', '--json']);
    expect(JSON.parse(inv.stdout).invariants.map((i: { id: string }) => i.id)).toContain(
      'no-conflicting-alias',
    );
    const w = await cli(['list', 'workloads']);
    expect([0, 2]).toContain(w.code); // workloads are another helper's module
  });

  it('--help exits 0', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: ionck');
    expect((await cli(['check', '--help'])).stdout).toContain('--max-ops');
  });
});

describe('compare and explore', () => {
  it('are subcommands of the one program; a bad flag is one line, exit 2', async () => {
    for (const sub of ['compare', 'explore']) {
      const r = await cli([sub, '--no-such-flag']);
      expect(r.code, sub).toBe(2);
      expect(r.stderr, sub).toMatch(/^ionck[^\n]*\n$/);
    }
  });
});

describe('./bin/ionck', () => {
  it('runs the CLI from the checkout with the documented exit codes', () => {
    const layout = spawnCli(['layout', '--json']);
    expect(layout.code).toBe(0);
    expect(JSON.parse(layout.stdout).profile).toBe('arm32-1g');
    const replay = spawnCli(['replay', VMALLOC_TOKEN]);
    expect(replay.code).toBe(1);
    expect(replay.stdout).toContain('verdict: violated');
    const check = spawnCli([
      'check',
      '--design',
      'cma-direct-remap',
      '--profile',
      'tiny',
      '--runs',
      '3',
      '--max-ops',
      '5',
    ]);
    expect(check.code).toBe(0);
    expect(check.stderr).toContain('seed 1');
    expect(existsSync(join(dir, 'nothing'))).toBe(false);
  });
});

describe('model exceptions', () => {
  it('a design that throws is a finding of its own, shrunk, and its token replays', async () => {
    const plugin = './test/fixtures/designs/throws-on-large-alloc.ts';
    const r = await cli(['check', '--design', plugin, '--runs', '30', '--max-ops', '30', '--json']);
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout).results[0];
    expect(d.runs).toBe(30);
    const v = d.violations.find((x: { invariant: string }) => x.invariant === 'model-exception');
    expect(v.message).toContain('TypeError: cannot allocate');
    expect(v.ops).toHaveLength(1);
    expect(v.ops[0]).toMatchObject({ op: 'alloc', heap: 'cma' });
    expect(v.ops[0].len).toBeGreaterThan(1 << 20);
    const again = await cli(['replay', v.replay, '--design', plugin, '--json']);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout).violations).toEqual([
      { invariant: 'model-exception', step: 0, message: expect.stringContaining('TypeError') },
    ]);
    const human = await cli(['replay', v.replay, '--design', plugin]);
    expect(human.stdout).toContain('-> THREW');
  });
});
