/** The verdict matrix: per profile and design, each check held, violated (where) or unchecked. */

import type { MatrixCell, MatrixRow, RunReport } from '../report/types.ts';
import { CHECK_IDS } from './run-workload.ts';

export function buildMatrix(
  profiles: readonly string[],
  designs: readonly string[],
  runs: readonly RunReport[],
): MatrixRow[] {
  const rows: MatrixRow[] = [];
  for (const profile of profiles) {
    for (const design of designs) {
      const mine = runs.filter((r) => r.profile === profile && r.design === design);
      const cells: Record<string, MatrixCell> = {};
      for (const id of CHECK_IDS) {
        const violations = mine
          .filter((r) => r.verdicts[id]?.status === 'violated')
          .map((r) => ({ workload: r.workload, step: r.verdicts[id]!.step ?? 0 }));
        const unchecked = mine.some((r) => r.verdicts[id]?.status === 'unchecked');
        cells[id] = {
          status: violations.length > 0 ? 'violated' : unchecked ? 'unchecked' : 'held',
          violations,
        };
      }
      rows.push({ profile, design, cells });
    }
  }
  return rows;
}
