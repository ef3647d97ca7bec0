/** The JSON projection: everything, readable, timing only in elapsedMs / opsPerSec. Seed 20160901. */
import { describe, expect, it } from 'vitest';
import { renderJson, withoutTiming } from '../../../src/report/json.ts';
import { REPORT_SEED, smallReport } from '../../helpers/compare-report.ts';

describe(`json report (seed ${REPORT_SEED})`, () => {
  it('round-trips the whole report object', async () => {
    const rep = await smallReport();
    const text = renderJson(rep);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(rep)));
    expect(text.endsWith('}\n')).toBe(true);
    // one op per line in the streams
    expect(text).toMatch(/\n {8}\{"op":"alloc","client":0,"heap":"cma","len":\d+\},?\n/);
  });

  it('withoutTiming drops exactly elapsedMs and opsPerSec, at any depth', () => {
    const v = { elapsedMs: 1, a: [{ opsPerSec: 2, b: 3 }], c: { elapsedMs: 4, d: null } };
    expect(withoutTiming(v)).toEqual({ a: [{ b: 3 }], c: { d: null } });
  });
});
