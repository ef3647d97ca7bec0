/**
 * The compare report as Markdown: the verdict matrix (design × invariant, per profile), the
 * findings in plain words, the vmalloc / CMA metrics, allocation failures, where the designs first
 * diverge, and replay tokens to paste into an issue. A projection of the report object only.
 */

import { opText } from '../model/ops.ts';
import { attribute, conclude, replayLine } from './conclusion.ts';
import { fmt, pct } from './text.ts';
import { foldCallPath, resultText } from './trace.ts';
import type { CompareReport, MatrixCell } from './types.ts';

/** Tokens longer than this are left to compare.json rather than pasted into the Markdown. */
export const MD_TOKEN_CHARS_MAX = 4000;

const cellText = (c: MatrixCell | undefined): string => {
  if (!c) return '';
  if (c.status === 'held') return '✅ held';
  if (c.status === 'unchecked') return '❔ unchecked';
  return `❌ ${c.violations.map((v) => `${v.workload}@${v.step}`).join(', ')}`;
};

/** Escape what would break a table cell. */
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The verdict matrix of one profile as a Markdown table. */
export function verdictMatrixMarkdown(rep: CompareReport, profile: string): string {
  const ids = rep.checks.map((c) => c.id);
  const lines = [`| design | ${ids.join(' | ')} |`, `|---|${ids.map(() => '---').join('|')}|`];
  for (const row of rep.matrix.filter((m) => m.profile === profile)) {
    lines.push(`| ${row.design} | ${ids.map((id) => cell(cellText(row.cells[id]))).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The verdict matrix as plain text for a terminal: one block per profile. */
export function verdictMatrixText(rep: CompareReport): string {
  const ids = rep.checks.map((c) => c.id);
  const out: string[] = [];
  for (const p of rep.params.profiles) {
    const rows = rep.matrix.filter((m) => m.profile === p);
    const dw = Math.max(6, ...rows.map((r) => r.design.length));
    const widths = ids.map((id) => Math.max(id.length, 4));
    out.push(`${p}`);
    out.push(`  ${'design'.padEnd(dw)}  ${ids.map((id, i) => id.padEnd(widths[i]!)).join('  ')}`);
    for (const r of rows) {
      const cells = ids.map((id, i) => {
        const c = r.cells[id];
        const t = !c
          ? ''
          : c.status === 'held'
            ? 'ok'
            : c.status === 'unchecked'
              ? '?'
              : `FAIL ${c.violations.length}`;
        return t.padEnd(widths[i]!);
      });
      out.push(`  ${r.design.padEnd(dw)}  ${cells.join('  ')}`);
    }
  }
  out.push('  (ok held on every workload; FAIL n = violated on n workloads; ? not checked to the end)');
  return out.join('\n');
}

function metricsTable(rep: CompareReport, profile: string): string {
  const lines = [
    '| workload | design | vmalloc peak used | peak live | final used | first vmalloc failure | allocation failures | CMA peak used | CMA largest free run (end) |',
    '|---|---|---:|---:|---:|---|---|---:|---:|---:|',
  ];
  for (const w of rep.params.workloads) {
    for (const d of rep.params.designs) {
      const r = rep.runs.find((x) => x.profile === profile && x.workload === w && x.design === d);
      if (!r) continue;
      const win = r.vmalloc.windowPages;
      const fails = r.failures.byOp.map((f) => `${f.op} ${f.errnoName} ×${f.count}`).join(', ') || '—';
      const vmf = r.firstVmapFailure
        ? `step ${fmt(r.firstVmapFailure.step)} (${r.firstVmapFailure.op.op})`
        : '—';
      const cma = r.cma;
      lines.push(
        `| ${w} | ${d} | ${fmt(r.vmalloc.peakUsedPages)} (${pct(r.vmalloc.peakUsedPages, win)}) | ${fmt(r.vmalloc.peakLivePages)} | ${fmt(r.vmalloc.finalUsedPages)} | ${vmf} | ${cell(fails)} | ${cma ? `${fmt(cma.peakUsedPages)} (${pct(cma.peakUsedPages, cma.areaPages)})` : '—'} | ${cma ? fmt(cma.finalLargestFreeRunPages) : '—'} |`,
      );
    }
  }
  return lines.join('\n');
}

function divergenceTable(rep: CompareReport): string {
  const lines = ['| profile | workload | first differing step | op | results |', '|---|---|---:|---|---|'];
  for (const s of rep.streams) {
    const d = s.firstDivergence;
    if (!d) {
      lines.push(`| ${s.profile} | ${s.workload} | — | — | identical for all ${fmt(s.opCount)} ops |`);
      continue;
    }
    const res = d.outcomes.map((o) => `${o.design} ${resultText(o)}`).join('; ');
    lines.push(`| ${s.profile} | ${s.workload} | ${fmt(d.step)} | \`${opText(d.op)}\` | ${cell(res)} |`);
  }
  return lines.join('\n');
}

