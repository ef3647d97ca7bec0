/**
 * The compare report as one self-contained HTML file: inline CSS, inline SVG charts (svg.ts), no
 * network. Sections: findings, the verdict matrix as a coloured table, vmalloc use over time per
 * design for each workload, allocation failures, metrics, first divergence, counterexample traces
 * with call paths, and what the workloads, designs and invariants are. Readable on a laptop screen
 * and in print (@media print opens every trace).
 */

import { opText } from '../model/ops.ts';
import { hex } from '../model/types.ts';
import type { MappingInfo } from '../spec/index.ts';
import { conclude } from './conclusion.ts';
import { barChart, DASHES, esc, lineChart, PALETTE } from './svg.ts';
import { fmt, isResourceFailure, pct } from './text.ts';
import { foldCallPath, resultText, type TraceStep } from './trace.ts';
import type { CompareReport, Counterexample, MatrixCell, RunReport } from './types.ts';

const CSS = `
:root { --fg: #1d1d1f; --muted: #5f6368; --line: #d9d9de; --ok: #137333; --okbg: #e6f4ea;
  --bad: #a50e0e; --badbg: #fce8e6; --unk: #5f6368; --unkbg: #f1f3f4; --accent: #0b57d0; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  color: var(--fg); background: #fafafa; }
header, main, nav { max-width: 1240px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 18px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; padding-top: 8px; border-top: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
p { margin: 6px 0; }
.meta { color: var(--muted); }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
nav { position: sticky; top: 0; background: #fafafa; border-bottom: 1px solid var(--line); padding-top: 6px;
  padding-bottom: 6px; z-index: 2; }
nav a { margin-right: 14px; color: var(--accent); text-decoration: none; font-size: 13px; }
table { border-collapse: collapse; margin: 6px 0 10px; background: #fff; }
th, td { border: 1px solid var(--line); padding: 4px 7px; text-align: left; vertical-align: top; font-size: 12.5px; }
th { background: #f3f3f5; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.matrix td.v { min-width: 96px; font-size: 12px; }
.matrix td.held { background: var(--okbg); color: var(--ok); }
.matrix td.violated { background: var(--badbg); color: var(--bad); }
.matrix td.unchecked { background: var(--unkbg); color: var(--unk); }
.matrix th.design, .matrix td.design { white-space: nowrap; font-weight: 600; }
td.design, td.wl { white-space: nowrap; }
.metrics tr.first td { border-top: 2px solid #b9b9c0; }
.metrics td.wl { font-weight: 600; background: #f8f8fa; }
.findings li { margin: 6px 0; }
.findings li.model { color: var(--bad); }
.tag { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 8px; margin-right: 6px;
  background: var(--unkbg); color: var(--muted); }
.tag.kernel { background: var(--badbg); color: var(--bad); }
.tag.info { background: var(--okbg); color: var(--ok); }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 12px; }
.chart { width: 100%; max-width: 620px; height: auto; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
.chart .ct { font-size: 13px; font-weight: 600; fill: var(--fg); }
.chart .tl { font-size: 10.5px; fill: #444; }
.chart .al { font-size: 11px; fill: var(--muted); }
.chart .lg { font-size: 11.5px; fill: var(--fg); }
.chart .gl { font-size: 11.5px; font-weight: 600; fill: var(--fg); }
.chart .grid { stroke: #ececf0; stroke-width: 1; }
.chart .axis { stroke: #444; stroke-width: 1; }
.chart .ref { stroke: var(--bad); stroke-width: 1.2; stroke-dasharray: 5 3; }
.chart .rl { font-size: 10.5px; fill: var(--bad); }
details { background: #fff; border: 1px solid var(--line); border-radius: 6px; margin: 8px 0; padding: 4px 10px; }
summary { cursor: pointer; padding: 3px 0; }
.trace td.path { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 11.5px; }
.trace tr.hit td { background: var(--badbg); }
.trace tr.fail td.res { color: var(--bad); font-weight: 600; }
.token { display: block; word-break: break-all; white-space: pre-wrap; max-height: 9em; overflow: auto;
  background: #f6f8fa; border: 1px solid var(--line); padding: 6px; border-radius: 4px; }
.log { color: var(--muted); }
.small { font-size: 12px; color: var(--muted); }
@media print {
  @page { size: A4; margin: 12mm; }
  body { background: #fff; font-size: 10pt; }
  nav { display: none; }
  header, main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  .chart, table.matrix, details { break-inside: avoid; }
  .charts { grid-template-columns: 1fr 1fr; }
  .token { max-height: none; }
  a { color: inherit; text-decoration: none; }
}
`;

