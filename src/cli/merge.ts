/**
 * `ionck merge SHARD.json...`: join the JSON of `ionck check --shard i/n --json` jobs (a CI matrix)
 * into the JSON one unsharded job gives, byte for byte apart from elapsedMs and timing: the same designs in
 * the same order with their findings, shortest counterexamples, goals and the same exit code.
 * Every shard must come from the same tool and model version, seed, profile and parameters, and
 * every shard 1..n exactly once; anything else is bad input (exit 2, one line).
 */

import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { MODEL_VERSION, TOOL_VERSION } from '../version.ts';
import { type CliIo, EXIT, validateOutFile } from './io.ts';
import { writeFileAtomic } from './write-atomic.ts';

export interface MergeCliOptions {
  readonly files: readonly string[];
  readonly out?: string;
}

interface ShardJson {
  readonly toolVersion: string;
  readonly modelVersion: string;
  readonly command: string;
  readonly seed: number;
  readonly profile: string;
  readonly parameters: { readonly shard: { index: number; count: number } | null } & Record<string, unknown>;
  readonly exitCode: number;
  readonly results: readonly { readonly design: string; readonly status: string }[];
}

/** The same parameters apart from the shard. */
const key = (j: ShardJson): string =>
  JSON.stringify({
    toolVersion: j.toolVersion,
    modelVersion: j.modelVersion,
    seed: j.seed,
    profile: j.profile,
    parameters: { ...j.parameters, shard: null },
  });

function readShard(file: string, cwd: string): ShardJson {
  const path = resolve(cwd, file);
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`merge: ${file} is not a file`);
  let j: ShardJson;
  try {
    j = JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, '')) as ShardJson;
  } catch (e) {
    throw new UsageError(`merge: ${file} is not JSON (${e instanceof Error ? e.message.split('\n')[0] : e})`);
  }
  if (typeof j !== 'object' || j === null || j.command !== 'check' || !Array.isArray(j.results))
    throw new UsageError(`merge: ${file} is not the JSON of 'ionck check --json'`);
  if (!j.parameters?.shard) throw new UsageError(`merge: ${file} is not a shard (no --shard i/n)`);
  return j;
}

/** The merged JSON and its exit code; throws UsageError when the shards do not fit together. */
export function mergeShards(shards: readonly { file: string; json: ShardJson }[]): ShardJson {
  const first = shards[0]!;
  const n = first.json.parameters.shard!.count;
  const byIndex = new Map<number, ShardJson>();
  for (const s of shards) {
    if (key(s.json) !== key(first.json))
      throw new UsageError(
        `merge: ${s.file} was checked with other versions, seed, profile or parameters than ${first.file}`,
      );
    const sh = s.json.parameters.shard!;
    if (sh.count !== n)
      throw new UsageError(`merge: ${s.file} is shard ${sh.index}/${sh.count}, not of ${n}`);
    if (byIndex.has(sh.index)) throw new UsageError(`merge: shard ${sh.index}/${n} is given twice`);
    byIndex.set(sh.index, s.json);
  }
  const missing = Array.from({ length: n }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length > 0) throw new UsageError(`merge: shard ${missing.join(', ')} of ${n} is missing`);
  // design k of the whole check is design floor(k/n) of shard (k mod n) + 1
  const total = [...byIndex.values()].reduce((a, j) => a + j.results.length, 0);
  const results: ShardJson['results'][number][] = [];
  for (let k = 0; k < total; k++) {
    const r = byIndex.get((k % n) + 1)!.results[Math.floor(k / n)];
    if (!r) throw new UsageError(`merge: the shards' design counts do not fit one check`);
    results.push(r);
  }
  const requireGoals = first.json.parameters.requireGoals === true;
  const bad = results.some(
    (r) => r.status === 'violated' || r.status === 'failed' || (requireGoals && r.status === 'unproven'),
  );
  // the shards' wall-clock figures (timing) describe their own jobs, not the merged one
  const { timing: _, ...fields } = first.json as ShardJson & { timing?: unknown };
  return {
    ...fields,
    parameters: { ...first.json.parameters, shard: null },
    exitCode: bad ? EXIT.violated : EXIT.held,
    results,
  };
}

export function mergeCommand(o: MergeCliOptions, io: CliIo): number {
  if (o.files.length === 0) throw new UsageError('merge: give the shards’ JSON files');
  const shards = o.files.map((file) => ({ file, json: readShard(file, io.cwd) }));
  const outPath = o.out !== undefined ? resolve(io.cwd, o.out) : undefined;
  if (outPath) validateOutFile(outPath, '--out');
  const merged = mergeShards(shards);
  if (merged.toolVersion !== TOOL_VERSION || merged.modelVersion !== MODEL_VERSION)
    io.stderr(
      `ionck merge: the shards come from ionck ${merged.toolVersion} (model ${merged.modelVersion}); this is ${TOOL_VERSION} (model ${MODEL_VERSION})\n`,
    );
  const text = `${JSON.stringify(merged, null, 2)}\n`;
  if (outPath) writeFileAtomic(outPath, text);
  io.stdout(text);
  return merged.exitCode;
}