function counterexamplesSection(rep: CompareReport): string {
  if (rep.counterexamples.length === 0) return 'No invariant was violated, so there is nothing to replay.';
  const out: string[] = [];
  for (const c of rep.counterexamples) {
    const n = c.step + 1;
    const src =
      c.source === 'check'
        ? `shrunk by check, ${n} op${n === 1 ? '' : 's'}`
        : `${c.workload} prefix, ${fmt(n)} ops (not shrunk)`;
    out.push(
      `### ${c.design} · ${c.profile} · ${c.invariant}${c.heaps ? ` · ${c.heaps.join(', ')} heap only` : ''}`,
    );
    out.push('');
    out.push(`${src}: ${c.message}`);
    out.push('');
    const last = c.steps.at(-1);
    if (last)
      out.push(
        `Violating op: \`${opText(last.op)}\` ${resultText(last)} via \`${foldCallPath(last.callPath)}\``,
        '',
      );
    if (c.token.length <= MD_TOKEN_CHARS_MAX) out.push('```', replayLine(rep, c), '```');
    else out.push(`Replay token: ${fmt(c.token.length)} characters, in compare.json (\`counterexamples\`).`);
    out.push('');
  }
  return out.join('\n');
}

/** Each violation with its cause: a trace through the CMA heap alone, or one that needs another heap. */
function cmaApartSection(rep: CompareReport): string {
  const rows = attribute(rep);
  if (rows.length === 0) return 'No invariant was violated.';
  const lines = [
    'A violation is the CMA heap’s own when a trace that allocates from the CMA heap alone shows it; otherwise it needs another heap (system, system-contig, carveout), which every design shares.',
    '',
    '| design | profile | invariant | through the CMA heap alone | shortest over all heaps |',
    '|---|---|---|---|---|',
  ];
  for (const a of rows)
    lines.push(
      `| ${a.design} | ${a.profile} | ${a.invariant} | ${a.cma ? `❌ ${a.cma.step + 1} op${a.cma.step === 0 ? '' : 's'}` : '— not found'} | ${a.any ? `${a.any.step + 1} op${a.any.step === 0 ? '' : 's'}${a.any.steps.at(-1) ? `, last \`${opText(a.any.steps.at(-1)!.op)}\`` : ''}` : '—'} |`,
    );
  return lines.join('\n');
}

export function renderMarkdown(rep: CompareReport): string {
  const p = rep.params;
  const out: string[] = [];
  out.push(
    `# ionck compare: ${p.designs.length} designs × ${p.profiles.length} profiles × ${p.workloads.length} workloads`,
  );
  out.push('');
  out.push(`**Conclusion.** ${conclude(rep).text}`, '');
  out.push(
    `Seed **${p.seed}**, ${fmt(p.opsPerWorkload)} ops per workload, every invariant checked after every op on each design, all designs on the identical op stream. Reproduce with \`${rep.command}\`.`,
  );
  out.push('');
  out.push('## Verdicts');
  out.push('');
  out.push(
    '✅ held on every workload · ❌ violated (workload@first violating step, steps from 0) · ❔ not checked to the end (the run stopped on a model exception)',
  );
  for (const prof of rep.profiles) {
    out.push(
      '',
      `### ${prof.id}`,
      '',
      `${prof.summary}. vmalloc window ${fmt(prof.windowPages)} pages${prof.cma ? `; CMA ${fmt(prof.cma.size / 1048576)} MiB in ${prof.cma.zone}` : ''}.`,
      '',
    );
    out.push(verdictMatrixMarkdown(rep, prof.id));
  }
  out.push('', '## The CMA heap apart from the other heaps', '');
  out.push(cmaApartSection(rep));
  out.push('', '## Findings', '');
  if (rep.findings.length === 0)
    out.push('Nothing to report: every design held every invariant and no allocation failed.');
  rep.findings.forEach((f, i) => {
    out.push(`${i + 1}. ${f.severity === 'model' ? '**Model bug.** ' : ''}${f.text}`);
  });
  out.push('', '## vmalloc and CMA', '');
  out.push(
    'Pages of 4 KiB. *Used* counts live and lazily freed vmalloc areas (what the window has lost until a purge), *live* only areas still held. The first vmalloc failure is the first op that failed because get_vm_area found no room.',
  );
  for (const prof of rep.profiles) {
    out.push('', `### ${prof.id} (window ${fmt(prof.windowPages)} pages)`, '', metricsTable(rep, prof.id));
  }
  out.push('', '## Where the designs first differ', '');
  out.push(
    'The first step whose result (ok, errno or returned id) differs between designs. Ids count successful creations, so after a creation fails on one design its later ids no longer match the stream.',
    '',
    divergenceTable(rep),
  );
  out.push('', '## Counterexamples (issue-ready replay tokens)', '');
  out.push(counterexamplesSection(rep));
  out.push('', '## Workloads', '');
  for (const w of rep.workloads) out.push(`- **${w.id}**: ${w.summary}. ${w.standsFor}`);
  out.push('', '## Designs', '');
  for (const d of rep.designs)
    out.push(`- **${d.id}**: ${d.summary}.${d.verdictNotes ? ` *Verdicts:* ${d.verdictNotes}` : ''}`);
  out.push('', '## Invariants', '');
  for (const c of rep.checks) out.push(`- **${c.id}**: ${c.title}.`);
  out.push('');
  return out.join('\n');
}
