/**
 * Issue 16, plugins: a design file in an ordinary folder (no package.json at all) loads whether it
 * imports `ionck` or a relative path; a load failure names file, line and column; a design that
 * throws, loops, exits or returns garbage is that design's failure while the others' results stay.
 * Every case runs the real entry point (bin/ionck) from a temporary folder outside the repository.
 */
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, spawnCli } from '../helpers/cli.ts';

let dir = '';
const FAST = ['--runs', '3', '--max-ops', '20'];

const MY_DESIGN = (
  from: string,
) => `import { defineDesign, standardHeaps, CmaDirectHeap, REMAP_LINEAR, HEAP_ID } from '${from}';
export default defineDesign({
  id: 'my-design', summary: 'mine', citations: [], dmaLayer: '4.1',
  heaps: (ctx) => [...standardHeaps(ctx, REMAP_LINEAR), new CmaDirectHeap(HEAP_ID.cma, { linear: REMAP_LINEAR })],
});
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ionck-plugins-'));
  for (const f of readdirSync(join(ROOT, 'test/fixtures/plugins')))
    copyFileSync(join(ROOT, 'test/fixtures/plugins', f), join(dir, f));
  writeFileSync(join(dir, 'my.ts'), MY_DESIGN('ionck'));
  writeFileSync(join(dir, 'my.mts'), MY_DESIGN('ionck').replace("'my-design'", "'my-design-mts'"));
  const rel = relative(dir, join(ROOT, 'src/index.ts'));
  writeFileSync(join(dir, 'rel.ts'), MY_DESIGN(rel).replace("'my-design'", "'my-design-rel'"));
  writeFileSync(join(dir, 'plain.js'), MY_DESIGN('ionck').replace("'my-design'", "'my-design-js'"));
  writeFileSync(join(dir, 'syntax.ts'), "import { defineDesign } from 'ionck';\n\nconst x = ;\n");
  writeFileSync(join(dir, 'exit-at-load.ts'), "import 'ionck';\n\nprocess.exit(0);\n");
  writeFileSync(
    join(dir, 'throw-at-load.ts'),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the plugin's own template string
    "const why: string = 'boom';\nthrow new Error(`${why} at load`);\n",
  );
});

const json = (stdout: string) => JSON.parse(stdout);

/** `compare` of a plugin beside cma-direct-remap: tiny, camera, 50 ops, JSON, --fail-on-violation. */
const compareArgs = (plugin: string, out: string) => [
  'compare',
  ...['--design', plugin, '--design', 'cma-direct-remap', '--profile', 'tiny', '--workload', 'camera'],
  ...['--ops', '50', '--out', out, '--fail-on-violation', '--json'],
];

describe('plugins load anywhere', () => {
  it.each([
    ['my.ts', 'my-design'],
    ['my.mts', 'my-design-mts'],
    ['rel.ts', 'my-design-rel'],
    ['plain.js', 'my-design-js'],
  ])('%s in a folder without package.json is checked (exit 0 or 1, its id in the result)', (file, id) => {
    const r = spawnCli(['check', '--design', `./${file}`, ...FAST, '--json'], {}, { cwd: dir });
    expect(r.stderr).not.toContain('Cannot');
    expect([0, 1]).toContain(r.code);
    const out = json(r.stdout);
    expect(out.results.map((d: { design: string }) => d.design)).toEqual([id]);
    expect(out.results[0].source).toBe(`./${file}`);
  });

  it('a syntax error names the file, line and column, on one line (exit 2)', () => {
    const r = spawnCli(['check', '--design', './syntax.ts', ...FAST], {}, { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('ionck: design file ./syntax.ts:3:11: Unexpected ";"\n');
  });

  it('a throw at load names the file, line and column of the throw (exit 2)', () => {
    const r = spawnCli(['check', '--design', './throw-at-load.ts', ...FAST], {}, { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('ionck: design file ./throw-at-load.ts:2:7: failed to load: boom at load\n');
  });

  it('process.exit at load is a load failure naming the file and line (exit 2, not 0)', () => {
    const r = spawnCli(['check', '--design', './exit-at-load.ts', ...FAST], {}, { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^ionck: design file \.\/exit-at-load\.ts:3:\d+: called process\.exit\(0\) while loading\n$/,
    );
  });
});

describe('failures stay contained', () => {
  it.each([
    ['check', 'loops-at-load.ts'],
    ['check', 'loops-at-boot.ts'],
    ['explore', 'loops-at-load.ts'],
  ])(
    '%s: a plugin that loops while loading or booting (%s) is one line and exit 2, not a hang',
    (cmd, file) => {
      const t0 = performance.now();
      const r = spawnCli([cmd, '--design', `./${file}`, '--time-limit', '2'], {}, { cwd: dir });
      expect(performance.now() - t0).toBeLessThan(30_000);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(
          `^ionck: (explore: )?design file \\./${file.replace('.', '\\.')} did not load and boot: did not finish within its time budget \\(2\\.0 s allowed to load and boot\\): killed\n$`,
        ),
      );
    },
  );

  it.each([
    ['alloc-throws.ts', 'plugin-alloc-throws', /Error: alloc is broken/],
    ['bad-pages.ts', 'plugin-bad-pages', /HeapContractError: heap 'cma' allocate gave page -1, outside RAM/],
    [
      'bad-errno.ts',
      'plugin-bad-errno',
      /HeapContractError: heap 'cma' allocate returned NaN: not 0 or a negative errno/,
    ],
    ['exits.ts', 'plugin-exits', /its process exited \(code 0\) before it finished/],
  ])('check: %s fails alone; cma-direct is still checked and printed; exit 1', (file, id, why) => {
    const r = spawnCli(
      ['check', '--design', `./${file}`, '--design', 'cma-direct', ...FAST, '--json'],
      {},
      { cwd: dir },
    );
    expect(r.code).toBe(1);
    const out = json(r.stdout);
    const [plugin, other] = out.results;
    expect(plugin).toMatchObject({ design: id, status: 'failed' });
    expect(plugin.failure).toMatch(why);
    expect(other.design).toBe('cma-direct');
    expect(other.status).not.toBe('failed');
    expect(other.runs).toBe(3);
  });

  it('check: a looping plugin is killed after its share of --time-limit; the other design keeps its result', () => {
    const t0 = performance.now();
    const r = spawnCli(
      ['check', '--design', './loops.ts', '--design', 'cma-direct-remap', ...FAST, '--time-limit', '4'],
      {},
      { cwd: dir },
    );
    // 2 s share + 5 s grace, plus process start-up: far less than "forever"
    expect(performance.now() - t0).toBeLessThan(40_000);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/plugin-loops +FAILED/);
    expect(r.stdout).toContain('did not finish within its time budget (2.0 s of --time-limit): killed');
    expect(r.stdout).toMatch(/cma-direct-remap +(held|unproven) +3 /);
  });
});

describe('compare with a failing plugin', () => {
  it('a plugin whose alloc throws is ❔ in every column, status model-exception; --fail-on-violation exits 1', () => {
    const out = join(dir, 'compare-out');
    const r = spawnCli(compareArgs('./alloc-throws.ts', out), {}, { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('design plugin-alloc-throws failed');
    const rep = json(r.stdout);
    const run = rep.runs.find((x: { design: string }) => x.design === 'plugin-alloc-throws');
    expect(run.status).toBe('model-exception');
    // the reproduce line passes the plugin by its file
    expect(rep.command).toMatch(/^ionck compare --design \.\/alloc-throws\.ts --design cma-direct-remap /);
    expect(rep.designStatus).toEqual({ 'plugin-alloc-throws': 'failed', 'cma-direct-remap': 'held' });
    expect(run.error.message).toContain('alloc is broken');
    const row = rep.matrix.find((x: { design: string }) => x.design === 'plugin-alloc-throws');
    expect(Object.values(row.cells).map((c) => (c as { status: string }).status)).toEqual(
      Array(8).fill('unchecked'),
    );
    expect(
      rep.findings.some(
        (f: { kind: string; text: string }) => f.kind === 'held-everything' && f.text.includes('plugin'),
      ),
    ).toBe(false);
  });
});

describe('compare and replay with a plugin that loops or exits', () => {
  it.each([
    [
      './loops.ts',
      ['--time-limit', '4'],
      /did not finish within its time budget \(2\.0 s of --time-limit\): killed/,
    ],
    ['./exits.ts', [], /its process exited \(code 0\) before it finished/],
  ])(
    "compare: %s is that design's failure (❔, exit 1); the other design is run and written",
    (plugin, extra, why) => {
      const out = join(dir, `compare-${plugin.slice(2, -3)}`);
      const t0 = performance.now();
      const r = spawnCli([...compareArgs(plugin, out), ...extra], {}, { cwd: dir });
      expect(performance.now() - t0).toBeLessThan(60_000);
      expect(r.code).toBe(1);
      const rep = json(r.stdout);
      const id = plugin === './loops.ts' ? 'plugin-loops' : 'plugin-exits';
      expect(rep.designStatus).toEqual({ [id]: 'failed', 'cma-direct-remap': 'held' });
      const run = rep.runs.find((x: { design: string }) => x.design === id);
      expect(run.status).toBe('model-exception');
      expect(run.error.message).toContain(`design file ${plugin}: `);
      expect(run.error.message).toMatch(why);
      const other = rep.runs.find((x: { design: string }) => x.design === 'cma-direct-remap');
      expect(other.opsRun).toBe(50);
      expect(readdirSync(out).sort()).toEqual(['compare.html', 'compare.json', 'compare.md']);
    },
  );

  const token = join(ROOT, 'test/regressions/cma-direct--no-conflicting-alias--cma-lowmem.json');
  it.each([
    [
      './loops.ts',
      ['--time-limit', '2'],
      'did not finish within its time budget (2.0 s of --time-limit): killed',
    ],
    ['./exits.ts', [], 'its process exited (code 0) before it finished'],
  ])('replay --design %s: one line naming the file, exit 2, nothing on stdout', (plugin, extra, why) => {
    const r = spawnCli(['replay', '--design', plugin, token, ...extra], {}, { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`ionck: design file ${plugin}: ${why}\n`);
  });

  it('replay --design of a plugin that holds runs in its child: held, exit 0, its trace and source in the JSON', () => {
    const viaPlugin = spawnCli(['replay', '--design', './rel.ts', token, '--json'], {}, { cwd: dir });
    expect(viaPlugin.code).toBe(0);
    const rep = json(viaPlugin.stdout);
    expect(rep.design).toBe('my-design-rel');
    expect(rep.source).toBe('./rel.ts');
    expect(rep.status).toBe('held');
    expect(rep.steps.length).toBeGreaterThan(0);
  });
});

describe('explore with a failing plugin', () => {
  it('a looping plugin is killed after --time-limit; cma-direct is still searched and printed; exit 1', () => {
    const r = spawnCli(
      ['explore', '--design', './loops.ts', '--design', 'cma-direct', '--depth', '1', '--time-limit', '2'],
      {},
      { cwd: dir },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'plugin-loops on tiny: FAILED (did not finish within its time budget (2.0 s of --time-limit): killed)',
    );
    expect(r.stdout).toMatch(/^cma-direct on tiny, depth 1 /m);
  });

  it('a plugin that throws is its failure (exit 1, not a model bug), with the JSON status of each design', () => {
    const r = spawnCli(
      ['explore', '--design', './alloc-throws.ts', '--design', 'cma-direct', '--depth', '1', '--json'],
      {},
      { cwd: dir },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("design 'plugin-alloc-throws' failed: it threw after");
    expect(r.stderr).not.toContain('model bug');
    const out = json(r.stdout);
    expect(out).toMatchObject({ tool: 'ionck', command: 'explore', seed: null, parameters: { depth: 1 } });
    expect(out.results.map((x: { design: string; status: string }) => [x.design, x.status])).toEqual([
      ['plugin-alloc-throws', 'failed'],
      ['cma-direct', 'violated'],
    ]);
  });
});
