/** The Markdown projection: verdict matrix, findings with numbers, tokens. Seed 20160901. */

import { beforeAll, describe, expect, it } from 'vitest';
import { renderMarkdown, verdictMatrixMarkdown, verdictMatrixText } from '../../../src/report/markdown.ts';
import type { CompareReport } from '../../../src/report/types.ts';
import { REPORT_SEED, smallReport } from '../../helpers/compare-report.ts';

describe(`markdown report (seed ${REPORT_SEED})`, () => {
  let rep: CompareReport;
  let md: string;
  beforeAll(async () => {
    rep = await smallReport();
    md = renderMarkdown(rep);
  });

  it('contains the verdict matrix, design x invariant, per profile', () => {
    const header =
      '| design | type-ok | no-conflicting-alias | vmalloc-bounded | freed-completely | refcounts-balanced | contiguous-aligned | zeroed-on-alloc | exclusive-ownership |';
    expect(md).toContain('## Verdicts');
    expect(md.split(header).length - 1).toBe(2);
    for (const p of ['arm32-1g', 'arm32-1g-cma512']) {
      expect(md).toContain(`### ${p}\n`);
      const table = verdictMatrixMarkdown(rep, p);
      expect(md).toContain(table);
      const rows = table.split('\n').slice(2);
      expect(rows.map((r) => r.split(' | ')[0])).toEqual([
        '| legacy-3.18',
        '| no-kernel-mapping',
        '| cma-direct',
        '| cma-direct-remap',
        '| ion-4.12',
        '| dmabuf-heap-cma',
      ]);
      for (const r of rows) expect(r.split(' | ')).toHaveLength(9);
    }
    expect(verdictMatrixMarkdown(rep, 'arm32-1g')).toMatch(
      /\| legacy-3\.18 \| ✅ held \| ❌ [^|]*seed-product@\d+/,
    );
    expect(verdictMatrixMarkdown(rep, 'arm32-1g-cma512')).toMatch(/\| cma-direct-remap( \| ✅ held){8} \|/);
  });

  it("explains a design's verdicts beside it when the design says why (Design.verdictNotes)", () => {
    for (const d of ['ion-4.12', 'dmabuf-heap-cma']) {
      const notes = rep.designs.find((x) => x.id === d)?.verdictNotes;
      expect(notes, d).toMatch(/[A-Z]+-\d/);
      expect(md).toContain(`- **${d}**: `);
      expect(md).toContain(` *Verdicts:* ${notes}`);
    }
  });

  it('states the findings in plain words with numbers', () => {
    expect(md).toContain('## Findings');
    expect(md).toMatch(/legacy-3\.18 ran out of vmalloc on seed-product \(arm32-1g\) at step \d+/);
    expect(md).toMatch(/window 61,440 pages, peak \d{2},\d{3} used/);
    expect(md).toMatch(
      /On arm32-1g-cma512, no-conflicting-alias is violated by no-kernel-mapping \(camera step \d+/,
    );
    expect(md).toMatch(/cma-direct-remap held all 7 invariants on all 4 runs/);
  });

  it('gives an issue-ready replay token per violated invariant', () => {
    const tokens = md.match(/^ionck replay ionck1:[A-Za-z0-9_-]+$/gm) ?? [];
    expect(tokens.length).toBe(rep.counterexamples.length);
    expect(tokens.length).toBeGreaterThan(3);
  });

  it('prints a plain-text matrix for the terminal', () => {
    const t = verdictMatrixText(rep);
    expect(t).toContain('arm32-1g-cma512');
    expect(t).toMatch(/legacy-3\.18\s+ok\s+FAIL \d/);
  });
});