/** Opens every trace before printing, so paper shows what a click shows on screen. */
const PRINT_SCRIPT =
  "addEventListener('beforeprint',()=>{for(const d of document.querySelectorAll('details'))d.open=true});";

function designStyle(rep: CompareReport, design: string): { color: string; dash: string } {
  const i = Math.max(0, rep.params.designs.indexOf(design));
  return { color: PALETTE[i % PALETTE.length]!, dash: DASHES[i % DASHES.length]! };
}

function matrixCell(c: MatrixCell | undefined): string {
  if (!c) return '<td></td>';
  if (c.status === 'held') return '<td class="v held">✓ held</td>';
  if (c.status === 'unchecked') return '<td class="v unchecked">? unchecked</td>';
  const v = c.violations.map((x) => `${esc(x.workload)}@${x.step}`).join('<br>');
  return `<td class="v violated">✗ ${v}</td>`;
}

function verdictTables(rep: CompareReport): string {
  const ids = rep.checks.map((c) => c.id);
  const out: string[] = [];
  for (const prof of rep.profiles) {
    out.push(`<h3>${esc(prof.id)}</h3>`);
    out.push(
      `<p class="small">${esc(prof.summary)}. vmalloc window ${fmt(prof.windowPages)} pages${prof.cma ? `; CMA ${fmt(prof.cma.size / 1048576)} MiB in ${esc(prof.cma.zone)}` : ''}.</p>`,
    );
    out.push('<table class="matrix"><thead><tr><th class="design">design</th>');
    for (const id of ids) out.push(`<th>${esc(id)}</th>`);
    out.push('</tr></thead><tbody>');
    for (const row of rep.matrix.filter((m) => m.profile === prof.id)) {
      out.push(
        `<tr><td class="design">${esc(row.design)}</td>${ids.map((id) => matrixCell(row.cells[id])).join('')}</tr>`,
      );
    }
    out.push('</tbody></table>');
  }
  out.push(
    '<p class="small">✓ held on every workload · ✗ violated, as workload@first violating step (steps count from 0) · ? not checked to the end (the run stopped on a model exception).</p>',
  );
  return out.join('');
}

