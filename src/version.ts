/**
 * Versions every JSON output and every replay token carries: the tool's (package.json) and the
 * model's. MODEL_VERSION changes whenever a rule of the model changes what an op sequence does, so
 * a token replayed under another model version can say that its verdict may differ.
 */
import { createRequire } from 'node:module';

// package.json sits one level above src/ in a checkout and above dist/ in a package
const pkg = createRequire(import.meta.url)('../package.json') as { version: string };

export const TOOL_VERSION: string = pkg.version;
export const MODEL_VERSION = '3';
