/** One small comparison shared by the report rendering tests (seed 20160901, no runCheck search). */

import { runCompare } from '../../src/compare/compare.ts';
import type { CompareReport } from '../../src/report/types.ts';

export const REPORT_SEED = 20160901;
let cached: Promise<CompareReport> | null = null;

/** All six built-in designs, both default profiles, seed-product and camera, 400 ops each. */
export function smallReport(): Promise<CompareReport> {
  cached ??= runCompare({
    workloads: ['seed-product', 'camera'],
    ops: 400,
    seed: REPORT_SEED,
    shrink: false,
  });
  return cached;
}
