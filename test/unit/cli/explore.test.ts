import { describe, expect, it } from 'vitest';
import { runExploreCli } from '../../../src/cli/explore.ts';
import { main } from '../../../src/cli/main.ts';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      stdout: (s: string) => void out.push(s),
      stderr: (s: string) => void err.push(s),
      stderrIsTTY: false,
      env: {},
      cwd: process.cwd(),
    },
  };
}

describe('ionck explore', () => {
  it('exits 1 with the shortest counterexample, as text', async () => {
    const c = io();
    const code = await main(
      ['explore', '--design', 'legacy-3.18', '--depth', '1', '--invariant', 'vmalloc-bounded'],
      c.io,
    );
    expect(code).toBe(1);
    const text = c.out.join('');
    expect(text).toMatch(/legacy-3\.18 on tiny, depth 1/);
    expect(text).toMatch(/vmalloc-bounded\s+VIOLATED at depth 1: alloc\(c1 cma 16 KiB\)/);
    expect(text).toContain('"op":"alloc","client":1,"heap":"cma","len":16384');
    expect(c.err.join('')).toBe('');
  });

  it('exits 0 when nothing is violated, and prints JSON', async () => {
    const c = io();
    const code = await runExploreCli(
      {
        designs: ['cma-direct-remap'],
        depth: 2,
        invariants: ['no-conflicting-alias', 'vmalloc-bounded'],
        json: true,
      },
      c.io,
    );
    expect(code).toBe(0);
    const j = JSON.parse(c.out.join(''));
    expect(j).toMatchObject({ profile: 'tiny', depth: 2 });
    expect(j.results).toHaveLength(1);
    expect(j.results[0]).toMatchObject({ design: 'cma-direct-remap', status: 'held', depthCompleted: 2 });
    expect(j.results[0].invariants).toEqual([
      { invariant: 'no-conflicting-alias', status: 'none', withinDepth: 2 },
      { invariant: 'vmalloc-bounded', status: 'none', withinDepth: 2 },
    ]);
    expect(j.results[0].distinctStates).toBeGreaterThan(1);
  });

  it('runs through the ionck command and reports JSON counterexamples', async () => {
    const c = io();
    const code = await main(['explore', '--design', 'legacy-3.18', '--depth', '1', '--json'], c.io);
    expect(code).toBe(1);
    const j = JSON.parse(c.out.join(''));
    const vb = j.results[0].invariants.find((i: { invariant: string }) => i.invariant === 'vmalloc-bounded');
    expect(vb).toMatchObject({
      status: 'violated',
      depth: 1,
      ops: [{ op: 'alloc', client: 1, heap: 'cma', len: 16384 }],
    });
  });

  it.each([
    [['--depth', '99'], /depth must be an integer in 0\.\.12/],
    [['--depth', 'x'], /depth/],
    [['--invariant', 'nope'], /unknown invariant 'nope'/],
    [['--design', 'nope'], /unknown design 'nope'/],
    [['--design', './missing-design.ts'], /design file \.\/missing-design\.ts not found/],
    [['--profile', 'tiny,cma=zz'], /not a size/],
    [['--profile', 'moon'], /unknown profile 'moon'/],
    [['--bogus'], /unknown option '--bogus'/],
    [['--workers', '0'], /workers/],
    [['--workers', 'two'], /workers/],
    [['--workers', '65'], /workers must be an integer in 1\.\.64/],
    [['extra'], /too many arguments|excess|unexpected/i],
  ])('bad input %j exits 2 with one line', async (argv, re) => {
    const c = io();
    const code = await main(['explore', ...argv], c.io);
    expect(code).toBe(2);
    const err = c.err.join('');
    expect(err).toMatch(/^ionck: /);
    expect(err).toMatch(re);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(c.out.join('')).toBe('');
  });

  it('says states/s, distinct/s and how states were told apart', async () => {
    const c = io();
    expect(await main(['explore', '--design', 'cma-direct-remap', '--depth', '1'], c.io)).toBe(0);
    expect(c.out.join('')).toMatch(
      /\d+ states explored, \d+ distinct, .* \([\d,]+ states\/s, [\d,]+ distinct\/s; 64-bit fingerprints, 2 client renamings per state\)/,
    );
    const e = io();
    const argv = [
      'explore',
      '--design',
      'cma-direct-remap',
      '--depth',
      '1',
      '--exact',
      '--no-symmetry',
      '--json',
    ];
    expect(await main(argv, e.io)).toBe(0);
    const j = JSON.parse(e.out.join(''));
    expect(j.parameters).toMatchObject({ exact: true, symmetry: false });
    expect(j.results[0]).toMatchObject({ keys: 'sha256', symmetries: 0, workers: 1 });
    expect(j.results[0].statesPerSec.distinct).toBeGreaterThan(0);
  });

  it('--workers 2 gives the inline result', async () => {
    const run = async (workers: string) => {
      const c = io();
      const code = await main(
        ['explore', '--design', 'legacy-3.18', '--depth', '2', '--workers', workers, '--json'],
        c.io,
      );
      const r = JSON.parse(c.out.join('')).results[0];
      const strip = (x: Record<string, unknown>) => {
        const { elapsedMs, statesPerSec, timingMs, workers: w, ...rest } = x;
        return rest;
      };
      return {
        code,
        workers: r.workers,
        result: { ...strip(r), invariants: r.invariants.map((i: Record<string, unknown>) => strip(i)) },
      };
    };
    const one = await run('1');
    const two = await run('2');
    expect(two.workers).toBe(2);
    expect(two.code).toBe(one.code);
    expect(two.result).toEqual(one.result);
    expect(one.result.invariants.some((i: { status: string }) => i.status === 'violated')).toBe(true);
  });

  it('prints help and exits 0', async () => {
    const c = io();
    expect(await main(['explore', '--help'], c.io)).toBe(0);
    expect(c.out.join('')).toMatch(/--depth/);
  });
});
