/**
 * Test helpers: boot a design (built-in or zoo) on a profile by id, apply ops, run an op sequence
 * under one invariant in both checker forms, read window figures.
 */
import { expect } from 'vitest';
import { builtinDesign } from '../../src/model/designs/index.ts';
import { Kernel } from '../../src/model/kernel.ts';
import type { Op } from '../../src/model/ops.ts';
import { resolveProfile } from '../../src/model/profile.ts';
import { runOps } from '../../src/properties/run.ts';
import type { Invariant, InvariantId, Violation } from '../../src/spec/index.ts';

export function designById(id: string) {
  const d = builtinDesign(id);
  if (!d) throw new Error(`no design ${id}`);
  return d;
}

export function boot(profile: string, design = 'legacy-3.18'): Kernel {
  return Kernel.boot(resolveProfile(profile), designById(design));
}

export function applyAll(k: Kernel, ops: Op[]) {
  return ops.map((op) => k.apply(op));
}

/** Boot, then apply ops that must all succeed: the starting state of a hand-corruption test. */
export function bootWith(profile: string, design: string, ops: Op[]): Kernel {
  const k = boot(profile, design);
  for (const op of ops) {
    const r = k.apply(op);
    if (!r.ok) throw new Error(`${JSON.stringify(op)} failed with errno ${r.errno} on ${design}`);
  }
  return k;
}

/**
 * Run `ops` on a freshly booted design checking one invariant after every op, once with the
 * incremental and once with the full-scan checker: both must report the same first violation
 * (step and message). Returns it, or null when the invariant held throughout.
 */
export function verdict(profile: string, design: string, ops: Op[], inv: InvariantId) {
  const out: Record<string, { step: number; message: string; pfns: readonly number[] } | null> = {};
  for (const mode of ['incremental', 'full'] as const) {
    const r = runOps(resolveProfile(profile), designById(design), ops, { invariants: [inv], mode });
    // a type-ok failure (a model bug, or the design threw) would hide the invariant's verdict
    expect(r.firstViolations.get('type-ok')?.violation.message, `type-ok on ${design}`).toBeUndefined();
    const v = r.firstViolations.get(inv);
    out[mode] = v ? { step: v.step, message: v.violation.message, pfns: v.violation.pfns } : null;
  }
  expect(out.incremental).toEqual(out.full);
  return out.full ?? null;
}

/**
 * Ask an invariant about a kernel in both forms (the incremental one first, so a fresh kernel's
 * memo is built from this state); they must agree. Returns the full scan's violation.
 */
export function checkBoth(inv: Invariant, k: Kernel): Violation | null {
  const inc = inv.incremental(k);
  const full = inv.full(k);
  expect(inc, `${inv.id}: incremental and full disagree`).toEqual(full);
  return full;
}

export const MiB = 1 << 20;
export const KiB = 1024;
export const uncachedCma = (len = MiB, client = 1): Op => ({ op: 'alloc', client, heap: 'cma', len });
