/** `ionck zoo` output: a Markdown table for people, JSON for CI (elapsedMs fields are wall clock). */
import type { ZooReport, ZooResult } from '../zoo/measure.ts';

const cell = (s: string) => s.replace(/\|/g, '\\|');

function detectedCell(r: ZooResult, seeds: number): string {
  if (r.detected === null) return r.status === 'elsewhere' ? 'not in this build' : 'not expressible';
  return `${r.detected ? 'yes' : 'MISSED'} (${r.detectedSeeds}/${seeds})`;
}

function explorerCell(r: ZooResult): string {
  if (!r.explorer) return '';
  return r.explorer.length !== null ? String(r.explorer.length) : r.explorer.reason!;
}

const pair = (p: { median: number; worst: number } | null, unit = '') =>
  p ? `${p.median}${unit} / ${p.worst}${unit}` : '';

export function zooMarkdown(z: ZooReport): string {
  const lines = [
    `# ionck zoo: ${z.summary.detected} of ${z.summary.measured} measured entries detected on every seed`,
    '',
    `Budget: the default \`ionck check\` (${z.runs} runs x ${z.maxOps} ops), seeds 1..${z.seeds}; explorer on tiny to depth ${z.exploreDepth}.`,
    `Shrunk as short as the explorer's shortest (tiny entries it reaches): ${z.summary.shrunkAsShortAsExplorer.equal} of ${z.summary.shrunkAsShortAsExplorer.of}.`,
    '',
    '| entry | kind | design | profile | invariant | detected | by | runs to detect (median / worst) | time to detect (median / worst) | shrunk (best-worst) | explorer on tiny |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of z.results) {
    const design = r.design ? `${r.design}${r.status === 'native' ? ' (native)' : ''}` : '';
    lines.push(
      `| ${[
        r.id,
        r.kind,
        design,
        r.profile ?? '',
        r.detected === null ? '' : r.invariants.join(', '),
        detectedCell(r, z.seeds),
        r.detectedBy.join(', '),
        pair(r.runsToDetect),
        pair(r.elapsedMs, ' ms'),
        r.shrunk
          ? r.shrunk.best === r.shrunk.worst
            ? `${r.shrunk.best}`
            : `${r.shrunk.best}-${r.shrunk.worst}`
          : '',
        explorerCell(r),
      ]
        .map(cell)
        .join(' | ')} |`,
    );
  }
  const notes = z.results.filter((r) => r.detected === null);
  if (notes.length > 0) {
    lines.push('', 'Not measured:', '');
    for (const r of notes) lines.push(`- ${r.id}: ${r.note}`);
  }
  if (z.summary.missed.length > 0) lines.push('', `Missed within the budget: ${z.summary.missed.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

export function zooJson(z: ZooReport): string {
  return `${JSON.stringify(z, null, 2)}\n`;
}
