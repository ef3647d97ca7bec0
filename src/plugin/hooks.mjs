// Module hooks for plugin designs (registered by ./load.ts with node:module register): `ionck`
// resolves to this package's own entry, so a plugin shares the model's classes with the CLI; a
// plugin's own .ts/.mts/.js files are compiled by esbuild as ES modules whatever the nearest
// package.json says, so a design loads from any folder. Plain JavaScript: it runs in the hooks
// thread before any TypeScript loader.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

let indexUrl = '';
let packageRoot = '';

export function initialize(data) {
  indexUrl = data.indexUrl;
  packageRoot = data.packageRoot;
}

export async function resolve(specifier, context, next) {
  // through the rest of the chain, so a TypeScript loader (a checkout under tsx) still applies
  if (specifier === 'ionck') return next(indexUrl, context);
  return next(specifier, context);
}

const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.js': 'js', '.mjs': 'js' };

/** A plugin's file: outside this package and outside node_modules. */
function pluginLoader(url) {
  if (!url.startsWith('file:')) return null;
  const path = fileURLToPath(url);
  if (path.startsWith(packageRoot) || path.includes('/node_modules/')) return null;
  const ext = /\.[cm]?[jt]s$/.exec(path)?.[0];
  return ext ? { path, loader: LOADERS[ext] } : null;
}

export async function load(url, context, next) {
  const p = pluginLoader(url);
  if (!p?.loader) return next(url, context);
  const text = await readFile(p.path, 'utf8');
  let out;
  try {
    out = await transform(text, {
      loader: p.loader,
      format: 'esm',
      sourcefile: p.path,
      sourcemap: 'inline',
      target: 'node20',
    });
  } catch (e) {
    const m = e?.errors?.[0];
    const where = m?.location ? `${p.path}:${m.location.line}:${m.location.column + 1}` : p.path;
    throw new SyntaxError(`${where}: ${m?.text ?? String(e)}`);
  }
  return { format: 'module', source: out.code, shortCircuit: true };
}
