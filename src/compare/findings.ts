/**
 * What a compare showed, in plain words with the numbers: which design ran out of the vmalloc
 * window where the others did not, which invariants each design violated and where, which design
 * held everything, where the designs' results first differ. Built from the report's data only.
 */

import { opText } from '../model/ops.ts';
import { fmt, isResourceFailure, list, pct } from '../report/text.ts';
import type { CompareReport, Finding, MatrixRow, RunReport } from '../report/types.ts';

function failureSummary(r: RunReport, resource: boolean): string {
  const xs = r.failures.byOp.filter((f) => isResourceFailure(f.op, f.errnoName) === resource);
  return xs.map((f) => `${f.op} ${f.errnoName} ×${fmt(f.count)}`).join(', ');
}

const countOf = (r: RunReport, resource: boolean): number =>
  r.failures.byOp
    .filter((f) => isResourceFailure(f.op, f.errnoName) === resource)
    .reduce((a, f) => a + f.count, 0);

type ReportData = Omit<CompareReport, 'findings' | 'elapsedMs'>;

/** Finds the run of one design on one workload and profile. */
type RunOf = (profile: string, workload: string, design: string) => RunReport | undefined;

export function buildFindings(rep: ReportData): Finding[] {
  const runOf: RunOf = (p, w, d) =>
    rep.runs.find((r) => r.profile === p && r.workload === w && r.design === d);
  return [
    // the model or a design is broken: say so first
    ...modelFindings(rep),
    ...vmallocExhaustedFindings(rep, runOf),
    ...invariantFindings(rep, runOf),
    ...allocationFailureFindings(rep, runOf),
    ...heldEverythingFindings(rep),
    ...divergenceFindings(rep),
  ];
}

/** The runs of every design on one workload and profile, in the report's design order. */
function runsOn(rep: ReportData, runOf: RunOf, p: string, w: string): RunReport[] {
  return rep.params.designs.map((d) => runOf(p, w, d)).filter((r): r is RunReport => r !== undefined);
}

/** Model exceptions and type-ok violations, run by run. */
function modelFindings(rep: ReportData): Finding[] {
  const out: Finding[] = [];
  for (const r of rep.runs) {
    if (r.status === 'model-exception' && r.error)
      out.push({
        kind: 'model-exception',
        severity: 'model',
        text: `Model exception (a bug in the model or the design, not a kernel finding): ${r.design} on ${r.workload} (${r.profile}) stopped at step ${fmt(r.error.step)}: ${r.error.message}`,
        profile: r.profile,
        workload: r.workload,
        designs: [r.design],
        step: r.error.step,
      });
    const t = r.verdicts['type-ok'];
    if (t?.status === 'violated')
      out.push({
        kind: 'model-exception',
        severity: 'model',
        text: `type-ok failed (the model's structures are inconsistent; a model bug, not a kernel finding): ${r.design} on ${r.workload} (${r.profile}) at step ${fmt(t.step ?? 0)}: ${t.message ?? ''}`,
        profile: r.profile,
        workload: r.workload,
        invariant: 'type-ok',
        designs: [r.design],
        ...(t.step !== undefined ? { step: t.step } : {}),
      });
  }
  return out;
}

/** The window running out, per profile and workload. */
function vmallocExhaustedFindings(rep: ReportData, runOf: RunOf): Finding[] {
  const out: Finding[] = [];
  for (const p of rep.params.profiles) {
    for (const w of rep.params.workloads) {
      const runs = runsOn(rep, runOf, p, w);
      const out1 = runs.filter((r) => r.firstVmapFailure !== null);
      if (out1.length === 0) continue;
      const fine = runs.filter((r) => r.firstVmapFailure === null);
      const sentences = out1.map((r) => ranOutSentence(r, p, w));
      if (fine.length > 0)
        sentences.push(
          `${list(fine.map((r) => r.design))} ran the same ${fmt(fine[0]!.opsRun)} ops without a vmalloc failure (peak ${list(fine.map((r) => fmt(r.vmalloc.peakUsedPages)))} used, ${list(fine.map((r) => fmt(r.vmalloc.peakLivePages)))} live).`,
        );
      out.push({
        kind: 'vmalloc-exhausted',
        severity: 'kernel',
        text: sentences.join(' '),
        profile: p,
        workload: w,
        designs: out1.map((r) => r.design),
        step: Math.min(...out1.map((r) => r.firstVmapFailure!.step)),
      });
    }
  }
  return out;
}

/** One run's running out of the window, with its figures and its failures. */
function ranOutSentence(r: RunReport, p: string, w: string): string {
  const f = r.firstVmapFailure!;
  const win = r.vmalloc.windowPages;
  const knock = countOf(r, false);
  return (
    `${r.design} ran out of vmalloc on ${w} (${p}) at step ${fmt(f.step)}: ${opText(f.op)} failed with ${f.errnoName ?? '?'} ("${f.message}"); window ${fmt(win)} pages, peak ${fmt(r.vmalloc.peakUsedPages)} used (${pct(r.vmalloc.peakUsedPages, win)}), ${fmt(r.vmalloc.peakLivePages)} live.` +
    ` Its allocation failures: ${failureSummary(r, true) || 'none'}` +
    (knock > 0
      ? ` (and ${fmt(knock)} EINVAL/EBADF on ids the stream counted for creations that failed here: ${failureSummary(r, false)}).`
      : '.')
  );
}

