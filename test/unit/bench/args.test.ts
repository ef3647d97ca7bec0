/** `npm run bench`'s flags: what it runs, and a bad flag said before any work. */
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../../bench/args.ts';

describe('bench arguments', () => {
  it('runs every section by default, the chosen ones with --only, and takes --json FILE', () => {
    expect([...parseArgs([]).only]).toEqual([1, 2, 3, 4, 5]);
    expect(parseArgs([]).jsonFile).toBeUndefined();
    const a = parseArgs(['--only', '2, 5', '--json', 'out.json']);
    expect([...a.only]).toEqual([2, 5]);
    expect(a.jsonFile).toBe('out.json');
    expect(a.workersRuns).toBe(2000);
    expect(parseArgs(['--workers-runs', '8000']).workersRuns).toBe(8000);
  });
  it('refuses unknown flags, missing values and sections that do not exist', () => {
    expect(() => parseArgs(['--frob'])).toThrow('unknown argument --frob');
    expect(() => parseArgs(['--json'])).toThrow('--json needs a value');
    expect(() => parseArgs(['--only', '--json', 'x'])).toThrow('--only needs a value');
    expect(() => parseArgs(['--only', '6'])).toThrow('section numbers 1 to 5');
    expect(() => parseArgs(['--only', '2,x'])).toThrow('section numbers 1 to 5');
    for (const bad of ['0', '-5', '1.5', '2e3', 'many', '1000001'])
      expect(() => parseArgs(['--workers-runs', bad])).toThrow('--workers-runs takes a whole number');
    expect(() => parseArgs(['--workers-runs'])).toThrow('--workers-runs needs a value');
  });
});
