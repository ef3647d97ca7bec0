/** Test helpers: boot a design on a profile by id, apply ops, read window figures, ask the checkers. */
import { expect } from 'vitest';
import { ALL_DESIGNS } from '../../src/model/designs/index.ts';
import { Kernel } from '../../src/model/kernel.ts';
import type { Op } from '../../src/model/ops.ts';
import { resolveProfile } from '../../src/model/profile.ts';
import type { HeapName } from '../../src/model/types.ts';
import { runOps } from '../../src/properties/run.ts';
import { INVARIANT_IDS, type InvariantId } from '../../src/spec/index.ts';

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

export const KiB = 1024;
export const MiB = 1 << 20;
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
