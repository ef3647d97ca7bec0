/**
 * Command-line value parsing: one rule for repeatable flags (the same value twice is one line and
 * exit 2, in every subcommand), strict numbers.
 */
import { describe, expect, it } from 'vitest';
import { collect, intArg } from '../../../src/cli/args.ts';
import { cli } from '../../helpers/cli.ts';

describe('repeatable flags', () => {
  it('collect keeps every value in order and refuses one given twice', () => {
    expect(collect('b', collect('a', []))).toEqual(['a', 'b']);
    expect(() => collect('a', ['a', 'b'])).toThrow("'a' is given twice");
  });

  it.each([
    ['check', ['check', '--profile', 'tiny', '--design', 'cma-direct', '--design', 'cma-direct']],
    ['check', ['check', '--invariant', 'zeroed-on-alloc', '--invariant', 'zeroed-on-alloc']],
    ['explore', ['explore', '--depth', '1', '--design', 'cma-direct', '--design', 'cma-direct']],
    ['compare', ['compare', '--workload', 'camera', '--workload', 'camera']],
    ['zoo', ['zoo', '--entry', 'B3', '--entry', 'B3']],
  ])('%s: a value given twice is one line naming it, exit 2, before any work', async (_, argv) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^ionck[^\n]*'(cma-direct|zeroed-on-alloc|camera|B3)' is given twice\n$/);
  });
});

describe('numbers', () => {
  it('intArg takes digits within its bounds only', () => {
    const runs = intArg('runs', 1, 100);
    expect(runs('42')).toBe(42);
    for (const bad of ['0', '101', '1e1', '4.5', ' ', '0x10', '-3']) expect(() => runs(bad), bad).toThrow();
  });
});
