/**
 * The replay format `ionck-replay/1` (docs/architecture.md section 5) and its one-line token
 * `ionck1:` + base64url(deflateRaw(JSON)). A replay holds concrete ops only, never generator
 * state, so a token stays valid when the arbitraries change. `parseReplay` validates everything
 * and throws one ReplayError whose message is one line naming what was wrong.
 */

import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { OpError, ProfileError, ReplayError } from '../errors.ts';
import type { Design } from '../model/designs/design.ts';
import { Kernel, type OpResult } from '../model/kernel.ts';
import { type Op, parseOp } from '../model/ops.ts';
import { type Profile, resolveProfile } from '../model/profile.ts';
import {
  type CheckId,
  type CheckMode,
  checkStep,
  INVARIANT_IDS,
  type InvariantId,
  type MappingInfo,
} from '../spec/index.ts';
import { MODEL_VERSION } from '../version.ts';

export const REPLAY_FORMAT = 'ionck-replay/1';
export const TOKEN_PREFIX = 'ionck1:';
/** Largest replay a token or file may hold (ops), and the largest inflated token (bytes). */
export const REPLAY_OPS_MAX = 100_000;
export const TOKEN_JSON_BYTES_MAX = 16 * 1024 * 1024;

export type Expect = 'violated' | 'held';

/** Where a replay came from (informational; replay never reads it). */
export interface ReplayOrigin {
  /** The seed of the run that found it. */
  readonly seed?: number;
  /** The fast-check counterexample path of the search run, before delta debugging. */
  readonly path?: string;
  /** The tool that wrote it, e.g. `ionck check`. */
  readonly tool?: string;
}

export interface Replay {
  readonly format: typeof REPLAY_FORMAT;
  /** The model version that recorded it (src/version.ts); absent in replays from before it was kept. */
  readonly modelVersion?: string;
  readonly design: string;
  /** A profile spec `ID[,key=value...]`, as resolveProfile takes it. */
  readonly profile: string;
  readonly invariant?: CheckId;
  readonly ops: readonly Op[];
  readonly expect: Expect;
  readonly origin?: ReplayOrigin;
}

/** An id replay files may name: an invariant, or type-ok (a model bug). */
export const isCheckId = (s: string): s is CheckId =>
  s === 'type-ok' || (INVARIANT_IDS as readonly string[]).includes(s);

const TOP_KEYS = ['format', 'modelVersion', 'design', 'profile', 'invariant', 'ops', 'expect', 'origin'];
const DESIGN_ID_RE = /^[a-z0-9][a-z0-9./_-]{0,63}$/;

/** Build a replay in canonical form (key order fixed, ops canonicalised by parseOp). */
export function makeReplay(r: {
  /** Default: this ionck's MODEL_VERSION. */
  modelVersion?: string | undefined;
  design: string;
  profile: string;
  invariant?: CheckId | undefined;
  ops: readonly Op[];
  expect: Expect;
  origin?: ReplayOrigin | undefined;
}): Replay {
  return {
    format: REPLAY_FORMAT,
    modelVersion: r.modelVersion ?? MODEL_VERSION,
    design: r.design,
    profile: r.profile,
    ...(r.invariant !== undefined ? { invariant: r.invariant } : {}),
    ops: r.ops.map((op, i) => parseOp(op, `ops[${i}]`)),
    expect: r.expect,
    ...(r.origin !== undefined ? { origin: canonicalOrigin(r.origin) } : {}),
  };
}

function canonicalOrigin(o: ReplayOrigin): ReplayOrigin {
  return {
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.path !== undefined ? { path: o.path } : {}),
    ...(o.tool !== undefined ? { tool: o.tool } : {}),
  };
}

/** Line width of replay files: the repository's formatter width, so saved files pass `biome check`. */
const FILE_WIDTH = 110;

const inlineOp = (op: Op): string =>
  Object.keys(op).length === 0
    ? '{}'
    : `{ ${Object.entries(op)
        .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
        .join(', ')} }`;

