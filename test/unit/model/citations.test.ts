/**
 * Every model function that stands for a kernel function (it records itself in the call path with
 * `enter('name')`) carries a comment citing a KERNEL-MODEL.md rule id, so a reader who knows the
 * kernel finds the rule and one who does not finds the kernel function.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
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
