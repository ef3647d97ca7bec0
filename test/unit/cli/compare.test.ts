/**
 * `ionck compare` behind the CLI (through main, the one ionck program): argv parsing, one-line errors with exit 2 before anything is
 * written, atomic report files, the verdict matrix and paths printed. Seed 20160901.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CompareCliIo, runCompareCli } from '../../../src/cli/compare.ts';
import { main } from '../../../src/cli/main.ts';

const SEED = 20160901;
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ionck-compare-cli-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function io(cwd: string, env: Record<string, string> = {}) {
  const out = { stdout: '', stderr: '' };
  const x: CompareCliIo = {
    stdout: (t) => {
      out.stdout += t;
    },
    stderr: (t) => {
      out.stderr += t;
    },
    stderrIsTTY: false,
    env,
    cwd,
  };
  return { io: x, out };
}

const small = ['--design', 'legacy-3.18', '--design', 'cma-direct-remap', '--profile', 'arm32-1g'];

describe(`ionck compare CLI (seed ${SEED})`, () => {
  it('writes compare.{md,json,html} atomically and prints the matrix and paths', async () => {
    const cwd = tmp();
    const summary = join(cwd, 'summary.md');
    const { io: x, out } = io(cwd, { GITHUB_STEP_SUMMARY: summary });
    const code = await main(
      ['compare', ...small, '--workload', 'camera', '--ops', '60', '--seed', `${SEED}`, '--out', 'r'],
      x,
    );
    expect(code).toBe(0);
    expect(readdirSync(join(cwd, 'r')).sort()).toEqual(['compare.html', 'compare.json', 'compare.md']);
    expect(out.stdout).toMatch(/arm32-1g\n\s+design\s+type-ok\s+no-conflicting-alias/);
    expect(out.stdout).toContain('wrote r/compare.md');
    expect(out.stderr).toContain(`seed ${SEED}`);
    expect(out.stderr).toMatch(/\[2\/2\] cma-direct-remap · arm32-1g · camera/);
    expect(JSON.parse(readFileSync(join(cwd, 'r', 'compare.json'), 'utf8')).schema).toBe('ionck-compare/1');
    expect(readFileSync(summary, 'utf8')).toContain('| design | type-ok |');
  });

  it('--fail-on-violation exits 1 on a violation; --json prints the report on stdout', async () => {
    const cwd = tmp();
    const { io: x, out } = io(cwd);
    const code = await main(
      [
        'compare',
        ...small,
        '--workload',
        'camera',
        '--ops',
        '40',
        '--out',
        cwd,
        '--fail-on-violation',
        '--json',
      ],
      x,
    );
    expect(code).toBe(1);
    expect(JSON.parse(out.stdout).params.opsPerWorkload).toBe(40);
    expect(out.stderr).toContain('wrote ');
  });

  it('accepts parsed options too', async () => {
    const cwd = tmp();
    const { io: x } = io(cwd);
    const code = await runCompareCli(
      {
        designs: ['cma-direct-remap'],
        profiles: ['arm32-1g-cma512'],
        workloads: ['display'],
        ops: 30,
        out: 'o',
      },
      x,
    );
    expect(code).toBe(0);
    expect(existsSync(join(cwd, 'o', 'compare.html'))).toBe(true);
  });

  it.each([
    [['--design', 'nope'], /^ionck compare: unknown design 'nope' \(known: /],
    [['--profile', 'arm32-9g'], /^ionck compare: unknown profile 'arm32-9g'/],
    [['--workload', 'nope'], /^ionck compare: unknown workload 'nope'/],
    [['--ops', 'abc'], /^ionck compare: .*--ops must be an integer/],
    [['--ops', '0'], /--ops must be an integer in 1\.\./],
    [['--frobnicate'], /^ionck compare: unknown option '--frobnicate'/],
    [['--design', './missing-design.ts'], /^ionck compare: design file \.\/missing-design\.ts not found/],
    [['--design', 'cma-direct', '--design', 'cma-direct'], /given twice/],
  ])('bad input %j: exit 2, one line, nothing written', async (argv, msg) => {
    const cwd = tmp();
    const { io: x, out } = io(cwd);
    expect(await main(['compare', ...argv, '--out', 'never'], x)).toBe(2);
    expect(out.stderr).toMatch(msg);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(cwd, 'never'))).toBe(false);
  });

  it('an --out that is a file is bad input, and an existing report is left alone', async () => {
    const cwd = tmp();
    writeFileSync(join(cwd, 'file'), 'x');
    const { io: x, out } = io(cwd);
    expect(await main(['compare', '--out', 'file'], x)).toBe(2);
    expect(out.stderr).toMatch(/--out .*file exists and is not a directory/);
    expect(readFileSync(join(cwd, 'file'), 'utf8')).toBe('x');
  });

  it('--help prints the options and exits 0', async () => {
    const { io: x, out } = io(tmp());
    expect(await main(['compare', '--help'], x)).toBe(0);
    for (const o of [
      '--design',
      '--profile',
      '--workload',
      '--ops',
      '--seed',
      '--out',
      '--fail-on-violation',
      '--json',
    ])
      expect(out.stdout).toContain(o);
  });
});