/** One op of the one-per-line form, expanded over lines only when it is wider than the file. */
function opLines(op: Op, comma: string): string {
  const line = `    ${inlineOp(op)}${comma}`;
  if (line.length <= FILE_WIDTH) return line;
  const fields = Object.entries(op).map(([k, v]) => `      ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  return `    {\n${fields.join(',\n')}\n    }${comma}`;
}

/**
 * The replay file's text: canonical key order, ops on one line when they fit, else one op per
 * line, so diffs read op by op. The layout is the one the repository's formatter (biome) prints.
 */
export function formatReplayFile(r: Replay): string {
  // the ops key comes before origin, and no valid design, profile or invariant holds '@@'
  const text = JSON.stringify(r, (k, v) => (k === 'ops' ? '@@ops@@' : v), 2);
  const comma = ','; // expect always follows ops
  const oneLine = `[${r.ops.map(inlineOp).join(', ')}]`;
  const body =
    r.ops.length === 0 || `  "ops": ${oneLine}${comma}`.length <= FILE_WIDTH
      ? oneLine
      : `[\n${r.ops.map((op, i) => opLines(op, i < r.ops.length - 1 ? ',' : '')).join('\n')}\n  ]`;
  return `${text.replace('"@@ops@@"', body)}\n`;
}

export function encodeToken(r: Replay): string {
  const json = JSON.stringify(r);
  return TOKEN_PREFIX + deflateRawSync(Buffer.from(json, 'utf8'), { level: 9 }).toString('base64url');
}

/** Decode a token to its JSON text (not yet validated). */
export function decodeToken(token: string): string {
  const t = token.trim();
  if (!t.startsWith(TOKEN_PREFIX)) {
    const m = /^ionck(\d+):/.exec(t);
    if (m)
      throw new ReplayError(
        `token version 'ionck${m[1]}:' is not supported (this ionck reads ${TOKEN_PREFIX})`,
      );
    throw new ReplayError(`not a replay token: it must start with '${TOKEN_PREFIX}'`);
  }
  const body = t.slice(TOKEN_PREFIX.length);
  if (body.length === 0) throw new ReplayError('replay token is empty after the prefix');
  if (!/^[A-Za-z0-9_-]+$/.test(body))
    throw new ReplayError('replay token is not base64url (only A-Z, a-z, 0-9, - and _ after the prefix)');
  if (body.length % 4 === 1) throw new ReplayError('replay token is truncated (bad base64url length)');
  const bytes = Buffer.from(body, 'base64url');
  let json: Buffer;
  try {
    json = inflateRawSync(bytes, { maxOutputLength: TOKEN_JSON_BYTES_MAX });
  } catch {
    throw new ReplayError('replay token is damaged or truncated (it does not inflate)');
  }
  const text = json.toString('utf8');
  if (Buffer.byteLength(text, 'utf8') !== json.length || text.includes('\uFFFD'))
    throw new ReplayError('replay token is damaged (its content is not UTF-8 text)');
  return text;
}

export const looksLikeToken = (s: string): boolean => /^\s*ionck\d+:/.test(s);

/** Parse a token or replay JSON text; throws ReplayError. */
export function parseReplay(text: string): Replay {
  const isToken = looksLikeToken(text);
  const json = isToken ? decodeToken(text) : text;
  let raw: unknown;
  try {
    // a UTF-8 byte order mark (Windows editors) is not part of the JSON
    raw = JSON.parse(json.replace(/^\uFEFF/, ''), (k, v) => {
      if (k === '__proto__') throw new ReplayError(`replay has a '__proto__' key`);
      return v;
    });
  } catch (e) {
    if (e instanceof ReplayError) throw e;
    const why = e instanceof Error ? e.message.split('\n')[0] : 'syntax error';
    throw new ReplayError(isToken ? 'replay token does not hold JSON' : `replay is not valid JSON: ${why}`);
  }
  return validateReplay(raw);
}

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** Validate a parsed replay object. */
export function validateReplay(raw: unknown): Replay {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ReplayError('replay must be a JSON object');
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!TOP_KEYS.includes(k))
      throw new ReplayError(`replay has an unknown field '${oneLine(k).slice(0, 40)}'`);
  if (o.format !== REPLAY_FORMAT) {
    if (typeof o.format === 'string' && o.format.startsWith('ionck-replay/'))
      throw new ReplayError(
        `replay format '${oneLine(o.format).slice(0, 40)}' is not supported (this ionck reads ${REPLAY_FORMAT})`,
      );
    throw new ReplayError(`replay 'format' must be "${REPLAY_FORMAT}"`);
  }
  if (
    o.modelVersion !== undefined &&
    (typeof o.modelVersion !== 'string' || !/^[\w.-]{1,40}$/.test(o.modelVersion))
  )
    throw new ReplayError(`replay 'modelVersion' must be a short version string`);
  if (typeof o.design !== 'string' || !DESIGN_ID_RE.test(o.design))
    throw new ReplayError(`replay 'design' must be a design id matching ${DESIGN_ID_RE}`);
  if (typeof o.profile !== 'string' || o.profile.length === 0 || o.profile.length > 200)
    throw new ReplayError(`replay 'profile' must be a profile spec string such as "arm32-1g"`);
  try {
    resolveProfile(o.profile);
  } catch (e) {
    if (e instanceof ProfileError) throw new ReplayError(`replay 'profile': ${oneLine(e.message)}`);
    throw e;
  }
  let invariant: CheckId | undefined;
  if (o.invariant !== undefined) {
    if (typeof o.invariant !== 'string' || !isCheckId(o.invariant))
      throw new ReplayError(
        `replay 'invariant' ${JSON.stringify(o.invariant)?.slice(0, 60)} is not an invariant id`,
      );
    invariant = o.invariant as CheckId;
  }
  if (!Array.isArray(o.ops)) throw new ReplayError(`replay 'ops' must be an array of ops`);
  if (o.ops.length > REPLAY_OPS_MAX) throw new ReplayError(`replay has more than ${REPLAY_OPS_MAX} ops`);
  const ops: Op[] = [];
  for (let i = 0; i < o.ops.length; i++) {
    try {
      ops.push(parseOp(o.ops[i], `ops[${i}]`));
    } catch (e) {
      if (e instanceof OpError) throw new ReplayError(`replay ${oneLine(e.message)}`);
      throw e;
    }
  }
  if (o.expect !== 'violated' && o.expect !== 'held')
    throw new ReplayError(`replay 'expect' must be "violated" or "held"`);
  let origin: ReplayOrigin | undefined;
  if (o.origin !== undefined) origin = validateOrigin(o.origin);
  return {
    format: REPLAY_FORMAT,
    ...(o.modelVersion !== undefined ? { modelVersion: o.modelVersion as string } : {}),
    design: o.design,
    profile: o.profile,
    ...(invariant !== undefined ? { invariant } : {}),
    ops,
    expect: o.expect,
    ...(origin !== undefined ? { origin } : {}),
  };
}

function validateOrigin(x: unknown): ReplayOrigin {
  if (typeof x !== 'object' || x === null || Array.isArray(x))
    throw new ReplayError(`replay 'origin' must be an object`);
  const o = x as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (k !== 'seed' && k !== 'path' && k !== 'tool')
      throw new ReplayError(`replay 'origin' has an unknown field '${oneLine(k).slice(0, 40)}'`);
  if (o.seed !== undefined && (typeof o.seed !== 'number' || !Number.isSafeInteger(o.seed)))
    throw new ReplayError(`replay 'origin.seed' must be an integer`);
  for (const k of ['path', 'tool'] as const)
    if (o[k] !== undefined && (typeof o[k] !== 'string' || (o[k] as string).length > 10_000))
      throw new ReplayError(`replay 'origin.${k}' must be a string`);
  return canonicalOrigin(o as ReplayOrigin);
}

// --- replaying -------------------------------------------------------------------------------

/** One op of a trace and what it returned (check and compare show their traces the same way). */
export interface ReplayStep {
  readonly op: Op;
  readonly ok: boolean;
  readonly errno: number | null;
  readonly value: number | null;
  readonly callPath: readonly string[];
}

/** The step of `op` from its result (errno and value null when absent). */
export const viewStep = (
  op: Op,
  r: { ok: boolean; errno?: number; value?: number; callPath: readonly string[] },
): ReplayStep => ({
  op,
  ok: r.ok,
  errno: r.errno ?? null,
  value: r.value ?? null,
  callPath: [...r.callPath],
});

export interface ReplayFinding {
  readonly invariant: string;
  readonly step: number;
  readonly message: string;
  readonly pfns: readonly number[];
  readonly mappings: readonly MappingInfo[];
}

export interface ReplayRun {
  readonly design: string;
  readonly profile: string;
  readonly invariants: readonly InvariantId[];
  readonly steps: readonly ReplayStep[];
  /** The first violation of each check id, in step order. */
  readonly violations: readonly ReplayFinding[];
  /** Ops not run because the model threw (state undefined after an exception). */
  readonly notRun: number;
}

/**
 * The invariants a replay checks: the ones asked for, else the one it records, else all.
 * (type-ok always runs first.)
 */
export function replayInvariants(r: Replay, asked: readonly InvariantId[]): InvariantId[] {
  if (asked.length > 0) return [...asked];
  if (r.invariant === 'type-ok') return [];
  if (r.invariant !== undefined) return [r.invariant];
  return [...INVARIANT_IDS];
}

/** Run every op of a replay on a freshly booted kernel (it does not stop at a violation). */
export function runReplay(
  r: Replay,
  design: Design,
  profile: Profile,
  invariants: readonly InvariantId[],
  mode: CheckMode = 'incremental',
): ReplayRun {
  const kernel = Kernel.boot(profile, design);
  const steps: ReplayStep[] = [];
  const violations: ReplayFinding[] = [];
  const seen = new Set<string>();
  let notRun = 0;
  for (let i = 0; i < r.ops.length; i++) {
    const op = r.ops[i]!;
    let res: OpResult;
    try {
      res = kernel.apply(op);
    } catch (e) {
      const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      // the step as far as it got: the model functions entered before the throw
      steps.push(viewStep(op, { ok: false, callPath: kernel.mm.trace.path }));
      violations.push({
        invariant: 'model-exception',
        step: i,
        message: `the model threw (a bug in the model or the design): ${msg.split('\n')[0]}`,
        pfns: [],
        mappings: [],
      });
      notRun = r.ops.length - i - 1;
      break;
    }
    steps.push(viewStep(op, res));
    for (const v of checkStep(kernel, invariants, mode)) {
      if (seen.has(v.invariant)) continue;
      seen.add(v.invariant);
      violations.push({
        invariant: v.invariant,
        step: i,
        message: v.message,
        pfns: v.pfns,
        mappings: v.mappings,
      });
    }
  }
  return { design: design.id, profile: profile.id, invariants, steps, violations, notRun };
}
