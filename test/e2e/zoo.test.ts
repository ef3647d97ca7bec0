/**
 * `ionck zoo` end to end: the table lists B1..B19 and the mutants, a plugin zoo design is measured
 * on the profile it declares, the JSON is deterministic once elapsedMs fields are dropped, and an
 * entry the budget misses makes the exit code 1.
 */
import { describe, expect, it } from 'vitest';
import { cli, withoutTimes } from '../helpers/cli.ts';

describe('ionck zoo', () => {
  it('measures a planted mutant and a plugin; lists the not-expressible entries with reasons', async () => {
    const r = await cli([
      'zoo',
      '--seeds',
      '2',
      '--entry',
      'm15',
      '--entry',
      'B1',
      '--entry',
      'plugin-kmap-underflow',
      '--design',
      './test/fixtures/designs/zoo-kmap-underflow.ts',
      '--explore-depth',
      '2',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /\| m15-kmap-count-underflow \| mutant \| zoo\/m15-kmap-count-underflow \| tiny \| refcounts-balanced \| yes \(2\/2\) \|/,
    );
    expect(r.stdout).toMatch(
      /\| plugin-kmap-underflow \| plugin \| fixture-zoo-kmap-underflow \| tiny \|.*\| yes \(2\/2\) \|/,
    );
    expect(r.stdout).toMatch(/- B1: .*W\^X/);
  });

  it('--json is the same twice but for elapsedMs; an entry missed within the budget exits 1', async () => {
    const args = ['zoo', '--seeds', '1', '--json', '--explore-depth', '0', '--entry', 'B3'];
    const a = await cli([
      ...args,
      '--design',
      './test/fixtures/designs/zoo-held.ts',
      '--entry',
      'plugin-nothing',
    ]);
    const b = await cli([
      ...args,
      '--design',
      './test/fixtures/designs/zoo-held.ts',
      '--entry',
      'plugin-nothing',
    ]);
    expect(withoutTimes(a.stdout)).toEqual(withoutTimes(b.stdout));
    const j = JSON.parse(a.stdout);
    expect(j.summary.missed).toEqual(['plugin-nothing']);
    expect(a.code).toBe(1);
    const b3 = j.results.find((x: { id: string }) => x.id === 'B3');
    expect(b3.detectedBy).toEqual(['refcounts-balanced']);
    expect(b3.seeds[0].runs).toBeGreaterThan(0);
  });

  it('lists all nineteen known bugs and at least twenty mutants', async () => {
    const r = await cli(['zoo', '--entry', 'nonexistent']);
    expect(r.code).toBe(2);
    for (let i = 1; i <= 19; i++) expect(r.stderr).toContain(`B${i},`);
    expect((r.stderr.match(/m\d\d-/g) ?? []).length).toBeGreaterThanOrEqual(20);
  });
});
