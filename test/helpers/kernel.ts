/**
 * Test helpers: boot a design (built-in or zoo) on a profile by id, apply ops, run an op sequence
 * under one invariant in both checker forms, ask the checkers, read window figures.
 */
import { expect } from 'vitest';
import { ALL_DESIGNS } from '../../src/model/designs/index.ts';
import { Kernel } from '../../src/model/kernel.ts';
import type { Op } from '../../src/model/ops.ts';
import { resolveProfile } from '../../src/model/profile.ts';
import type { HeapName } from '../../src/model/types.ts';
import { runOps } from '../../src/properties/run.ts';
import { INVARIANT_IDS, type Invariant, type InvariantId, type Violation } from '../../src/spec/index.ts';

/** A built-in or zoo design by id. */
export function designById(id: string) {
  const d = ALL_DESIGNS.find((x) => x.id === id);
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

/** An ALLOC op: the CMA heap, uncached, client 1 unless told. */
export const alloc = (
  len: number,
  o: { heap?: HeapName; cached?: boolean; client?: number; align?: number } = {},
): Op => ({
  op: 'alloc',
  client: o.client ?? 1,
  heap: o.heap ?? 'cma',
  len,
  ...(o.align !== undefined ? { align: o.align } : {}),
  ...(o.cached ? { cached: true } : {}),
});

/**
 * The first violation (invariant and step) of `invariants` when `designId` runs `ops` on
 * `profile`, or null. Both checker forms (incremental and full scan) are asked and must agree.
 */
export function firstViolation(
  profile: string,
  designId: string,
  ops: readonly Op[],
  invariants: InvariantId[],
) {
  const d = designById(designId);
  const out = (['incremental', 'full'] as const).map((mode) => {
    const r = runOps(resolveProfile(profile), d, ops, { invariants, mode });
    const vs = [...r.firstViolations.entries()].map(([inv, v]) => ({ inv, step: v.step }));
    return vs.sort((a, b) => a.step - b.step)[0] ?? null;
  });
  expect(out[0]).toEqual(out[1]);
  return out[1];
}

/** Every invariant the checker knows (for "holds everything" and "breaks only X" verdicts). */
export const ALL_INVARIANTS: InvariantId[] = [...INVARIANT_IDS];

/** The ION heaps of a booted kernel as `name:id:Class`, in ION's visiting order (ION-1). */
export const heapsOf = (k: Kernel): string[] =>
  k.ion.heaps.map((h) => `${h.name}:${h.id}:${h.constructor.name}`);
