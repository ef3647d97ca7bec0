/**
 * The conclusion every compare report opens with: which design to use and why, with the
 * counterexample that decides it, in words a kernel engineer can quote. Violations are split by
 * cause: those a trace through the CMA heap alone shows (the CMA heap's own, what the designs
 * differ in) and those that need another heap (system, system-contig, carveout), which every
 * design shares and which therefore decide nothing between them.
 */

import type { Op } from '../model/ops.ts';
import { opText } from '../model/ops.ts';
import type { CheckId } from '../spec/index.ts';
import type { CompareReport, Counterexample } from './types.ts';

export interface Attributed {
  readonly design: string;
  readonly profile: string;
  readonly invariant: CheckId;
  /** The shortest counterexample that allocates from the CMA heap only, or null. */
  readonly cma: Counterexample | null;
  /** The shortest counterexample over all heaps. */
  readonly any: Counterexample | null;
}

export interface Conclusion {
  /** The design to use, or null when none can be recommended. */
  readonly recommended: string | null;
  readonly text: string;
  /** The counterexample that rules out the closest alternative, when there is one. */
  readonly deciding: Counterexample | null;
  readonly attributed: readonly Attributed[];
}

const onlyCma = (ops: readonly Op[]): boolean => ops.every((op) => op.op !== 'alloc' || op.heap === 'cma');

/** The ops of a counterexample: its own, or its workload's stream up to the violating step. */
function opsOf(rep: CompareReport, c: Counterexample): readonly Op[] | null {
  if (c.ops) return c.ops;
  const s = rep.streams.find((x) => x.profile === c.profile && x.workload === c.workload);
  return s ? s.ops.slice(0, c.step + 1) : null;
}

/**
 * The CMA heap's own: shown on a board whose ION declares the CMA heap alone (ION-1). A trace on
 * the full board counts only through that restricted search, since another heap's boot-time state
 * (the carveout's creation alias, HEAP-CARVEOUT-1) can decide it whatever the ops allocate.
 */
const isCma = (rep: CompareReport, c: Counterexample): boolean => {
  if (c.heaps?.length !== 1 || c.heaps[0] !== 'cma') return false;
  const ops = opsOf(rep, c);
  return ops !== null && onlyCma(ops);
};

/** Every violated (design, profile, invariant) with its CMA-heap-only counterexample, if any. */
export function attribute(rep: CompareReport): Attributed[] {
  const out: Attributed[] = [];
  for (const row of rep.matrix)
    for (const [id, cell] of Object.entries(row.cells)) {
      if (cell.status !== 'violated' || id === 'type-ok') continue;
      const mine = rep.counterexamples.filter(
        (c) => c.design === row.design && c.profile === row.profile && c.invariant === id,
      );
      const shortest = (xs: Counterexample[]) =>
        xs.reduce<Counterexample | null>((a, c) => (a === null || c.step < a.step ? c : a), null);
      out.push({
        design: row.design,
        profile: row.profile,
        invariant: id as CheckId,
        cma: shortest(mine.filter((c) => isCma(rep, c))),
        any: shortest(mine),
      });
    }
  return out;
}

/** The command that replays a counterexample: a plugin design's names its file. */
export function replayLine(rep: CompareReport, c: Counterexample): string {
  const source = rep.designs.find((d) => d.id === c.design)?.source;
  return `ionck replay ${source !== undefined ? `--design ${source} ` : ''}${c.token}`;
}

const n = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;

/** The conclusion of a compare report (a pure function of it). */
export function conclude(rep: CompareReport): Conclusion {
  const attributed = attribute(rep);
  const failed = new Set(rep.runs.filter((r) => r.status === 'model-exception').map((r) => r.design));
  const unchecked = (d: string) =>
    failed.has(d) ||
    rep.matrix.some(
      (row) => row.design === d && Object.values(row.cells).some((c) => c.status === 'unchecked'),
    );
  const score = (d: string) => {
    const mine = attributed.filter((a) => a.design === d);
    return {
      cma: mine.filter((a) => a.cma !== null).length,
      other: mine.filter((a) => a.cma === null).length,
    };
  };
  const ranked = rep.params.designs
    .filter((d) => !unchecked(d))
    .map((d, i) => ({ d, i, ...score(d) }))
    .sort((a, b) => a.cma - b.cma || a.other - b.other || a.i - b.i);
  const skipped = rep.params.designs.filter(unchecked);
  const skippedText =
    skipped.length > 0
      ? ` ${skipped.map((d) => `\`${d}\``).join(', ')} could not be checked to the end (❔: it threw, looped, exited or returned garbage) and is not ranked.`
      : '';
  const best = ranked[0];
  if (!best)
    return {
      recommended: null,
      text: `No design could be checked to the end.${skippedText}`,
      deciding: null,
      attributed,
    };
  const scope = `${n(rep.params.profiles.length, 'profile')} × ${n(rep.params.workloads.length, 'workload')}, seed ${rep.params.seed}`;
  let why: string;
  if (best.cma > 0)
    why = `No design kept the CMA heap clean; \`${best.d}\` has the fewest CMA-heap violations (${best.cma}).`;
  else if (best.other === 0) why = `It held every invariant on every workload and profile (${scope}).`;
  else
    why = `Its CMA heap held every invariant on every workload and profile (${scope}); its ${n(best.other, 'violation')} need another heap, which every design shares.`;
  const runnerUp = ranked.slice(1).find((r) => r.cma > best.cma);
  let deciding: Counterexample | null = null;
  let decides = '';
  if (runnerUp) {
    const a = attributed
      .filter((x) => x.design === runnerUp.d && x.cma !== null)
      .sort((x, y) => x.cma!.step - y.cma!.step)[0]!;
    deciding = a.cma;
    const last = a.cma!.steps.at(-1);
    decides = ` The closest alternative, \`${runnerUp.d}\`, violates \`${a.invariant}\` through the CMA heap alone on ${a.profile} in ${n(a.cma!.step + 1, 'op')}${last ? ` (last: \`${opText(last.op)}\`)` : ''}: ${a.cma!.message}. Replay: \`${replayLine(rep, a.cma!)}\`.`;
  }
  const shared = attributed.filter((a) => a.cma === null);
  const sharedText =
    shared.length > 0
      ? ` ${n(shared.length, 'violation')} (design × profile × invariant) need a non-CMA heap (e.g. ${shared[0]!.any ? `\`${shared[0]!.design}\` on ${shared[0]!.profile}: ${shared[0]!.any.message}` : `\`${shared[0]!.design}\` ${shared[0]!.invariant}`}); they are listed apart and do not decide between the designs.`
      : '';
  return {
    recommended: best.d,
    text: `Use \`${best.d}\`. ${why}${decides}${sharedText}${skippedText}`,
    deciding,
    attributed,
  };
}
