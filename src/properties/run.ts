/**
 * Run an op sequence on a freshly booted kernel, checking invariants after every op. The one
 * runner behind check, replay, compare and the tests: replay does not depend on generators.
 */
import { OpError } from '../errors.ts';
import type { Design } from '../model/designs/design.ts';
import { Kernel, type OpResult } from '../model/kernel.ts';
import type { Op } from '../model/ops.ts';
import type { Profile } from '../model/profile.ts';
import { type CheckMode, checkStep, type InvariantId, type Violation } from '../spec/index.ts';

export interface StepRecord {
  readonly op: Op;
  readonly result: OpResult;
  readonly violations: readonly Violation[];
}

export interface RunOptions {
  readonly invariants: readonly InvariantId[];
  readonly mode?: CheckMode;
  /** Stop at the first violation of any checked invariant (default: run every op). */
  readonly stopOnViolation?: boolean;
  /** Called after every step (metrics, goals). */
  readonly onStep?: (k: Kernel, step: number, rec: StepRecord) => void;
}

export interface RunResult {
  readonly kernel: Kernel;
  readonly steps: StepRecord[];
  /** First violation of each invariant, with the step index (from 0). */
  readonly firstViolations: Map<string, { step: number; violation: Violation }>;
  /** The model or the design threw at this step (recorded as a type-ok violation there). */
  readonly threw?: { readonly step: number; readonly message: string };
}

export function runOps(profile: Profile, design: Design, ops: readonly Op[], opts: RunOptions): RunResult {
  const kernel = Kernel.boot(profile, design);
  const steps: StepRecord[] = [];
  const firstViolations = new Map<string, { step: number; violation: Violation }>();
  let threw: RunResult['threw'];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    let result: OpResult;
    let violations: Violation[];
    try {
      result = kernel.apply(op);
      violations = checkStep(kernel, opts.invariants, opts.mode ?? 'incremental');
    } catch (e) {
      if (e instanceof OpError) throw e;
      // a throw from the model or a design's code is that design's failure, never a crash
      const message = `${design.id} threw during '${op.op}': ${e instanceof Error ? e.message : String(e)}`;
      result = { ok: false, errno: 0, callPath: [...kernel.mm.trace.path], log: [] };
      violations = [{ invariant: 'type-ok', message, pfns: [], mappings: [] }];
      steps.push({ op, result, violations });
      firstViolations.set('type-ok', { step: i, violation: violations[0]! });
      threw = { step: i, message };
      break;
    }
    const rec = { op, result, violations };
    steps.push(rec);
    for (const v of violations)
      if (!firstViolations.has(v.invariant)) firstViolations.set(v.invariant, { step: i, violation: v });
    opts.onStep?.(kernel, i, rec);
    if (opts.stopOnViolation && violations.length > 0) break;
  }
  return { kernel, steps, firstViolations, ...(threw ? { threw } : {}) };
}
