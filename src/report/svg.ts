/**
 * Small SVG charts for the HTML report, drawn as strings: a line chart (vmalloc use over time per
 * design) and a horizontal stacked bar chart (allocation failures by errno). No scripts, no fonts
 * to fetch: they render the same on screen, in print and in a headless browser.
 */
import { fmt } from './text.ts';

export const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Colour-blind-safe palette (Okabe-Ito) and dash patterns, so lines differ in grey print too. */
export const PALETTE = [
  '#D55E00',
  '#0072B2',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#000000',
  '#999933',
];
export const DASHES = ['', '8 4', '3 3', '12 3 3 3', '2 6', '6 2', '', '4 4'];

/** A "nice" tick step (1, 2 or 5 × 10^k) giving about `count` ticks up to `max`. */
export function niceStep(max: number, count = 5): number {
  if (max <= 0) return 1;
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  const f = n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10;
  return f * mag;
}

export function ticks(max: number, count = 5): number[] {
  const step = niceStep(max, count);
  const out: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) out.push(Math.round(v * 1e6) / 1e6);
  return out;
}

/** Compact tick label: 61,440 -> 61k; 1,500 -> 1.5k. */
export function shortNum(n: number): string {
  if (Math.abs(n) >= 1e6) return `${trim(n / 1e6)}M`;
  if (Math.abs(n) >= 1e4) return `${trim(n / 1e3)}k`;
  if (Math.abs(n) >= 1e3) return `${trim(n / 1e3)}k`;
  return trim(n);
}
const trim = (x: number): string => (Math.round(x * 10) / 10).toString();

export interface LineSeries {
  readonly label: string;
  readonly color: string;
  readonly dash?: string;
  /** [x, y] points in x order. */
  readonly points: readonly (readonly [number, number])[];
}

export interface LineChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xMax: number;
  readonly yMax: number;
  readonly series: readonly LineSeries[];
  /** Horizontal reference lines (e.g. the window size). */
  readonly hLines?: readonly { readonly y: number; readonly label: string }[];
  /** Point markers (e.g. the first vmalloc failure). */
  readonly marks?: readonly {
    readonly x: number;
    readonly y: number;
    readonly color: string;
    readonly label: string;
  }[];
  readonly width?: number;
  readonly height?: number;
  readonly id?: string;
}

/**
 * The opening of a chart, W x H on white: the <svg> element (with the title as its accessible
 * name), its <title> and the visible title at x = titleX. The caller closes the </svg>.
 */
function chartFrame(
  o: { readonly title: string; readonly id?: string },
  W: number,
  H: number,
  titleX: number,
): string[] {
  return [
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}"${o.id ? ` id="${esc(o.id)}"` : ''} aria-label="${esc(o.title)}">`,
    `<title>${esc(o.title)}</title>`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${titleX}" y="17" class="ct">${esc(o.title)}</text>`,
  ];
}

