/** The JSON projection: everything, readable, timing only in elapsedMs / opsPerSec. Seed 20160901. */

import { describe, expect, it } from 'vitest';
import { renderJson, withoutTiming } from '../../../src/report/json.ts';
import { MODEL_VERSION, TOOL_VERSION } from '../../../src/version.ts';
import { REPORT_SEED, smallReport } from '../../helpers/compare-report.ts';

describe(`json report (seed ${REPORT_SEED})`, () => {
  it('holds the whole report object without its timing, after versions, seed, parameters and the conclusion', async () => {
    const rep = await smallReport();
    const text = renderJson(rep);
    const j = JSON.parse(text);
    const { tool, toolVersion, modelVersion, seed, parameters, designStatus, conclusion, ...rest } = j;
    expect(rest).toEqual(JSON.parse(JSON.stringify(withoutTiming(rep))));
    expect({ tool, toolVersion, modelVersion, seed }).toEqual({
      tool: 'ionck',
      toolVersion: TOOL_VERSION,
      modelVersion: MODEL_VERSION,
      seed: rep.params.seed,
    });
    expect(rest.command).toMatch(/^ionck compare /);
    expect(parameters).toEqual(rep.params);
    expect(Object.keys(designStatus)).toEqual(rep.params.designs);
    expect(conclusion.text).toMatch(/^Use `/);
    expect(text).not.toMatch(/"(elapsedMs|opsPerSec)"/);
    expect(text.endsWith('}\n')).toBe(true);
    // one op per line in the streams
    expect(text).toMatch(/\n {8}\{"op":"alloc","client":0,"heap":"cma","len":\d+\},?\n/);
  });

  it('withoutTiming drops exactly elapsedMs and opsPerSec, at any depth', () => {
    const v = { elapsedMs: 1, a: [{ opsPerSec: 2, b: 3 }], c: { elapsedMs: 4, d: null } };
    expect(withoutTiming(v)).toEqual({ a: [{ b: 3 }], c: { d: null } });
  });
});