function vmallocCharts(rep: CompareReport): string {
  const out: string[] = [];
  for (const prof of rep.profiles) {
    out.push(`<h3>${esc(prof.id)}</h3><div class="charts">`);
    for (const w of rep.params.workloads) {
      const runs = rep.params.designs
        .map((d) => rep.runs.find((r) => r.profile === prof.id && r.workload === w && r.design === d))
        .filter((r): r is RunReport => r !== undefined);
      const series = runs.flatMap((r) => {
        const st = designStyle(rep, r.design);
        return [
          {
            label: `${r.design} (peak ${fmt(r.vmalloc.peakLivePages)} live)`,
            color: st.color,
            dash: st.dash,
            points: r.vmalloc.series.map(([s, , live]) => [s, live] as const),
          },
        ];
      });
      const marks = runs
        .filter((r) => r.firstVmapFailure)
        .map((r) => {
          const f = r.firstVmapFailure!;
          const at = r.vmalloc.series.find(([s]) => s >= f.step) ?? r.vmalloc.series.at(-1) ?? [f.step, 0, 0];
          return {
            x: f.step,
            y: at[2],
            color: designStyle(rep, r.design).color,
            label: `${r.design}: first vmalloc failure at step ${f.step} (${opText(f.op)})`,
          };
        });
      const yMax = Math.max(...runs.map((r) => r.vmalloc.peakLivePages), 1);
      out.push(
        lineChart({
          id: `vmalloc-${prof.id}-${w}`,
          title: `${w} on ${prof.id}: vmalloc live pages`,
          xLabel: 'step (op index)',
          yLabel: 'live vmalloc pages',
          xMax: Math.max(1, ...runs.map((r) => r.opsRun)),
          yMax,
          series,
          hLines: [{ y: prof.windowPages, label: `window ${fmt(prof.windowPages)} pages` }],
          marks,
        }),
      );
    }
    out.push('</div>');
  }
  out.push(
    '<p class="small">Live pages: vmalloc areas still held (guard pages included), the maximum over each sampled interval (at most 200 points). Circles: the first op that failed because get_vm_area found no room. The dashed red line is the window.</p>',
  );
  return out.join('');
}

function failureCharts(rep: CompareReport): string {
  // one colour per op + errno across every chart
  const keys = new Map<string, number>();
  for (const r of rep.runs)
    for (const f of r.failures.byOp)
      if (isResourceFailure(f.op, f.errnoName)) {
        const k = `${f.op} ${f.errnoName}`;
        keys.set(k, (keys.get(k) ?? 0) + f.count);
      }
  const allKeys = [...keys].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k);
  const colorOf = (k: string) => PALETTE[allKeys.indexOf(k) % PALETTE.length]!;
  const out: string[] = ['<div class="charts">'];
  for (const prof of rep.profiles) {
    const rows: { label: string; segments: { label: string; value: number; color: string }[] }[] = [];
    const groups: { beforeRow: number; label: string }[] = [];
    const mine = rep.runs.filter((x) => x.profile === prof.id);
    const keyList = allKeys.filter((k) =>
      mine.some((r) => r.failures.byOp.some((f) => `${f.op} ${f.errnoName}` === k)),
    );
    for (const w of rep.params.workloads) {
      groups.push({ beforeRow: rows.length, label: w });
      for (const d of rep.params.designs) {
        const r = rep.runs.find((x) => x.profile === prof.id && x.workload === w && x.design === d);
        if (!r) continue;
        const segs = keyList.map((k) => {
          const value = r.failures.byOp
            .filter((f) => `${f.op} ${f.errnoName}` === k)
            .reduce((a, f) => a + f.count, 0);
          return { label: k, value, color: colorOf(k) };
        });
        rows.push({ label: d, segments: segs });
      }
    }
    out.push(
      barChart({
        id: `failures-${prof.id}`,
        title: `Allocation failures on ${prof.id}, by op and errno`,
        xLabel: keyList.length === 0 ? 'failed allocations (none failed)' : 'failed allocations',
        rows,
        groups,
        legend: keyList.map((k) => ({ label: k, color: colorOf(k) })),
      }),
    );
  }
  out.push('</div>');
  out.push(
    '<p class="small">Allocations that ran out or were refused (alloc and driver-vmap failures, kmap / mmap failures other than EINVAL / EBADF). EINVAL / EBADF on ids that do not exist are in the table below.</p>',
  );
  return out.join('');
}

