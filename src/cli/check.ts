/**
 * `ionck check`: validate every input, run runCheck, then render the result as the terminal
 * text, JSON (docs/architecture.md section 7), Markdown (--out, GitHub step summary) and JUnit. The result
 * is built once as data; every output is a projection of it.
 */

import { appendFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import type { Design } from '../model/designs/design.ts';
import { DEFAULT_DESIGN_IDS } from '../model/designs/index.ts';
import { HEAP_NAMES, type HeapName } from '../model/ion/heap.ts';
import { resolveProfile } from '../model/profile.ts';
import { probePlugins } from '../plugin/probe.ts';
import { runCheck } from '../properties/check.ts';
import type { CheckResult } from '../properties/check-result.ts';
import { loadProfileFiles } from '../properties/profile-files.ts';
import { formatReplayFile, parseReplay } from '../properties/replay.ts';
import { checkJson, checkJunit, checkMarkdown, githubAnnotations, renderCheck } from '../report/check.ts';
import { INVARIANT_IDS, type InvariantId } from '../spec/index.ts';
import { loadDesigns, validateBoot } from './designs.ts';
import { type CliIo, EXIT, validateOutDir, validateOutFile } from './io.ts';
import { checkProgress } from './progress.ts';
import { writeFileAtomic } from './write-atomic.ts';

export interface CheckCliOptions {
  readonly design: readonly string[];
  readonly profile: string;
  readonly invariant: readonly string[];
  readonly heap?: readonly string[];
  readonly runs: number;
  readonly maxOps: number;
  readonly seed: number;
  readonly timeLimit?: number;
  readonly workers?: number;
  readonly shard?: { index: number; count: number };
  readonly json: boolean;
  readonly out?: string;
  readonly junit?: string;
  readonly requireGoals: boolean;
  readonly stats: boolean;
}

export function validateInvariants(ids: readonly string[]): InvariantId[] {
  const out: InvariantId[] = [];
  for (const id of ids) {
    if (id === 'type-ok')
      throw new UsageError(`'type-ok' is not a choice: it always runs first`, 'unknown-invariant');
    if (!(INVARIANT_IDS as readonly string[]).includes(id))
      throw new UsageError(
        `unknown invariant '${id}' (known: ${INVARIANT_IDS.join(', ')})`,
        'unknown-invariant',
      );
    if (!out.includes(id as InvariantId)) out.push(id as InvariantId);
  }
  return out;
}

export function validateHeaps(names: readonly string[]): HeapName[] {
  const out: HeapName[] = [];
  for (const h of names) {
    if (!(HEAP_NAMES as readonly string[]).includes(h))
      throw new UsageError(`unknown heap '${h}' (known: ${HEAP_NAMES.join(', ')})`, 'unknown-heap');
    if (!out.includes(h as HeapName)) out.push(h as HeapName);
  }
  return out;
}

export function profileOf(spec: string) {
  try {
    loadProfileFiles(spec);
    return resolveProfile(spec);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e), 'unknown-profile');
  }
}

export async function checkCommand(o: CheckCliOptions, io: CliIo): Promise<number> {
  // validate everything before any work or any write
  const profile = profileOf(o.profile);
  const invariants = o.invariant.length > 0 ? validateInvariants(o.invariant) : [...INVARIANT_IDS];
  const heaps = o.heap && o.heap.length > 0 ? validateHeaps(o.heap) : [...HEAP_NAMES];
  const specs = o.design.length > 0 ? o.design : DEFAULT_DESIGN_IDS;
  // a plugin that loops or exits while loading or booting is one line, not a hang
  await probePlugins(specs, io.cwd, [profile.id], o.timeLimit === undefined ? undefined : o.timeLimit * 1000);
  const designs: Design[] = await loadDesigns(specs, io.cwd);
  validateBoot(designs, profile);
  const outDir = o.out !== undefined ? resolve(io.cwd, o.out) : undefined;
  const junitPath = o.junit !== undefined ? resolve(io.cwd, o.junit) : undefined;
  if (outDir) validateOutDir(outDir, '--out');
  if (junitPath) validateOutFile(junitPath, '--junit');

  const shardText = o.shard ? ` shard ${o.shard.index}/${o.shard.count},` : '';
  io.stderr(
    `ionck check: seed ${o.seed},${shardText} ${o.runs} runs of up to ${o.maxOps} ops per design on ${profile.id} (rerun with --seed ${o.seed})\n`,
  );
  const progress = checkProgress(io, false);
  let result: CheckResult;
  try {
    result = await runCheck({
      designs,
      profile,
      invariants,
      heaps,
      runs: o.runs,
      maxOps: o.maxOps,
      seed: o.seed,
      ...(o.timeLimit !== undefined ? { timeLimitMs: o.timeLimit * 1000 } : {}),
      ...(o.shard ? { shard: o.shard } : {}),
      ...(o.workers !== undefined ? { workers: o.workers } : {}),
      cwd: io.cwd,
      onProgress: (p) => progress.update(p),
    });
  } finally {
    progress.stop();
  }
  for (const r of result.results) progress.designDone(r);

  const json = checkJson(
    result,
    o.stats,
    { requireGoals: o.requireGoals, timeLimit: o.timeLimit ?? null },
    designs,
    exitCodeOf(result, o.requireGoals),
  );
  if (o.json) io.stdout(`${JSON.stringify(json, null, 2)}\n`);
  else io.stdout(renderCheck(result, designs, o));

  if (outDir) {
    writeFileAtomic(join(outDir, 'check.json'), `${JSON.stringify(json, null, 2)}\n`);
    writeFileAtomic(join(outDir, 'check.md'), checkMarkdown(result, designs));
    for (const r of result.results)
      for (const v of r.violations) {
        writeFileAtomic(
          join(outDir, 'replays', `${r.design.replace(/[^a-z0-9.-]/g, '_')}--${v.invariant}.json`),
          formatReplayFile(parseReplay(v.replay)),
        );
      }
  }
  if (junitPath) writeFileAtomic(junitPath, checkJunit(result, o.requireGoals));
  if (io.env.GITHUB_ACTIONS === 'true') {
    const annotate = o.json ? io.stderr : io.stdout;
    annotate(githubAnnotations(result, designs));
  }
  const summary = io.env.GITHUB_STEP_SUMMARY;
  if (summary) {
    try {
      appendFileSync(summary, checkMarkdown(result, designs));
    } catch (e) {
      io.stderr(`ionck: could not append to GITHUB_STEP_SUMMARY: ${e instanceof Error ? e.message : e}\n`);
    }
  }
  return exitCodeOf(result, o.requireGoals);
}

export function exitCodeOf(r: CheckResult, requireGoals: boolean): number {
  // a design that failed (threw, looped, exited) proved nothing: as bad as a violation
  if (r.results.some((d) => d.status === 'violated' || d.status === 'failed')) return EXIT.violated;
  if (requireGoals && r.results.some((d) => d.status === 'unproven')) return EXIT.violated;
  return EXIT.held;
}
