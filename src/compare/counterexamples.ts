/**
 * The shortest counterexample compare can give for each violated invariant of each design and
 * profile: a shrunk one from `runCheck` (src/properties/check.ts, when that module has it) within a
 * small time budget, confirmed here by replaying it; otherwise the workload's own prefix up to the
 * first violation (the earliest over the workloads).
 */

import type { Design } from '../model/designs/design.ts';
import type { Op } from '../model/ops.ts';
import { type Profile, resolveProfile, withHeaps } from '../model/profile.ts';
import { HEAP_NAMES } from '../model/types.ts';
import { runCheck } from '../properties/check.ts';
import { encodeToken, makeReplay } from '../properties/replay.ts';
import { runOps } from '../properties/run.ts';
import { workloadById } from '../properties/workloads.ts';
import { traceStep } from '../report/trace.ts';
import type { Counterexample, RunReport, StreamReport } from '../report/types.ts';
import { type CheckId, isInvariantId } from '../spec/index.ts';
import type { ProgressEvent } from './params.ts';

/** Shrunk counterexamples longer than this are not replayed step by step into the report. */
export const COUNTEREXAMPLE_STEPS_MAX = 60;
/**
 * runCheck's search per design x profile: fast-check runs and ops per run. Bounded by count, not
 * time, so the report is the same on every machine (about 5 s for the default compare).
 */
export const CHECK_RUNS = 20;
export const CHECK_OPS_MAX = 40;

interface Want {
  readonly design: Design;
  readonly profile: Profile;
  readonly invariants: CheckId[];
}

/** Replay `ops` and cut them at the first violation of `invariant`; null if it does not reproduce. */
function confirm(
  design: Design,
  profile: Profile,
  invariant: CheckId,
  ops: readonly Op[],
  seed: number,
  board: Profile = profile,
): Counterexample | null {
  const ids = isInvariantId(invariant) ? [invariant] : [];
  // on the board the search ran on (a CMA-heap-only search boots `heaps=cma`, ION-1)
  const res = runOps(board, design, ops, { invariants: ids, stopOnViolation: false });
  const hit = res.firstViolations.get(invariant);
  if (!hit) return null;
  const cut = ops.slice(0, hit.step + 1);
  const replay = makeReplay({
    design: design.id,
    profile: board.id,
    invariant,
    ops: cut,
    expect: 'violated',
    origin: { seed, tool: 'ionck compare (runCheck)' },
  });
  const steps =
    cut.length <= COUNTEREXAMPLE_STEPS_MAX
      ? res.steps.slice(0, cut.length).map((s, i) => traceStep(i, s.op, s.result))
      : res.steps
          .slice(cut.length - 5, cut.length)
          .map((s, j) => traceStep(cut.length - 5 + j, s.op, s.result));
  return {
    design: design.id,
    profile: profile.id,
    invariant,
    source: 'check',
    message: hit.violation.message,
    step: hit.step,
    ops: cut,
    token: encodeToken(replay),
    steps,
  };
}

interface Inputs {
  runs: readonly RunReport[];
  streams: readonly StreamReport[];
  designs: readonly Design[];
  profiles: readonly Profile[];
  seed: number;
  budgetMs: number;
  onProgress?: (e: ProgressEvent) => void;
}

export async function findCounterexamples(a: Inputs): Promise<Counterexample[]> {
  const wants = wanted(a);
  const search = a.budgetMs > 0 && wants.length > 0;
  const t0 = performance.now();
  const out: Counterexample[] = [];
  let done = 0;
  for (const w of wants) {
    const { shrunk, cmaOnly } = await searchShrunk(w, a, search, t0);
    for (const inv of w.invariants) out.push(...chosen(w, inv, shrunk, cmaOnly, a));
    done++;
    a.onProgress?.({
      phase: 'counterexample',
      done,
      total: wants.length,
      label: `${w.design.id} on ${w.profile.id}`,
    });
  }
  return out;
}

/** The invariants (type-ok aside) each design violated on each profile, over the workloads. */
function wanted(a: Inputs): Want[] {
  const wants: Want[] = [];
  for (const profile of a.profiles) {
    for (const design of a.designs) {
      const mine = a.runs.filter((r) => r.profile === profile.id && r.design === design.id);
      const violated = new Set<CheckId>();
      for (const r of mine)
        for (const [id, v] of Object.entries(r.verdicts))
          if (v.status === 'violated' && id !== 'type-ok') violated.add(id as CheckId);
      if (violated.size > 0) wants.push({ design, profile, invariants: [...violated] });
    }
  }
  return wants;
}

