/**
 * What a compare showed, in plain words with the numbers: which design ran out of the vmalloc
 * window where the others did not, which invariants each design violated and where, which design
 * held everything, where the designs' results first differ. Built from the report's data only.
 */

import { fmt, isResourceFailure, list, pct } from '../report/text.ts';
import { opText } from '../report/trace.ts';
import type { CompareReport, Finding, RunReport } from '../report/types.ts';

function failureSummary(r: RunReport, resource: boolean): string {
  const xs = r.failures.byOp.filter((f) => isResourceFailure(f.op, f.errnoName) === resource);
  return xs.map((f) => `${f.op} ${f.errnoName} ×${fmt(f.count)}`).join(', ');
}

const countOf = (r: RunReport, resource: boolean): number =>
  r.failures.byOp
    .filter((f) => isResourceFailure(f.op, f.errnoName) === resource)
    .reduce((a, f) => a + f.count, 0);

type ReportData = Omit<CompareReport, 'findings' | 'elapsedMs'>;

export function buildFindings(rep: ReportData): Finding[] {
  const out: Finding[] = [];
  const { profiles, workloads, designs } = rep.params;
  const runOf = (p: string, w: string, d: string) =>
    rep.runs.find((r) => r.profile === p && r.workload === w && r.design === d);

  // model exceptions and type-ok: the model or a design is broken; say so first
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

  // the window running out
  for (const p of profiles) {
    for (const w of workloads) {
      const runs = designs.map((d) => runOf(p, w, d)).filter((r): r is RunReport => r !== undefined);
      const out1 = runs.filter((r) => r.firstVmapFailure !== null);
      if (out1.length === 0) continue;
      const fine = runs.filter((r) => r.firstVmapFailure === null);
      const sentences: string[] = [];
      for (const r of out1) {
        const f = r.firstVmapFailure!;
        const win = r.vmalloc.windowPages;
        const knock = countOf(r, false);
        sentences.push(
          `${r.design} ran out of vmalloc on ${w} (${p}) at step ${fmt(f.step)}: ${opText(f.op)} failed with ${f.errnoName ?? '?'} ("${f.message}"); window ${fmt(win)} pages, peak ${fmt(r.vmalloc.peakUsedPages)} used (${pct(r.vmalloc.peakUsedPages, win)}), ${fmt(r.vmalloc.peakLivePages)} live.` +
            ` Its allocation failures: ${failureSummary(r, true) || 'none'}` +
            (knock > 0
              ? ` (and ${fmt(knock)} EINVAL/EBADF on ids the stream counted for creations that failed here: ${failureSummary(r, false)}).`
              : '.'),
        );
      }
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

  // invariants violated, per profile and invariant
  for (const p of profiles) {
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
      // the earliest violation, quoted
      let first: { run: RunReport; step: number } | null = null;
      for (const m of bad) {
        for (const v of m.cells[check.id]!.violations) {
          const r = runOf(p, v.workload, m.design)!;
          if (!first || v.step < first.step) first = { run: r, step: v.step };
        }
      }
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

  // allocation failures that differ between designs (beyond the window running out)
  for (const p of profiles) {
    for (const w of workloads) {
      const runs = designs.map((d) => runOf(p, w, d)).filter((r): r is RunReport => r !== undefined);
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

  // designs that held everything
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

  // where results first differ
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
