/**
 * Steps of a run as a report shows them: the op, what it returned and the chain of model functions
 * it went through, in kernel vocabulary. Call paths can repeat a pattern hundreds of times
 * (vm_map_ram / vm_unmap_ram per 32 pages while zeroing), so the renderers fold repeats.
 */
import type { OpResult } from '../model/kernel.ts';
import type { Op } from '../model/ops.ts';
import { errnoName } from '../model/types.ts';

export interface TraceStep {
  readonly step: number;
  readonly op: Op;
  readonly ok: boolean;
  readonly errno?: number;
  readonly errnoName?: string;
  readonly value?: number;
  readonly callPath: readonly string[];
  readonly log: readonly string[];
}

export function traceStep(step: number, op: Op, r: OpResult): TraceStep {
  return {
    step,
    op,
    ok: r.ok,
    ...(r.ok ? {} : { errno: r.errno ?? 0, errnoName: errnoName(r.errno ?? 0) }),
    ...(r.ok && r.value !== undefined ? { value: r.value } : {}),
    callPath: [...r.callPath],
    log: [...r.log],
  };
}

/** Longest repeated unit folded: patterns of 1..PATTERN_MAX names. */
const PATTERN_MAX = 6;

/**
 * Fold consecutive repeats of a short sequence: `a > b > c > b > c > b > c > d` becomes
 * `a > (b > c) ×3 > d`. Greedy from the left, longest total saving first at each position.
 */
export function foldCallPath(path: readonly string[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < path.length) {
    let best = { len: 1, times: 1 };
    for (let len = 1; len <= PATTERN_MAX && i + 2 * len <= path.length; len++) {
      let times = 1;
      while (i + (times + 1) * len <= path.length && same(path, i, i + times * len, len)) times++;
      if (times > 1 && (times - 1) * len > (best.times - 1) * best.len) best = { len, times };
    }
    const unit = path.slice(i, i + best.len).join(' › ');
    if (best.times === 1) out.push(unit);
    else out.push(best.len === 1 ? `${unit} ×${best.times}` : `(${unit}) ×${best.times}`);
    i += best.len * best.times;
  }
  return out.join(' › ');
}

function same(p: readonly string[], a: number, b: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (p[a + k] !== p[b + k]) return false;
  return true;
}

/** What an op returned, in a few characters: `→ 3`, `ENOMEM`. */
export function resultText(s: Pick<TraceStep, 'ok' | 'errnoName' | 'value'>): string {
  if (!s.ok) return `-${s.errnoName ?? 'E?'}`;
  return s.value === undefined ? 'ok' : `→ ${s.value}`;
}
