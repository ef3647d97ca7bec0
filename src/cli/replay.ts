/**
 * `ionck replay <file|token>`: boot the recorded design and profile (or --design), run every op,
 * check after each, print the trace. Exit 1 when a checked invariant is violated (the finding
 * reproduces), 0 when none is, 2 for bad input.
 */

import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ReplayError, UsageError } from '../errors.ts';
import type { Design } from '../model/designs/design.ts';
import { builtinDesign } from '../model/designs/index.ts';
import type { Profile } from '../model/profile.ts';
import { loadDesign } from '../plugin/design-arg.ts';
import { probePlugins } from '../plugin/probe.ts';
import {
  formatReplayFile,
  isCheckId,
  looksLikeToken,
  makeReplay,
  parseReplay,
  type Replay,
  type ReplayRun,
  replayInvariants,
  runReplay,
} from '../properties/replay.ts';
import type { ReplayTask } from '../properties/replay-worker.ts';
import { runInChild } from '../properties/worker-entry.ts';
import { mappingLines, stepLines } from '../report/terminal.ts';
import type { InvariantId } from '../spec/index.ts';
import { MODEL_VERSION, TOOL_VERSION } from '../version.ts';
import { profileOf, validateInvariants } from './check.ts';
import { validateBoot } from './designs.ts';
import { type CliIo, EXIT, validateOutFile } from './io.ts';
import { writeFileAtomic } from './write-atomic.ts';

export interface ReplayCliOptions {
  readonly input: string;
  readonly design?: string;
  readonly invariant: readonly string[];
  readonly json: boolean;
  readonly save?: string;
  /** Seconds a plugin design may take to replay before it is killed (default: no limit). */
  readonly timeLimit?: number;
}

/** Largest replay file read (bytes). */
export const REPLAY_FILE_BYTES_MAX = 64 * 1024 * 1024;

/** Read a replay from a token or a file; every failure is one UsageError line. */
export function readReplay(input: string, cwd: string): Replay {
  if (looksLikeToken(input)) {
    try {
      return parseReplay(input);
    } catch (e) {
      if (e instanceof ReplayError) throw new UsageError(e.message, 'bad-token');
      throw e;
    }
  }
  const path = resolve(cwd, input);
  if (!existsSync(path) || !statSync(path).isFile())
    throw new UsageError(
      `'${input.slice(0, 80)}' is neither a replay token (ionck1:...) nor a replay file that exists`,
      'bad-replay',
    );
  if (statSync(path).size > REPLAY_FILE_BYTES_MAX)
    throw new UsageError(`replay file ${input} is larger than 64 MiB`, 'bad-replay');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(
      `cannot read replay file ${input}: ${e instanceof Error ? e.message : e}`,
      'bad-replay',
    );
  }
  try {
    return parseReplay(text);
  } catch (e) {
    if (e instanceof ReplayError) throw new UsageError(`${input}: ${e.message}`, 'bad-replay');
    throw e;
  }
}

