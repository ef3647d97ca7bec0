/**
 * docs/expected-verdicts.md says what test/expected-verdicts.json says: every verdict of the
 * manifest (profile × design × invariant) appears in the profile's table with the same word and
 * a matching mark (✅ held, ❌ violated), every `why` reason appears under its key with the same
 * text, and the doc has nothing the manifest does not. The parser here is written apart from
 * scripts/expected-verdicts-doc.ts (which generates the tables), so a bug in the generator is not
 * repeated by the check. After changing the manifest: `npx tsx scripts/expected-verdicts-doc.ts`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface Manifest {
  verdicts: Record<string, Record<string, Record<string, string>>>;
  why: Record<string, string>;
}

type Verdicts = Map<string, string>; // `profile design invariant` -> verdict word

const MARKS: Record<string, string> = { held: '✅', violated: '❌' };

const unquote = (s: string) => s.trim().replace(/^`(.*)`$/, '$1');
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The verdict tables and reasons of the doc, plus anything malformed found on the way. */
function parseDoc(md: string): { verdicts: Verdicts; reasons: Map<string, string>; problems: string[] } {
  const verdicts: Verdicts = new Map();
  const reasons = new Map<string, string>();
  const problems: string[] = [];
  const lines = md.split('\n');
  let profile: string | null = null;
  let columns: string[] | null = null;
  for (const line of lines) {
    const heading = /^#{2,4}\s+Profile\s+`([^`]+)`\s*$/.exec(line);
    if (heading) {
      profile = heading[1]!;
      columns = null;
      continue;
    }
    if (/^#/.test(line)) {
      profile = null;
      columns = null;
    }
    const reason = /^[-*]\s+`([^`]+)`:\s+(.*)$/.exec(line);
    if (reason) {
      if (reasons.has(reason[1]!)) problems.push(`reason '${reason[1]}' appears twice`);
      reasons.set(reason[1]!, oneLine(reason[2]!));
      continue;
    }
    if (profile === null || !line.startsWith('|')) continue;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells.every((c) => /^:?-+:?$/.test(c))) continue;
    if (columns === null) {
      columns = cells.slice(1).map(unquote);
      continue;
    }
    const design = unquote(cells[0]!);
    cells.slice(1).forEach((c, i) => {
      if (c === '') return;
      const word = /([a-z-]+)$/.exec(c)?.[1];
      const inv = columns![i];
      if (!word || !inv) {
        problems.push(`${profile}/${design}: cannot read cell '${c}'`);
        return;
      }
      const mark = MARKS[word];
      if (mark && !c.startsWith(mark))
        problems.push(`${profile}/${design}/${inv}: '${c}' has the wrong mark`);
      const key = `${profile} ${design} ${inv}`;
      if (verdicts.has(key)) problems.push(`${key} appears twice`);
      verdicts.set(key, word);
    });
  }
  return { verdicts, reasons, problems };
}

/** Every way the doc and the manifest disagree, one line each; empty when they agree. */
function disagreements(m: Manifest, md: string): string[] {
  const doc = parseDoc(md);
  const out = [...doc.problems];
  const want: Verdicts = new Map();
  for (const [profile, designs] of Object.entries(m.verdicts))
    for (const [design, byInv] of Object.entries(designs))
      for (const [inv, v] of Object.entries(byInv)) want.set(`${profile} ${design} ${inv}`, v);
  for (const [key, v] of want) {
    const got = doc.verdicts.get(key);
    if (got === undefined) out.push(`verdict ${key} (${v}) is missing from the doc`);
    else if (got !== v) out.push(`verdict ${key}: manifest ${v}, doc ${got}`);
  }
  for (const key of doc.verdicts.keys())
    if (!want.has(key)) out.push(`verdict ${key} is not in the manifest`);
  for (const [key, reason] of Object.entries(m.why)) {
    const got = doc.reasons.get(key);
    if (got === undefined) out.push(`reason '${key}' is missing from the doc`);
    else if (got !== oneLine(reason)) out.push(`reason '${key}' differs from the manifest`);
  }
  for (const key of doc.reasons.keys())
    if (!(key in m.why)) out.push(`reason '${key}' is not in the manifest`);
  return out;
}

const manifest = JSON.parse(readFileSync('test/expected-verdicts.json', 'utf8')) as Manifest;
const doc = readFileSync('docs/expected-verdicts.md', 'utf8');

describe('docs/expected-verdicts.md', () => {
  it('reads a table for every profile and a reason for every key', () => {
    const parsed = parseDoc(doc);
    const count = Object.values(manifest.verdicts).reduce(
      (n, ds) => n + Object.values(ds).reduce((k, byInv) => k + Object.keys(byInv).length, 0),
      0,
    );
    expect(count).toBeGreaterThan(0);
    expect(parsed.verdicts.size).toBe(count);
    expect(parsed.reasons.size).toBe(Object.keys(manifest.why).length);
  });

  it('agrees with test/expected-verdicts.json (regenerate: npx tsx scripts/expected-verdicts-doc.ts)', () => {
    expect(disagreements(manifest, doc)).toEqual([]);
  });

  it('notices a flipped verdict, a wrong mark, a missing row, a changed reason and an extra reason', () => {
    const [profile, designs] = Object.entries(manifest.verdicts)[0]!;
    const [design] = Object.entries(designs)[0]!;
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${design}\` |`))!;
    expect(row).toBeDefined();
    const flipped = row.includes('✅ held')
      ? row.replace('✅ held', '❌ violated')
      : row.replace('❌ violated', '✅ held');
    const mutants: Record<string, string> = {
      flipped: doc.replace(row, flipped),
      mark: doc.replace(row, row.replace('✅ held', '❌ held')),
      missingRow: doc.replace(`${row}\n`, ''),
      reason: doc.replace(/^(- `[^`]+`: .*)$/m, '$1 (edited)'),
      extraReason: `${doc}\n- \`nobody/nothing\`: invented\n`,
    };
    for (const [what, md] of Object.entries(mutants)) {
      expect(md, what).not.toBe(doc);
      expect(disagreements(manifest, md).length, `${what} (${profile})`).toBeGreaterThan(0);
    }
  });
});
