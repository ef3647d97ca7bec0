/**
 * Every model function that stands for a kernel function (it records itself in the call path with
 * `enter('name')`) carries a comment citing a docs/model.md rule id, so a reader who knows the
 * kernel finds the rule and one who does not finds the kernel function.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const RULE =
  /\b(LAYOUT|VMALLOC|CMA|DMA318|DMA41|ION|ION412|HEAP-[A-Z]+|DMABUF-CMA|ARCH|GOLD)-\d+\b|\bB\d{1,2}\b/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

it('each function entering the call path cites a rule id in the comment or doc comment above it', () => {
  const missing: string[] = [];
  let seen = 0;
  for (const f of files('src/model')) {
    const lines = readFileSync(f, 'utf8').split('\n');
    lines.forEach((line, i) => {
      const m = /enter\('([A-Za-z]+)'\)/.exec(line);
      if (!m) return;
      seen++;
      // walk up to the function header, then read the comments just above it
      let j = i;
      while (
        j > 0 &&
        !/^\s*(export\s+)?((private|protected|public|static|async)\s+)*(function\s+)?[a-zA-Z_$][\w$]*\s*[(<]/.test(
          lines[j]!,
        ) &&
        !/^\s*[a-zA-Z]+\(.*\)\s*\{/.test(lines[j]!) &&
        !/=>\s*\{?$/.test(lines[j]!)
      )
        j--;
      const above = lines.slice(Math.max(0, j - 8), j + 1).join('\n');
      const inside = lines.slice(j, i + 1).join('\n');
      if (!RULE.test(above) && !RULE.test(inside)) missing.push(`${f}:${i + 1} ${m[1]}`);
    });
  }
  expect(seen).toBeGreaterThan(40);
  expect(missing).toEqual([]);
});

/**
 * The project carries its own model reference (issue 11, item 7): every rule id cited anywhere in
 * src/ is defined in docs/model.md. "Defined" means the id opens a bolded list item
 * (`- **CMA-4** ...`) or is the first cell of a table row (`| GOLD-13 |`, `| B12 |`).
 * Ranges and continuations are expanded: `DMA318-3..6` cites DMA318-3 to DMA318-6, and
 * `VMALLOC-3, -4, -5` cites VMALLOC-3, VMALLOC-4 and VMALLOC-5.
 */
const RULE_PREFIX = '(?:LAYOUT|VMALLOC|CMA|DMA318|DMA41|ION|ION412|HEAP-[A-Z]+|DMABUF-CMA|ARCH|GOLD)';

function citedIds(text: string): Set<string> {
  const out = new Set<string>();
  const re = new RegExp(
    String.raw`\b(${RULE_PREFIX})-(\d+)\b(?:\.\.(\d+)\b)?((?:\s*,\s*-\d+\b)*)|\bB(\d{1,2})\b`,
    'g',
  );
  for (const m of text.matchAll(re)) {
    if (m[5] !== undefined) {
      out.add(`B${m[5]}`);
      continue;
    }
    const prefix = m[1]!;
    const from = Number(m[2]);
    const to = m[3] !== undefined ? Number(m[3]) : from;
    for (let n = from; n <= Math.max(from, to); n++) out.add(`${prefix}-${n}`);
    for (const c of (m[4] ?? '').matchAll(/-(\d+)/g)) out.add(`${prefix}-${c[1]}`);
  }
  return out;
}

function definedIds(markdown: string): Set<string> {
  const out = new Set<string>();
  const id = String.raw`(${RULE_PREFIX}-\d+|B\d{1,2})`;
  const bold = new RegExp(String.raw`^\s*[-*]\s+\*\*${id}\*\*`);
  const row = new RegExp(String.raw`^\|\s*${id}\s*\|`);
  for (const line of markdown.split('\n')) {
    const m = bold.exec(line) ?? row.exec(line);
    if (m) out.add(m[1]!);
  }
  return out;
}

it('the citation parsers read what they claim to read', () => {
  expect([...citedIds('DMA318-3..6; VMALLOC-3, -4, -5 (B18, not 0xB18 or B123); HEAP-CMA-4')].sort()).toEqual(
    [
      'B18',
      'DMA318-3',
      'DMA318-4',
      'DMA318-5',
      'DMA318-6',
      'HEAP-CMA-4',
      'VMALLOC-3',
      'VMALLOC-4',
      'VMALLOC-5',
    ].sort(),
  );
  const md = '- **CMA-4** first fit\n| B12 | bytes |\n| id | GOLD-1 |\nCMA-5 is mentioned, not defined\n';
  expect([...definedIds(md)].sort()).toEqual(['B12', 'CMA-4']);
});

it('every rule id cited in src/ is defined in docs/model.md', () => {
  const defined = definedIds(readFileSync('docs/model.md', 'utf8'));
  // the reference defines every family the code cites, and a made-up id is not "defined"
  expect(defined.size).toBeGreaterThan(100);
  expect(defined.has('CMA-99')).toBe(false);
  const undefinedCites: string[] = [];
  let cites = 0;
  for (const f of files('src')) {
    for (const id of citedIds(readFileSync(f, 'utf8'))) {
      cites++;
      if (!defined.has(id)) undefinedCites.push(`${f}: ${id}`);
    }
  }
  expect(cites).toBeGreaterThan(100);
  expect(undefinedCites).toEqual([]);
});

it('no file in the repository refers to the sibling shared/ directory', () => {
  // built so that this file does not match itself
  const needle = ['..', 'shared'].join('/');
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f !== '' && !f.startsWith('reports/') && existsSync(f));
  expect(listed.length).toBeGreaterThan(50);
  const offenders = listed.filter((f) => {
    const buf = readFileSync(f);
    return !buf.includes(0) && buf.toString('utf8').includes(needle);
  });
  expect(offenders).toEqual([]);
});
