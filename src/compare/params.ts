/**
 * The parameters of `ionck compare`: the options a caller gives, their defaults, and their
 * resolution into designs, profiles and workloads (an unknown or repeated one is a CompareError).
 */

import { CompareError } from '../errors.ts';
import type { Design } from '../model/designs/design.ts';
import { ALL_DESIGNS, BUILTIN_DESIGNS, builtinDesign } from '../model/designs/index.ts';
import { type Profile, resolveProfile } from '../model/profile.ts';
import { WORKLOADS, type Workload, workloadById } from '../properties/workloads.ts';

/** The profiles `npm start` compares: CMA in highmem, and CMA pushed into lowmem. */
export const DEFAULT_COMPARE_PROFILES = ['arm32-1g', 'arm32-1g-cma512'] as const;
/** Ops per workload by default: enough for legacy-3.18 to exhaust the window on seed-product. */
export const DEFAULT_COMPARE_OPS = 1000;
/** The default seed: the date of the seed message (LKML, 2016-09-01). */
export const DEFAULT_COMPARE_SEED = 20160901;
/**
 * No wall-clock budget for the counterexample searches unless the user sets one (--time-limit):
 * they are bounded by runs and ops, so the report is the same on a loaded machine as on an idle
 * one. (A 30 s default used to cut them short on a busy 2-core machine, and the conclusion named
 * another design.)
 */
export const COUNTEREXAMPLE_BUDGET_MS = Number.POSITIVE_INFINITY;

export interface CompareOptions {
  /** Designs (objects, or built-in ids). Default: all built-in designs. */
  readonly designs?: readonly (Design | string)[];
  /** Profiles (objects, or specs `ID[,key=value...]`). Default: DEFAULT_COMPARE_PROFILES. */
  readonly profiles?: readonly (Profile | string)[];
  /** Workloads (objects, or ids). Default: all. */
  readonly workloads?: readonly (Workload | string)[];
  /** Ops per workload stream. */
  readonly ops?: number;
  readonly seed?: number;
  /**
   * Search a shrunk counterexample per violated invariant with runCheck (default true); without it,
   * each counterexample is the workload's own prefix up to the first violation.
   */
  readonly shrink?: boolean;
  /** Wall-clock budget for all counterexample searches together. */
  readonly counterexampleBudgetMs?: number;
  readonly onProgress?: (e: ProgressEvent) => void;
  /**
   * Wall-clock budget of the whole comparison; each plugin design's runs share an equal part of it
   * (default: none). Plugin designs run in a child process of their own, so one that loops is killed
   * when its part is spent and one that exits ends only that process: either is that design's failure.
   */
  readonly timeLimitMs?: number;
  /** Where plugin designs' files are resolved from (default: the process's working directory). */
  readonly cwd?: string;
}

export type ProgressEvent =
  | {
      readonly phase: 'run';
      readonly done: number;
      readonly total: number;
      readonly design: string;
      readonly profile: string;
      readonly workload: string;
      readonly elapsedMs: number;
    }
  | {
      readonly phase: 'counterexample';
      readonly done: number;
      readonly total: number;
      readonly label: string;
    };

/** The options resolved: what a comparison runs. */
export interface CompareParams {
  readonly designs: Design[];
  readonly profiles: Profile[];
  readonly workloads: Workload[];
  readonly nOps: number;
  readonly seed: number;
}

export function resolveParams(opts: CompareOptions): CompareParams {
  const designs = resolveDesigns(opts.designs);
  const profiles = resolveProfiles(opts.profiles);
  const workloads = resolveWorkloads(opts.workloads);
  const nOps = opts.ops ?? DEFAULT_COMPARE_OPS;
  const seed = opts.seed ?? DEFAULT_COMPARE_SEED;
  if (!Number.isSafeInteger(nOps) || nOps < 1)
    throw new CompareError(`--ops must be a positive integer, not ${nOps}`);
  if (!Number.isSafeInteger(seed)) throw new CompareError(`--seed must be an integer, not ${seed}`);
  checkUnique(
    'design',
    designs.map((d) => d.id),
  );
  checkUnique(
    'profile',
    profiles.map((p) => p.id),
  );
  checkUnique(
    'workload',
    workloads.map((w) => w.id),
  );
  return { designs, profiles, workloads, nOps, seed };
}

function resolveDesigns(xs: readonly (Design | string)[] | undefined): Design[] {
  if (!xs || xs.length === 0) return [...BUILTIN_DESIGNS];
  return xs.map((x) => {
    if (typeof x !== 'string') return x;
    const d = builtinDesign(x);
    if (!d)
      throw new CompareError(`unknown design '${x}' (known: ${ALL_DESIGNS.map((b) => b.id).join(', ')})`);
    return d;
  });
}

function resolveProfiles(xs: readonly (Profile | string)[] | undefined): Profile[] {
  const list = !xs || xs.length === 0 ? [...DEFAULT_COMPARE_PROFILES] : xs;
  return list.map((x) => (typeof x === 'string' ? resolveProfile(x) : x));
}

function resolveWorkloads(xs: readonly (Workload | string)[] | undefined): Workload[] {
  if (!xs || xs.length === 0) return [...WORKLOADS];
  return xs.map((x) => {
    if (typeof x !== 'string') return x;
    const w = workloadById(x);
    if (!w)
      throw new CompareError(`unknown workload '${x}' (known: ${WORKLOADS.map((k) => k.id).join(', ')})`);
    return w;
  });
}

function checkUnique(kind: string, ids: readonly string[]): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw new CompareError(`${kind} '${id}' is given twice`);
    seen.add(id);
  }
}
