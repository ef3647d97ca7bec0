/**
 * Issue 16 acceptance: in a temporary folder outside the repository, `npm pack`, install the
 * tarball, `npx ionck list designs` and `npx ionck check --design ./my.ts --runs 5` with a plugin
 * written there. The installed binary runs the compiled JavaScript: the package holds no src/ and
 * tsx is not installed at all, yet the .ts plugin loads (importing 'ionck').
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TOOL_VERSION } from '../../src/version.ts';
import { ROOT } from '../helpers/cli.ts';

const run = (cmd: string, args: string[], cwd: string) => {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, GITHUB_STEP_SUMMARY: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

const PLUGIN = `import { CmaDirectHeap, defineDesign, HEAP_ID, REMAP_LINEAR, standardHeaps } from 'ionck';

export default defineDesign({
  id: 'my-design',
  summary: 'cma_alloc directly, linear map flipped for uncached buffers',
  citations: [],
  dmaLayer: '4.1',
  heaps: (ctx) => [...standardHeaps(ctx, REMAP_LINEAR), new CmaDirectHeap(HEAP_ID.cma, { linear: REMAP_LINEAR })],
});
`;

describe('npm pack, install, run', () => {
  it('the installed ionck lists the designs and checks a .ts plugin from compiled JavaScript', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ionck-pack-'));
    const pack = run('npm', ['pack', '--pack-destination', dir], ROOT);
    expect(pack.code, pack.stderr.slice(-2000)).toBe(0);
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    expect(tgz).toBe(`ionck-${TOOL_VERSION}.tgz`);
    writeFileSync(join(dir, 'package.json'), '{ "name": "consumer", "version": "1.0.0", "private": true }\n');
    const install = run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', `./${tgz}`], dir);
    expect(install.code, install.stderr.slice(-2000)).toBe(0);
    const pkg = join(dir, 'node_modules', 'ionck');
    expect(existsSync(join(pkg, 'dist', 'cli', 'main.js'))).toBe(true);
    expect(existsSync(join(pkg, 'src'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules', 'tsx'))).toBe(false);

    const list = run('npx', ['ionck', 'list', 'designs'], dir);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^legacy-3\.18 /m);
    expect(list.stdout).toMatch(/^cma-direct-remap /m);

    writeFileSync(join(dir, 'my.ts'), PLUGIN);
    const check = run('npx', ['ionck', 'check', '--design', './my.ts', '--runs', '5'], dir);
    expect([0, 1], check.stderr).toContain(check.code);
    expect(check.stderr).toContain('5 runs of up to 100 ops per design on arm32-1g');
    expect(check.stdout).toMatch(/^my-design +(held|VIOLATED|unproven) +5 /m);
    expect(check.stdout).toContain('plugin: ./my.ts');

    const version = run('npx', ['ionck', '--version'], dir);
    expect(version.stdout.startsWith(`${TOOL_VERSION} (model `)).toBe(true);
  });
});