function metricsTables(rep: CompareReport): string {
  const out: string[] = [];
  for (const prof of rep.profiles) {
    out.push(`<h3>${esc(prof.id)}</h3>`);
    out.push(
      '<table class="metrics"><thead><tr><th>workload</th><th>design</th><th>vmalloc peak used</th><th>peak live</th><th>final used</th><th>first vmalloc failure</th><th>allocation failures</th><th>failed ops on ids</th><th>CMA peak used</th><th>CMA largest free run (end / min)</th></tr></thead><tbody>',
    );
    for (const w of rep.params.workloads) {
      const runs = rep.params.designs
        .map((d) => rep.runs.find((x) => x.profile === prof.id && x.workload === w && x.design === d))
        .filter((r): r is RunReport => r !== undefined);
      runs.forEach((r, i) => {
        const win = r.vmalloc.windowPages;
        const alloc = r.failures.byOp.filter((x) => isResourceFailure(x.op, x.errnoName));
        const ids = r.failures.byOp.filter((x) => !isResourceFailure(x.op, x.errnoName));
        const allocText = alloc.map((x) => `${x.op} ${x.errnoName} ×${fmt(x.count)}`).join(', ') || '—';
        const idCount = ids.reduce((a, x) => a + x.count, 0);
        const idTitle = ids.map((x) => `${x.op} ${x.errnoName} ×${x.count}`).join(', ');
        const vmf = r.firstVmapFailure
          ? `step ${fmt(r.firstVmapFailure.step)}: <code>${esc(opText(r.firstVmapFailure.op))}</code>`
          : '—';
        const c = r.cma;
        const head = i === 0 ? `<td rowspan="${runs.length}" class="wl">${esc(w)}</td>` : '';
        out.push(
          `<tr${i === 0 ? ' class="first"' : ''}>${head}<td class="design">${esc(r.design)}</td><td class="num">${fmt(r.vmalloc.peakUsedPages)} (${pct(r.vmalloc.peakUsedPages, win)})</td><td class="num">${fmt(r.vmalloc.peakLivePages)}</td><td class="num">${fmt(r.vmalloc.finalUsedPages)}</td><td>${vmf}</td><td>${esc(allocText)}</td><td class="num"${idTitle ? ` title="${esc(idTitle)}"` : ''}>${idCount > 0 ? fmt(idCount) : '—'}</td><td class="num">${c ? `${fmt(c.peakUsedPages)} (${pct(c.peakUsedPages, c.areaPages)})` : '—'}</td><td class="num">${c ? `${fmt(c.finalLargestFreeRunPages)} / ${fmt(c.minLargestFreeRunPages)}` : '—'}</td></tr>`,
        );
      });
    }
    out.push('</tbody></table>');
  }
  out.push(
    '<p class="small">Pages of 4 KiB. <i>Used</i>: live and lazily freed vmalloc areas (what the window has lost until a purge); <i>live</i>: areas still held. <i>Failed ops on ids</i>: EINVAL / EBADF on handles, fds, vmas or areas that do not exist (stale ids of the random workload, and ids the stream counted for creations that failed on this design); hover for the breakdown, or see compare.json.</p>',
  );
  return out.join('');
}

function divergenceTable(rep: CompareReport): string {
  const out = [
    '<table><thead><tr><th>profile</th><th>workload</th><th>first differing step</th><th>op</th><th>results</th></tr></thead><tbody>',
  ];
  for (const s of rep.streams) {
    const d = s.firstDivergence;
    if (!d) {
      out.push(
        `<tr><td>${esc(s.profile)}</td><td>${esc(s.workload)}</td><td>—</td><td>—</td><td>identical for all ${fmt(s.opCount)} ops</td></tr>`,
      );
      continue;
    }
    const res = d.outcomes.map((o) => `${esc(o.design)} <b>${esc(resultText(o))}</b>`).join('<br>');
    out.push(
      `<tr><td>${esc(s.profile)}</td><td>${esc(s.workload)}</td><td class="num">${fmt(d.step)}</td><td><code>${esc(opText(d.op))}</code></td><td>${res}</td></tr>`,
    );
  }
  out.push('</tbody></table>');
  return out.join('');
}

