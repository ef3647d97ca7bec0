/** Where the designs' results on one op stream first differ. */

import type { Op } from '../model/ops.ts';
import { errnoName } from '../model/types.ts';
import type { Divergence, DivergenceOutcome } from '../report/types.ts';
import type { Outcomes } from './run-workload.ts';

function outcomeOf(design: string, o: Outcomes, i: number): DivergenceOutcome {
  if (o.ok[i] === 1) return { design, ok: true, value: o.value[i]! };
  const errno = o.errno[i]!;
  return { design, ok: false, errno, errnoName: errnoName(errno) };
}

/** The first step where the runs' outcomes differ (ok and errno, and the value when `withValue`). */
export function firstDivergence(
  ops: readonly Op[],
  runs: readonly { design: string; outcomes: Outcomes }[],
  withValue: boolean,
): Divergence | null {
  if (runs.length < 2) return null;
  const len = Math.min(...runs.map((r) => r.outcomes.length));
  const a = runs[0]!.outcomes;
  for (let i = 0; i < len; i++) {
    for (let j = 1; j < runs.length; j++) {
      const b = runs[j]!.outcomes;
      const same =
        a.ok[i] === b.ok[i] && a.errno[i] === b.errno[i] && (!withValue || a.value[i] === b.value[i]);
      if (!same)
        return { step: i, op: ops[i]!, outcomes: runs.map((r) => outcomeOf(r.design, r.outcomes, i)) };
    }
  }
  return null;
}
