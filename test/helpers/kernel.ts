/** Test helpers: boot a design on a profile by id, apply ops, read window figures. */
import { BUILTIN_DESIGNS } from '../../src/model/designs/index.ts';
import { Kernel } from '../../src/model/kernel.ts';
import type { Op } from '../../src/model/ops.ts';
import { resolveProfile } from '../../src/model/profile.ts';

export function designById(id: string) {
  const d = BUILTIN_DESIGNS.find((x) => x.id === id);
  if (!d) throw new Error(`no design ${id}`);
  return d;
}

export function boot(profile: string, design = 'legacy-3.18'): Kernel {
  return Kernel.boot(resolveProfile(profile), designById(design));
}

export function applyAll(k: Kernel, ops: Op[]) {
  return ops.map((op) => k.apply(op));
}

export const MiB = 1 << 20;
export const uncachedCma = (len = MiB, client = 1): Op => ({ op: 'alloc', client, heap: 'cma', len });