/**
 * Shrunk counterexamples from runCheck, confirmed by replay, within what is left of the budget: the
 * shortest trace over all heaps, then the shortest through the CMA heap alone (the seed's question
 * is about the CMA heap, and an uncached carveout alloc can be shorter).
 */
async function searchShrunk(
  w: Want,
  a: Inputs,
  search: boolean,
  t0: number,
): Promise<{ shrunk: Map<CheckId, Counterexample>; cmaOnly: Map<CheckId, Counterexample> }> {
  const shrunk = new Map<CheckId, Counterexample>();
  const cmaOnly = new Map<CheckId, Counterexample>();
  for (const heaps of [undefined, ['cma' as const]]) {
    const left = a.budgetMs - (performance.now() - t0);
    if (!search || left <= 0) break;
    try {
      const res = await runCheck({
        designs: [w.design],
        profile: w.profile,
        invariants: w.invariants.filter(isInvariantId),
        runs: CHECK_RUNS,
        maxOps: CHECK_OPS_MAX,
        seed: a.seed,
        timeLimitMs: Math.max(1000, left),
        ...(heaps ? { heaps } : {}),
      });
      const into = heaps ? cmaOnly : shrunk;
      for (const v of res.results.flatMap((d) => d.violations)) {
        const inv = v.invariant as CheckId;
        if (!w.invariants.includes(inv) || into.has(inv)) continue;
        const ops = v.ops;
        const board = heaps ? resolveProfile(withHeaps(w.profile.id, heaps)) : w.profile;
        const c = confirm(w.design, w.profile, inv, ops, a.seed, board);
        if (c) into.set(inv, heaps ? { ...c, heaps } : c);
      }
    } catch {
      // runCheck is best effort here: the workload's own counterexample stands in
    }
  }
  return { shrunk, cmaOnly };
}

/**
 * The counterexamples reported for one invariant: the shorter of the shrunk one and the workload
 * prefix that violates it soonest (the shrunk one on a tie), then the CMA-only one if it differs.
 */
function chosen(
  w: Want,
  inv: CheckId,
  shrunk: ReadonlyMap<CheckId, Counterexample>,
  cmaOnly: ReadonlyMap<CheckId, Counterexample>,
  a: Inputs,
): Counterexample[] {
  const out: Counterexample[] = [];
  const fromCheck = shrunk.get(inv);
  // the workload prefix that violates it soonest
  const first = a.runs
    .filter(
      (r) => r.profile === w.profile.id && r.design === w.design.id && r.verdicts[inv]?.status === 'violated',
    )
    .sort((x, y) => (x.verdicts[inv]!.step ?? 0) - (y.verdicts[inv]!.step ?? 0))[0];
  const stream = first && a.streams.find((s) => s.profile === first.profile && s.workload === first.workload);
  const fromWorkload = first && stream ? workloadCounterexample(first, stream, inv, a.seed) : null;
  const best =
    fromCheck && (!fromWorkload || fromCheck.step <= fromWorkload.step)
      ? fromCheck
      : (fromWorkload ?? fromCheck);
  if (best) out.push(best);
  const cma = cmaOnly.get(inv);
  if (cma && best && cma.token !== best.token) out.push(cma);
  return out;
}

/** A counterexample from the workload itself: the stream up to the first violation. */
export function workloadCounterexample(
  run: RunReport,
  stream: StreamReport,
  invariant: CheckId,
  seed: number,
): Counterexample | null {
  const v = run.verdicts[invariant];
  if (v?.status !== 'violated' || v.step === undefined) return null;
  // the workload ran on a board declaring only its heaps (ION-1): the replay boots the same
  const heaps = workloadById(run.workload)?.heaps ?? HEAP_NAMES;
  const restricted = heaps.length < HEAP_NAMES.length;
  const replay = makeReplay({
    design: run.design,
    profile: withHeaps(run.profile, heaps),
    invariant,
    ops: stream.ops.slice(0, v.step + 1),
    expect: 'violated',
    origin: { seed, tool: `ionck compare (workload ${run.workload})` },
  });
  return {
    design: run.design,
    profile: run.profile,
    invariant,
    source: 'workload',
    workload: run.workload,
    message: v.message ?? '',
    step: v.step,
    token: encodeToken(replay),
    steps: v.trace ?? [],
    ...(restricted ? { heaps: [...heaps] } : {}),
  };
}