export async function replayCommand(o: ReplayCliOptions, io: CliIo): Promise<number> {
  const replay = readReplay(o.input, io.cwd);
  const asked = validateInvariants(o.invariant);
  const profile = profileOf(replay.profile);
  let design: Design;
  if (o.design !== undefined) {
    await probePlugins(
      [o.design],
      io.cwd,
      [profile.id],
      o.timeLimit === undefined ? undefined : o.timeLimit * 1000,
    );
    design = await loadDesign(o.design, io.cwd);
  } else {
    const d = builtinDesign(replay.design);
    if (!d)
      throw new UsageError(
        `the replay names design '${replay.design}', which is not built in; pass --design ./its-file.ts`,
        'unknown-design',
      );
    design = d;
  }
  validateBoot([design], profile);
  const savePath = o.save !== undefined ? resolve(io.cwd, o.save) : undefined;
  if (savePath) validateOutFile(savePath, '--save');

  const invariants = replayInvariants(replay, asked);
  const note = versionNote(replay);
  if (note) io.stderr(`ionck: ${note}\n`);
  const run = await replayOn(replay, design, profile, invariants, io.cwd, o.timeLimit);
  const violated = run.violations.length > 0;

  if (o.json) {
    io.stdout(
      `${JSON.stringify(
        {
          tool: 'ionck',
          toolVersion: TOOL_VERSION,
          modelVersion: MODEL_VERSION,
          recordedModelVersion: replay.modelVersion ?? null,
          command: 'replay',
          seed: replay.origin?.seed ?? null,
          profile: run.profile,
          parameters: { invariants: run.invariants, expect: replay.expect, ops: replay.ops.length },
          design: run.design,
          ...(design.source !== undefined ? { source: design.source } : {}),
          status: violated ? 'violated' : 'held',
          steps: run.steps,
          violations: run.violations.map((v) => ({
            invariant: v.invariant,
            step: v.step,
            message: v.message,
          })),
        },
        null,
        2,
      )}\n`,
    );
  } else io.stdout(renderReplay(replay, run));

  if (savePath) {
    const recorded =
      asked.length === 1
        ? asked[0]
        : (replay.invariant ?? run.violations.map((v) => v.invariant).find((id) => isCheckId(id)));
    writeFileAtomic(
      savePath,
      formatReplayFile(
        makeReplay({
          design: design.id,
          profile: replay.profile,
          invariant: recorded !== undefined && isCheckId(recorded) ? recorded : undefined,
          ops: replay.ops,
          expect: violated ? 'violated' : 'held',
          origin: replay.origin,
        }),
      ),
    );
    io.stderr(`ionck: saved replay to ${o.save} (expect: ${violated ? 'violated' : 'held'})\n`);
  }
  return violated ? EXIT.violated : EXIT.held;
}

/**
 * A built-in design replays in this process; a plugin design replays in a child process, so one
 * that loops (killed after --time-limit) or exits is one line naming its file, not a hang or a
 * silent exit.
 */
async function replayOn(
  replay: Replay,
  design: Design,
  profile: Profile,
  invariants: readonly InvariantId[],
  cwd: string,
  timeLimitS: number | undefined,
): Promise<ReplayRun> {
  if (design.source === undefined) return runReplay(replay, design, profile, invariants);
  const task: ReplayTask = { design: design.source, cwd, replay, profile: profile.id, invariants };
  const budgetMs = timeLimitS === undefined ? Number.POSITIVE_INFINITY : timeLimitS * 1000;
  const out = await runInChild<ReplayRun>('replay', task, budgetMs);
  if ('result' in out) return out.result;
  throw new UsageError(`design file ${design.source}: ${out.failure}`, 'design-failed');
}

/** Says so when the replay was recorded under another model version (its verdict may differ). */
export function versionNote(replay: Replay): string | null {
  if (replay.modelVersion === undefined || replay.modelVersion === MODEL_VERSION) return null;
  return `this replay was recorded under model version ${replay.modelVersion}; this ionck's model is version ${MODEL_VERSION}, so the verdict may differ from the recorded one`;
}

export function renderReplay(replay: Replay, run: ReplayRun): string {
  const checking = run.invariants.length === 0 ? 'type-ok only' : run.invariants.join(', ');
  let out = `ionck replay  design ${run.design}  profile ${run.profile}  ${run.steps.length}/${replay.ops.length} ops\n`;
  out += `checking: ${checking}  (recorded: ${replay.invariant ? `${replay.invariant} ` : ''}${replay.expect})\n\n`;
  run.steps.forEach((s, i) => {
    out += stepLines(i, s);
    for (const v of run.violations.filter((x) => x.step === i)) {
      out += `      !! ${v.invariant}: ${v.message}\n`;
      out += mappingLines(v.pfns, v.mappings, '         ');
    }
  });
  if (run.notRun > 0) out += `  (${run.notRun} more ops not run: the model threw)\n`;
  const first = run.violations[0];
  const verdict = first
    ? `violated: ${run.violations.map((v) => `${v.invariant} at step ${v.step}`).join(', ')}`
    : 'held: no checked invariant was violated';
  const agrees = (first ? 'violated' : 'held') === replay.expect;
  out += `\nverdict: ${verdict}${agrees ? ' (as recorded)' : ` (recorded: ${replay.expect})`}\n`;
  return out;
}