function traceTable(steps: readonly TraceStep[], hitStep: number): string {
  const out = [
    '<table class="trace"><thead><tr><th>step</th><th>op</th><th>result</th><th>call path</th></tr></thead><tbody>',
  ];
  for (const s of steps) {
    const cls = [s.step === hitStep ? 'hit' : '', s.ok ? '' : 'fail'].filter(Boolean).join(' ');
    const log = s.log.length > 0 ? `<div class="log">${s.log.map(esc).join('<br>')}</div>` : '';
    out.push(
      `<tr${cls ? ` class="${cls}"` : ''}><td class="num">${s.step}</td><td><code>${esc(opText(s.op))}</code></td><td class="res">${esc(resultText(s))}</td><td class="path">${esc(foldCallPath(s.callPath))}${log}</td></tr>`,
    );
  }
  out.push('</tbody></table>');
  return out.join('');
}

function mappingsTable(ms: readonly MappingInfo[]): string {
  if (ms.length === 0) return '';
  const rows = ms.map(
    (m) =>
      `<tr><td>${esc(m.kind)}</td><td>${esc(m.type)}</td><td>${esc(m.state)}</td><td class="mono">${m.vaddr < 0 ? '—' : hex(m.vaddr)}</td><td>${esc(m.owner)}</td></tr>`,
  );
  return `<p class="small">Mappings of the first page involved:</p><table><thead><tr><th>kind</th><th>type</th><th>state</th><th>vaddr</th><th>owner</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function counterexampleBlock(c: Counterexample, source?: string): string {
  const n = c.step + 1;
  const src =
    c.source === 'check'
      ? `shrunk by check to ${n} op${n === 1 ? '' : 's'}`
      : `the ${esc(c.workload ?? '')} stream up to its first violation, ${fmt(n)} ops (not shrunk); the last steps:`;
  return [
    `<details><summary><b>${esc(c.design)}</b> · ${esc(c.profile)} · <b>${esc(c.invariant)}</b>${c.heaps ? ` (${esc(c.heaps.join(', '))} heap only)` : ''}: ${esc(c.message)}</summary>`,
    `<p class="small">${src}</p>`,
    traceTable(c.steps, c.step),
    `<p class="small">Replay token (${fmt(c.token.length)} characters): <code>ionck replay ${source !== undefined ? `--design ${esc(source)} ` : ''}&lt;token&gt;</code></p>`,
    `<code class="token">${esc(c.token)}</code>`,
    '</details>',
  ].join('');
}

function tracesSection(rep: CompareReport): string {
  const out: string[] = [];
  if (rep.counterexamples.length === 0) out.push('<p>No invariant was violated.</p>');
  else
    out.push(
      '<h3>Shortest counterexample per design, profile and invariant</h3><p class="small">Each with its replay token for an issue: <code>ionck replay &lt;token&gt;</code> reproduces it.</p>',
    );
  for (const c of rep.counterexamples)
    out.push(counterexampleBlock(c, rep.designs.find((d) => d.id === c.design)?.source));
  const firsts = rep.runs.flatMap((r) =>
    Object.entries(r.verdicts)
      .filter(([, v]) => v.status === 'violated')
      .map(([id, v]) => ({ r, id, v })),
  );
  if (firsts.length > 0) {
    out.push('<h3>First violation of each invariant in each run</h3>');
    for (const { r, id, v } of firsts) {
      out.push(
        `<details><summary><b>${esc(r.design)}</b> · ${esc(r.profile)} · ${esc(r.workload)} · <b>${esc(id)}</b> at step ${fmt(v.step ?? 0)}: ${esc(v.message ?? '')}</summary>`,
        traceTable(v.trace ?? [], v.step ?? -1),
        mappingsTable(v.mappings ?? []),
        '</details>',
      );
    }
  }
  const vm = rep.runs.filter((r) => r.firstVmapFailure);
  if (vm.length > 0) {
    out.push('<h3>First vmalloc failures</h3>');
    for (const r of vm) {
      const f = r.firstVmapFailure!;
      out.push(
        `<details><summary><b>${esc(r.design)}</b> · ${esc(r.profile)} · ${esc(r.workload)}: step ${fmt(f.step)}, ${esc(opText(f.op))} → ${esc(resultText(f))}</summary>${traceTable([f], f.step)}</details>`,
      );
    }
  }
  return out.join('');
}

function findingsList(rep: CompareReport): string {
  if (rep.findings.length === 0)
    return '<p>Nothing to report: every design held every invariant and no allocation failed.</p>';
  const items = rep.findings.map(
    (f) =>
      `<li class="${f.severity}"><span class="tag ${f.severity}">${esc(f.kind)}</span>${esc(f.text)}</li>`,
  );
  return `<ol class="findings">${items.join('')}</ol>`;
}

function aboutSection(rep: CompareReport): string {
  const out: string[] = ['<h3>Workloads</h3><ul>'];
  for (const w of rep.workloads)
    out.push(
      `<li><b>${esc(w.id)}</b>: ${esc(w.summary)}. <span class="small">${esc(w.standsFor)}</span></li>`,
    );
  out.push('</ul><h3>Designs</h3><ul>');
  for (const d of rep.designs) {
    const st = designStyle(rep, d.id);
    out.push(
      `<li><svg width="26" height="10" aria-hidden="true"><line x1="0" x2="26" y1="5" y2="5" stroke="${st.color}" stroke-width="3"${st.dash ? ` stroke-dasharray="${st.dash}"` : ''}/></svg> <b>${esc(d.id)}</b>: ${esc(d.summary)}.${d.verdictNotes ? ` <i>Verdicts:</i> ${esc(d.verdictNotes)}` : ''}<br><span class="small">${d.citations.map(esc).join(' · ')}</span></li>`,
    );
  }
  out.push('</ul><h3>Invariants</h3><ul>');
  for (const c of rep.checks)
    out.push(
      `<li><b>${esc(c.id)}</b>: ${esc(c.title)}. <span class="small">${esc(c.definition)}</span></li>`,
    );
  out.push('</ul>');
  return out.join('');
}

export function renderHtml(rep: CompareReport): string {
  const p = rep.params;
  // `code` spans of the conclusion's text as <code>
  const conclusion = esc(conclude(rep).text).replace(/`([^`]+)`/g, '<code>$1</code>');
  const sections: [string, string, string][] = [
    ['conclusion', 'Conclusion', `<p class="conclusion">${conclusion}</p>`],
    ['verdicts', 'Verdicts', verdictTables(rep)],
    ['findings', 'Findings', findingsList(rep)],
    ['vmalloc', 'vmalloc use over time', vmallocCharts(rep)],
    ['failures', 'Allocation failures', failureCharts(rep)],
    ['metrics', 'Metrics', metricsTables(rep)],
    [
      'divergence',
      'Where the designs first differ',
      `<p class="small">The first step whose result (ok, errno or returned id) differs between designs. Ids count successful creations, so after a creation fails on one design its later ids no longer match the stream.</p>${divergenceTable(rep)}`,
    ],
    ['traces', 'Traces', tracesSection(rep)],
    ['about', 'Workloads, designs, invariants', aboutSection(rep)],
  ];
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>ionck compare · seed ${p.seed}</title>`,
    `<style>${CSS}</style></head><body>`,
    '<header><h1>ionck compare</h1>',
    `<p class="meta">${p.designs.length} designs × ${p.profiles.length} profiles × ${p.workloads.length} workloads · seed <b>${p.seed}</b> · ${fmt(p.opsPerWorkload)} ops per workload · every invariant checked after every op · reproduce: <code>${esc(rep.command)}</code></p></header>`,
    `<nav>${sections.map(([id, title]) => `<a href="#${id}">${esc(title)}</a>`).join('')}</nav>`,
    '<main>',
    ...sections.map(([id, title, body]) => `<section id="${id}"><h2>${esc(title)}</h2>${body}</section>`),
    '</main>',
    `<script>${PRINT_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
