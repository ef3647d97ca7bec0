/**
 * One step of a design's check in a worker process (`ionck check --workers N`, and every plugin
 * design): a chunk's search or a finding's shrinking, the same DesignSearch methods the inline
 * check calls, so results are identical whatever the number of workers (elapsed times aside).
 * Run through src/cli/worker.ts (or in the check's own process, for built-in designs); the booted
 * design is kept for the next step of the same check.
 */

import { loadTaskTarget, type TaskTarget } from '../plugin/design-arg.ts';
import type { Chunk, ChunkResult, FindingSource } from './check-chunks.ts';
import { cpuMsSince, DesignSearch, type SearchOptions, type ShrunkFinding } from './check-design.ts';

interface StepBase extends TaskTarget {
  readonly options: SearchOptions;
  /** Wall-clock budget of this step in ms, from when it starts (Infinity: none). */
  readonly budgetMs: number;
}

export type CheckTask =
  | (StepBase & { readonly kind: 'chunk'; readonly chunk: Chunk })
  | (StepBase & { readonly kind: 'shrink'; readonly finding: FindingSource });

export type CheckStepResult =
  | { readonly kind: 'chunk'; readonly result: ChunkResult; readonly busyMs: number; readonly cpuMs: number }
  | {
      readonly kind: 'shrink';
      readonly result: ShrunkFinding;
      readonly busyMs: number;
      readonly cpuMs: number;
    };

/** The last design booted in this process, by everything its search depends on. */
let cached: { key: string; search: DesignSearch } | null = null;

async function searchFor(t: CheckTask): Promise<DesignSearch> {
  const key = JSON.stringify([t.design, t.cwd, t.profile, t.options]);
  if (cached?.key === key) return cached.search;
  const { design, profile } = await loadTaskTarget(t);
  cached = { key, search: new DesignSearch(design, profile, t.options) };
  return cached.search;
}

export default async function checkTask(t: CheckTask): Promise<CheckStepResult> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  // busy time includes loading and booting the design, the first time; the budget does not
  const search = await searchFor(t);
  const deadline = performance.now() + t.budgetMs;
  switch (t.kind) {
    case 'chunk': {
      const result = search.searchChunk(t.chunk, deadline);
      return { kind: 'chunk', result, busyMs: performance.now() - t0, cpuMs: cpuMsSince(cpu0) };
    }
    case 'shrink': {
      const result = search.shrinkFinding(t.finding, deadline);
      return { kind: 'shrink', result, busyMs: performance.now() - t0, cpuMs: cpuMsSince(cpu0) };
    }
  }
}
