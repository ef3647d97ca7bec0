/** The HTML projection: one self-contained file with inline SVG charts. Seed 20160901. */

import { beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../../src/report/html.ts';
import { barChart, esc, lineChart, niceStep, ticks } from '../../../src/report/svg.ts';
import type { CompareReport } from '../../../src/report/types.ts';
import { REPORT_SEED, smallReport } from '../../helpers/compare-report.ts';

describe(`html report (seed ${REPORT_SEED})`, () => {
  let rep: CompareReport;
  let html: string;
  beforeAll(async () => {
    rep = await smallReport();
    html = renderHtml(rep);
  });

  it('is one self-contained file: inline CSS, no scripts or resources from the network', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).toContain('@media print');
    expect(html).not.toMatch(/<link\b|@import|\bsrc=|url\(/i);
    const urls = html.match(/https?:\/\/[^\s"'<]+/g) ?? [];
    expect(urls.every((u) => u === 'http://www.w3.org/2000/svg')).toBe(true);
  });

  it('draws a vmalloc chart per profile x workload and a failures chart per profile', () => {
    const charts = html.match(/<svg class="chart"/g) ?? [];
    expect(charts).toHaveLength(2 * 2 + 2);
    expect(html).toContain('id="vmalloc-arm32-1g-seed-product"');
    expect(html).toContain('id="failures-arm32-1g-cma512"');
    expect(html).toMatch(/<polyline points="[\d.,\s]+" fill="none" stroke="#/);
  });

  it('colours the verdict matrix and lists traces with call paths', () => {
    expect(html).toContain('class="matrix"');
    expect(html).toMatch(/<td class="v violated">✗ seed-product@\d+/);
    expect(html).toContain('<td class="v held">✓ held</td>');
    expect(html).toMatch(/<td class="path">ionAlloc › ionBufferCreate › /);
    expect(html).toContain('ionck1:');
  });
});

describe('svg charts', () => {
  it('picks nice ticks', () => {
    expect(niceStep(61440, 5)).toBe(20000);
    expect(ticks(1000, 5)).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(esc('<a & "b">')).toBe('&lt;a &amp; &quot;b&quot;&gt;');
  });

  it('draws lines, reference lines and bars with sizes', () => {
    const l = lineChart({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      xMax: 10,
      yMax: 100,
      series: [
        {
          label: 'a',
          color: '#000',
          points: [
            [0, 0],
            [10, 100],
          ],
        },
      ],
      hLines: [{ y: 120, label: 'window' }],
    });
    expect(l).toMatch(/^<svg class="chart" [^>]*width="560" height="\d+"/);
    expect(l).toContain('<polyline');
    expect(l).toContain('window');
    const b = barChart({
      title: 'b',
      xLabel: 'n',
      rows: [{ label: 'r', segments: [{ label: 's', value: 3, color: '#f00' }] }],
      legend: [{ label: 's', color: '#f00' }],
    });
    expect(b).toMatch(/<rect x="[\d.]+" y="\d+" width="[\d.]+" height="12" fill="#f00">/);
  });
});
