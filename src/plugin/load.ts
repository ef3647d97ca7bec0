/**
 * Import a plugin design's module from any folder: module hooks (./hooks.mjs) map `ionck` to this
 * package and compile the plugin's own files as ES modules; a load failure names the file, line and
 * column; a plugin calling process.exit while it loads is an error, not the end of the run.
 */
import { register } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PluginLoadError } from '../errors.ts';

let registered = false;

/** Register the plugin hooks once per process (the CLI, and each check worker). */
export function registerPluginHooks(): void {
  if (registered) return;
  registered = true;
  const own = import.meta.url;
  // src/ under tsx in a checkout, dist/ in a package: the entry beside this directory
  const indexUrl = new URL(own.endsWith('.ts') ? '../index.ts' : '../index.js', own).href;
  const packageRoot = fileURLToPath(new URL('../../', own));
  register(new URL('./hooks.mjs', own).href, { data: { indexUrl, packageRoot } });
  // stack traces of plugin code point into the plugin's source, not the compiled text
  process.setSourceMapsEnabled(true);
}

/** Where in `file` an error was thrown: `:line:column`, or '' when the stack does not say. */
export function locationIn(e: unknown, file: string): string {
  const stack = e instanceof Error ? (e.stack ?? '') : '';
  const url = pathToFileURL(file).href;
  for (const line of stack.split('\n')) {
    for (const name of [url, file]) {
      const at = line.indexOf(`${name}:`);
      if (at < 0) continue;
      const m = /^:(\d+):(\d+)/.exec(line.slice(at + name.length));
      if (m) return `:${m[1]}:${m[2]}`;
    }
  }
  return '';
}

class ExitCalled extends Error {
  override name = 'ExitCalled';
}

/** Import `file` (absolute); a throw, a syntax error or process.exit becomes a PluginLoadError. */
export async function importPlugin(file: string, shown: string): Promise<Record<string, unknown>> {
  registerPluginHooks();
  const exit = process.exit;
  process.exit = ((code?: number) => {
    throw new ExitCalled(`called process.exit(${code ?? ''}) while loading`);
  }) as typeof process.exit;
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n').find((l) => l.trim() !== '') ?? '';
    // the hooks' compile errors already start with `file:line:column: `
    if (msg.startsWith(`${file}:`)) throw new PluginLoadError(`${shown}${msg.slice(file.length)}`);
    if (e instanceof ExitCalled) throw new PluginLoadError(`${shown}${locationIn(e, file)}: ${msg}`);
    throw new PluginLoadError(`${shown}${locationIn(e, file)}: failed to load: ${msg.trim().slice(0, 300)}`);
  } finally {
    process.exit = exit;
  }
}