/** Invariants violated, per profile and invariant, the earliest violation quoted. */
function invariantFindings(rep: ReportData, runOf: RunOf): Finding[] {
  const out: Finding[] = [];
  for (const p of rep.params.profiles) {
    for (const check of rep.checks) {
      if (check.id === 'type-ok') continue;
      const rows = rep.matrix.filter((m) => m.profile === p);
      const bad = rows.filter((m) => m.cells[check.id]?.status === 'violated');
      if (bad.length === 0) continue;
      const held = rows.filter((m) => m.cells[check.id]?.status === 'held').map((m) => m.design);
      const per = bad.map((m) => {
        const v = m.cells[check.id]!.violations.map((x) => `${x.workload} step ${fmt(x.step)}`).join(', ');
        return `${m.design} (${v})`;
      });
      const first = earliestViolation(bad, check.id, (w, d) => runOf(p, w, d)!);
      const quote = first
        ? ` Earliest: ${first.run.design} on ${first.run.workload} at step ${fmt(first.step)}: ${first.run.verdicts[check.id]?.message ?? ''}`
        : '';
      out.push({
        kind: 'invariant-violated',
        severity: 'kernel',
        text: `On ${p}, ${check.id} is violated by ${list(per)}${held.length > 0 ? `; held by ${list(held)}` : ''}.${quote}`,
        profile: p,
        invariant: check.id,
        designs: bad.map((m) => m.design),
        ...(first ? { step: first.step, workload: first.run.workload } : {}),
      });
    }
  }
  return out;
}

/** The earliest violation of one check over the matrix rows given (the first one on a tie). */
function earliestViolation(
  rows: readonly MatrixRow[],
  check: string,
  runOf: (workload: string, design: string) => RunReport,
): { run: RunReport; step: number } | null {
  let first: { run: RunReport; step: number } | null = null;
  for (const m of rows) {
    for (const v of m.cells[check]!.violations) {
      const r = runOf(v.workload, m.design);
      if (!first || v.step < first.step) first = { run: r, step: v.step };
    }
  }
  return first;
}

/** Allocation failures that differ between designs (beyond the window running out). */
function allocationFailureFindings(rep: ReportData, runOf: RunOf): Finding[] {
  const out: Finding[] = [];
  for (const p of rep.params.profiles) {
    for (const w of rep.params.workloads) {
      const runs = runsOn(rep, runOf, p, w);
      if (runs.some((r) => r.firstVmapFailure !== null)) continue;
      const sums = runs.map((r) => failureSummary(r, true));
      if (sums.every((s) => s === sums[0])) continue;
      const failing = runs.filter((r) => countOf(r, true) > 0);
      const clean = runs.filter((r) => countOf(r, true) === 0);
      out.push({
        kind: 'allocation-failures',
        severity: 'kernel',
        text: `Allocation failures differ on ${w} (${p}): ${failing.map((r) => `${r.design}: ${failureSummary(r, true)}`).join('; ')}${clean.length > 0 ? `; none for ${list(clean.map((r) => r.design))}` : ''}.`,
        profile: p,
        workload: w,
        designs: failing.map((r) => r.design),
      });
    }
  }
  return out;
}

/** Designs that held every check on every run. */
function heldEverythingFindings(rep: ReportData): Finding[] {
  const { profiles, workloads, designs } = rep.params;
  const out: Finding[] = [];
  for (const d of designs) {
    const mine = rep.runs.filter((r) => r.design === d);
    const allHeld = mine.every(
      (r) => r.status === 'completed' && Object.values(r.verdicts).every((v) => v.status === 'held'),
    );
    if (!allHeld || mine.length === 0) continue;
    const ops = mine.reduce((a, r) => a + r.opsRun, 0);
    const noVm = mine.every((r) => r.firstVmapFailure === null);
    const invCount = rep.checks.filter((c) => c.id !== 'type-ok').length;
    out.push({
      kind: 'held-everything',
      severity: 'info',
      text: `${d} held all ${invCount} invariants on all ${mine.length} runs (${profiles.length} profile${profiles.length === 1 ? '' : 's'} × ${workloads.length} workload${workloads.length === 1 ? '' : 's'}, ${fmt(ops)} ops)${noVm ? ' and never ran out of vmalloc' : ''}.`,
      designs: [d],
    });
  }
  return out;
}

/** Where the designs' results first differ, per stream. */
function divergenceFindings(rep: ReportData): Finding[] {
  const out: Finding[] = [];
  for (const s of rep.streams) {
    const dv = s.firstOutcomeDivergence;
    if (!dv) continue;
    const groups = new Map<string, string[]>();
    for (const o of dv.outcomes) {
      const key = o.ok ? 'ok' : (o.errnoName ?? '?');
      groups.set(key, [...(groups.get(key) ?? []), o.design]);
    }
    const parts = [...groups].map(
      ([k, ds]) => `${list(ds)} ${k === 'ok' ? 'succeeded' : `failed with ${k}`}`,
    );
    out.push({
      kind: 'divergence',
      severity: 'info',
      text: `On ${s.workload} (${s.profile}) the designs' results first differ at step ${fmt(dv.step)} (${opText(dv.op)}): ${parts.join('; ')}.`,
      profile: s.profile,
      workload: s.workload,
      designs: dv.outcomes.map((o) => o.design),
      step: dv.step,
    });
  }
  return out;
}
