/** Plain-text rendering shared by the commands: tables, steps, mappings, issue blocks. */

import { formatOp } from '../model/ops.ts';
import { errnoName, hex } from '../model/types.ts';
import type { StepView } from '../properties/check-result.ts';
import type { MappingInfo } from '../spec/index.ts';

export const hexPfn = (n: number): string => `0x${n.toString(16).toUpperCase()}`;

export function mib(bytes: number): string {
  const m = bytes / (1024 * 1024);
  return `${Number.isInteger(m) ? m : m.toFixed(2)} MiB`;
}

/** Left-aligned columns; numbers right-aligned. */
export function table(head: readonly string[], rows: readonly (readonly string[])[], indent = ''): string {
  const all = [head, ...rows];
  const widths = head.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const numeric = head.map((_, c) => rows.length > 0 && rows.every((r) => /^-?[\d.,]+$/.test(r[c] ?? '')));
  const line = (r: readonly string[]) =>
    indent +
    r
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}

export function resultText(s: Pick<StepView, 'ok' | 'errno' | 'value'>): string {
  if (!s.ok) return s.errno === null ? 'THREW' : `-${errnoName(s.errno)} (${-s.errno})`;
  return s.value === null ? 'ok' : `ok ${s.value}`;
}

/** One op step: index, op, result, then its call path on the next line. */
export function stepLines(i: number, s: StepView, indent = '  '): string {
  const path = s.callPath.length > 0 ? s.callPath.join(' > ') : '(no model calls)';
  return `${indent}#${i}  ${formatOp(s.op)}  -> ${resultText(s)}\n${indent}    ${path}\n`;
}

export function mappingLines(pfns: readonly number[], maps: readonly MappingInfo[], indent = '  '): string {
  if (maps.length === 0 && pfns.length === 0) return '';
  let out = '';
  if (pfns.length > 0)
    out += `${indent}pages: ${pfns
      .map(hexPfn)
      .map((p) => `pfn ${p}`)
      .join(', ')}\n`;
  if (maps.length > 0) {
    out += `${indent}mappings of pfn ${pfns.length > 0 ? hexPfn(pfns[0]!) : '?'}:\n`;
    out += table(
      ['kind', 'type', 'state', 'vaddr', 'owner'],
      maps.map((m) => [m.kind, m.type, m.state, m.vaddr >= 0 ? hex(m.vaddr) : '-', m.owner]),
      `${indent}  `,
    );
  }
  return out;
}

/** A one-word plural. */
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
