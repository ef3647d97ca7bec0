/**
 * Issue 16: every compare report opens with a conclusion (the design to use, why, and the
 * counterexample that decides it), keeps the CMA heap's own violations apart from those that need
 * another heap, and is written byte for byte the same for the same seed (throughput only on the
 * terminal).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCompare } from '../../../src/compare/compare.ts';
import { attribute, conclude } from '../../../src/report/conclusion.ts';
import { renderHtml } from '../../../src/report/html.ts';
import { renderMarkdown } from '../../../src/report/markdown.ts';
import { cli } from '../../helpers/cli.ts';

// with the runCheck search: the CMA-heap-only counterexamples come from it
const report = runCompare({
  profiles: ['arm32-1g-cma512'],
  workloads: ['camera', 'random'],
  ops: 200,
  seed: 20160901,
});

describe('the conclusion', () => {
  it('opens the Markdown and the HTML, naming the design to use and the deciding replay token', async () => {
    const rep = await report;
    const c = conclude(rep);
    expect(c.recommended).not.toBeNull();
    const md = renderMarkdown(rep).split('\n');
    expect(md[2]).toBe(`**Conclusion.** ${c.text}`);
    expect(c.text.startsWith(`Use \`${c.recommended}\`.`)).toBe(true);
    const html = renderHtml(rep);
    expect(html.indexOf('id="conclusion"')).toBeLessThan(html.indexOf('id="verdicts"'));
    // the recommended design has no CMA-heap violation unless every design has one
    const a = attribute(rep);
    const cmaOf = (d: string) => a.filter((x) => x.design === d && x.cma !== null).length;
    expect(cmaOf(c.recommended!)).toBe(Math.min(...rep.params.designs.map(cmaOf)));
    if (c.deciding) {
      expect(c.text).toContain(`ionck replay ${c.deciding.token}`);
      expect(c.deciding.design).not.toBe(c.recommended);
    }
  });

  it('a violation counts as the CMA heap’s only with a trace that allocates from the CMA heap alone', async () => {
    const rep = await report;
    const a = attribute(rep);
    expect(a.length).toBeGreaterThan(0);
    for (const x of a) {
      if (x.cma) {
        const ops = x.cma.ops ?? [];
        expect(x.cma.heaps ?? ops.filter((o) => o.op === 'alloc').map(() => 'cma')).toContain('cma');
        for (const o of ops) if (o.op === 'alloc') expect(o.heap).toBe('cma');
      }
    }
    expect(renderMarkdown(rep)).toContain('## The CMA heap apart from the other heaps');
  });
});

describe('npm start: the same seed writes the same bytes', () => {
  it('compare twice into two folders: identical md, json and html; ops/s only on stderr', async () => {
    const dirs = [mkdtempSync(join(tmpdir(), 'ionck-cmp-a-')), mkdtempSync(join(tmpdir(), 'ionck-cmp-b-'))];
    const runs = [];
    for (const d of dirs)
      runs.push(
        await cli(['compare', '--profile', 'tiny', '--workload', 'camera', '--ops', '150', '--out', d]),
      );
    for (const f of ['compare.md', 'compare.json', 'compare.html'])
      expect(readFileSync(join(dirs[0]!, f), 'utf8')).toBe(readFileSync(join(dirs[1]!, f), 'utf8'));
    expect(readFileSync(join(dirs[0]!, 'compare.md'), 'utf8')).not.toContain('ops/s');
    expect(readFileSync(join(dirs[0]!, 'compare.json'), 'utf8')).not.toMatch(/elapsedMs|opsPerSec/);
    expect(runs[0]!.stderr).toMatch(/tiny · camera · cma-direct: [\d,]+ ops\/s/);
  });
});
