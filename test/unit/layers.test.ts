/**
 * The architecture as checks (docs/architecture.md section 1): data flows one way, cli → compare /
 * report / properties / explore → spec → model; no import cycles, type imports included (madge);
 * the report layer only renders; the command line alone parses flags; the plugin loader alone
 * imports by path. Each rule is shown catching a planted violation as well as holding on src/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import madge from 'madge';
import { beforeAll, describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../../src');

function sources(dir = SRC): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|mjs)$/.test(f) ? [relative(SRC, p)] : [];
  });
}

/** Value (not type-only) import specifiers of a module's text, dynamic ones apart. */
function importsOf(text: string): { value: string[]; type: string[]; dynamic: string[] } {
  const value: string[] = [];
  const type: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm))
    (m[1] ? type : value).push(m[2]!);
  // import( as an expression (after await, =, ( or ,), not a method named import or text in a string
  const dynamic = [...text.matchAll(/(?:\bawait\s+|[=(,]\s*)import\(\s*([^)]*)\)/g)].map((m) => m[1]!.trim());
  return { value, type, dynamic };
}

/** Which layer a src-relative path belongs to. */
const layerOf = (file: string): string => (file.includes('/') ? file.split('/')[0]! : file);

/** Layers each layer may import values from (itself always). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  'errors.ts': [],
  'version.ts': [],
  model: ['errors.ts'],
  spec: ['model', 'errors.ts'],
  properties: ['model', 'spec', 'plugin', 'errors.ts', 'version.ts', 'report'],
  explore: ['model', 'spec', 'plugin', 'properties', 'errors.ts', 'version.ts'],
  compare: ['model', 'spec', 'properties', 'plugin', 'report', 'errors.ts', 'version.ts'],
  zoo: ['model', 'spec', 'properties', 'explore', 'errors.ts'],
  plugin: ['model', 'properties', 'errors.ts', 'version.ts'],
  report: ['version.ts', 'model/types.ts', 'model/ops.ts'],
  cli: [
    'model',
    'spec',
    'properties',
    'explore',
    'compare',
    'zoo',
    'plugin',
    'report',
    'errors.ts',
    'version.ts',
  ],
  'index.ts': ['model', 'spec', 'properties', 'explore', 'compare', 'report', 'errors.ts', 'version.ts'],
};

/** Every value import from `file` that its layer may not make. */
function layerViolations(file: string, text: string): string[] {
  const from = layerOf(file);
  const allowed = MAY_IMPORT[from] ?? [];
  const out: string[] = [];
  for (const spec of importsOf(text).value) {
    if (!spec.startsWith('.')) {
      if (spec === 'commander' && from !== 'cli') out.push(`${file} imports commander outside src/cli`);
      continue;
    }
    const target = relative(SRC, join(SRC, file, '..', spec));
    const to = layerOf(target);
    if (to === from || allowed.includes(to) || allowed.includes(target)) continue;
    out.push(`${file} imports ${target}`);
  }
  return out;
}

let files: string[] = [];
let circular: string[][] = [];
beforeAll(async () => {
  files = sources();
  const graph = await madge(SRC, {
    fileExtensions: ['ts'],
    tsConfig: join(SRC, '../tsconfig.json'),
    detectiveOptions: { ts: { skipTypeImports: false } },
  });
  circular = graph.circular();
}, 120_000);

describe('layers', () => {
  it('no import cycles, type imports included', () => {
    expect(circular).toEqual([]);
  });

  it('every value import goes down the layers; commander only in src/cli; src/report only renders', () => {
    const bad = files.flatMap((f) => layerViolations(f, readFileSync(join(SRC, f), 'utf8')));
    expect(bad).toEqual([]);
  });

  it('no import() of a path but the plugin loader', () => {
    const bad = files.filter(
      (f) => f !== 'plugin/load.ts' && importsOf(readFileSync(join(SRC, f), 'utf8')).dynamic.length > 0,
    );
    expect(bad).toEqual([]);
  });

  it('catches what it forbids: report running the model, commander outside cli, model reaching up', () => {
    expect(layerViolations('report/x.ts', "import { runOps } from '../properties/run.ts';\n")).toEqual([
      'report/x.ts imports properties/run.ts',
    ]);
    expect(
      layerViolations('report/x.ts', "import type { RunResult } from '../properties/run.ts';\n"),
    ).toEqual([]);
    expect(layerViolations('compare/x.ts', "import { Command } from 'commander';\n")).toEqual([
      'compare/x.ts imports commander outside src/cli',
    ]);
    expect(layerViolations('model/x.ts', "import { INVARIANTS } from '../spec/index.ts';\n")).toEqual([
      'model/x.ts imports spec/index.ts',
    ]);
    expect(importsOf('const m = await import(url);\n').dynamic).toEqual(['url']);
  });
});