/** A line chart: axes with nice ticks, one polyline per series, a legend under the plot. */
export function lineChart(o: LineChartOptions): string {
  const W = o.width ?? 560;
  const legendRows = Math.ceil(o.series.length / 2);
  const H = o.height ?? 250 + legendRows * 18;
  const m = { l: 58, r: 14, t: 28, b: 48 + legendRows * 18 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const yTop = Math.max(1, o.yMax, ...(o.hLines ?? []).map((h) => h.y)) * 1.05;
  const xTop = Math.max(1, o.xMax);
  const X = (x: number) => m.l + (x / xTop) * pw;
  const Y = (y: number) => m.t + ph - (y / yTop) * ph;
  const parts = chartFrame(o, W, H, m.l);
  for (const t of ticks(yTop / 1.05)) {
    const y = Y(t).toFixed(1);
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(
      `<text x="${m.l - 6}" y="${y}" class="tl" text-anchor="end" dy="0.32em">${shortNum(t)}</text>`,
    );
  }
  for (const t of ticks(xTop, 6)) {
    const x = X(t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.t + ph}" y2="${m.t + ph + 4}" class="axis"/>`);
    parts.push(`<text x="${x}" y="${m.t + ph + 16}" class="tl" text-anchor="middle">${shortNum(t)}</text>`);
  }
  parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${m.t + ph}" y2="${m.t + ph}" class="axis"/>`);
  parts.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}" class="axis"/>`);
  parts.push(
    `<text x="${m.l + pw / 2}" y="${m.t + ph + 32}" class="al" text-anchor="middle">${esc(o.xLabel)}</text>`,
  );
  parts.push(
    `<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" class="al" text-anchor="middle">${esc(o.yLabel)}</text>`,
  );
  for (const h of o.hLines ?? []) {
    const y = Y(h.y).toFixed(1);
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y}" y2="${y}" class="ref"/>`);
    parts.push(
      `<text x="${m.l + pw - 4}" y="${Number(y) - 4}" class="rl" text-anchor="end">${esc(h.label)}</text>`,
    );
  }
  // thicker first, so a later series drawn over an identical one leaves the earlier visible
  o.series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const width = Math.max(1.5, 4.5 - i * 1);
    const d = s.points.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ');
    parts.push(
      `<polyline points="${d}" fill="none" stroke="${s.color}" stroke-width="${width}" stroke-linejoin="round"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}><title>${esc(s.label)}</title></polyline>`,
    );
  });
  for (const mk of o.marks ?? []) {
    parts.push(
      `<circle cx="${X(mk.x).toFixed(1)}" cy="${Y(mk.y).toFixed(1)}" r="5" fill="none" stroke="${mk.color}" stroke-width="2"><title>${esc(mk.label)}</title></circle>`,
    );
  }
  const ly = m.t + ph + 44;
  o.series.forEach((s, i) => {
    const col = i % 2;
    const row = Math.floor(i / 2);
    const x = m.l + col * (pw / 2);
    const y = ly + row * 18;
    parts.push(
      `<line x1="${x}" x2="${x + 26}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="3"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
    );
    parts.push(`<text x="${x + 32}" y="${y}" class="lg" dy="0.32em">${esc(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export interface BarRow {
  readonly label: string;
  readonly segments: readonly { readonly label: string; readonly value: number; readonly color: string }[];
}

export interface BarChartOptions {
  readonly title: string;
  readonly rows: readonly BarRow[];
  readonly xLabel: string;
  /** Legend entries (segment label -> colour). */
  readonly legend: readonly { readonly label: string; readonly color: string }[];
  readonly width?: number;
  /** Rows that start a new group get a gap and the group's name. */
  readonly groups?: readonly { readonly beforeRow: number; readonly label: string }[];
  readonly id?: string;
}

/** A horizontal stacked bar chart: one bar per row, segments stacked, value at the bar's end. */
export function barChart(o: BarChartOptions): string {
  const W = o.width ?? 560;
  const rowH = 16;
  const gap = 20;
  const groups = o.groups ?? [];
  const legendCols = 3;
  const legendRows = Math.ceil(o.legend.length / legendCols);
  const m = { l: 150, r: 54, t: 28, b: 40 + legendRows * 18 };
  const plotH = o.rows.length * rowH + groups.length * gap;
  const H = m.t + plotH + m.b;
  const pw = W - m.l - m.r;
  const max = Math.max(1, ...o.rows.map((r) => r.segments.reduce((a, s) => a + s.value, 0)));
  const xTop = Math.max(max, ticks(max, 5).at(-1)!);
  const X = (v: number) => (v / xTop) * pw;
  const parts = chartFrame(o, W, H, 8);
  for (const t of ticks(xTop, 5)) {
    const x = (m.l + X(t)).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.t}" y2="${m.t + plotH}" class="grid"/>`);
    parts.push(
      `<text x="${x}" y="${m.t + plotH + 14}" class="tl" text-anchor="middle">${shortNum(t)}</text>`,
    );
  }
  let y = m.t;
  o.rows.forEach((r, i) => {
    const g = groups.find((gr) => gr.beforeRow === i);
    if (g) {
      y += gap;
      parts.push(`<text x="8" y="${y - 5}" class="gl">${esc(g.label)}</text>`);
    }
    parts.push(
      `<text x="${m.l - 6}" y="${y + rowH / 2}" class="tl" text-anchor="end" dy="0.32em">${esc(r.label)}</text>`,
    );
    let x = m.l;
    let total = 0;
    for (const s of r.segments) {
      if (s.value <= 0) continue;
      const w = X(s.value);
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y + 2}" width="${Math.max(1, w).toFixed(1)}" height="${rowH - 4}" fill="${s.color}"><title>${esc(`${r.label}: ${s.label} ×${fmt(s.value)}`)}</title></rect>`,
      );
      x += w;
      total += s.value;
    }
    parts.push(
      `<text x="${(x + 4).toFixed(1)}" y="${y + rowH / 2}" class="tl" dy="0.32em">${fmt(total)}</text>`,
    );
    y += rowH;
  });
  parts.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + plotH}" class="axis"/>`);
  parts.push(
    `<text x="${m.l + pw / 2}" y="${m.t + plotH + 30}" class="al" text-anchor="middle">${esc(o.xLabel)}</text>`,
  );
  const ly = m.t + plotH + 44;
  o.legend.forEach((l, i) => {
    const col = i % legendCols;
    const row = Math.floor(i / legendCols);
    const x = 8 + col * ((W - 16) / legendCols);
    const yy = ly + row * 18;
    parts.push(`<rect x="${x}" y="${yy - 6}" width="12" height="12" fill="${l.color}"/>`);
    parts.push(`<text x="${x + 17}" y="${yy}" class="lg" dy="0.32em">${esc(l.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
