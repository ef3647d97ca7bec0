/**
 * kernel.apply over thousands of random op sequences on every design: it never throws, ids are
 * handed out in creation order (docs/architecture.md section 5), and every allocation is eventually freeable:
 * tearing everything down brings the allocators back to their boot state.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_DESIGNS, BUILTIN_DESIGNS } from '../../../src/model/designs/index.ts';
import { Kernel } from '../../../src/model/kernel.ts';
import type { Op } from '../../../src/model/ops.ts';
import { resolveProfile } from '../../../src/model/profile.ts';
import { freedCompletely } from '../../../src/spec/freed-completely.ts';
import { opsArb } from '../../helpers/random-ops.ts';

/** Undo everything a run left: VMAs, attachments, fds, kmaps, handles, driver areas, pools, lazy areas. */
function teardown(k: Kernel): void {
  const ion = k.ion;
  for (const v of ion.vmas) if (v.live) k.apply({ op: 'munmap', vma: v.id });
  for (const a of ion.attachments)
    if (a.live) k.apply({ op: 'dma-unmap', fd: a.dmabuf.fd, device: a.device });
  for (const d of ion.dmabufs) if (d.fdOpen) k.apply({ op: 'close', fd: d.fd });
  for (const c of [...ion.clients.keys()]) k.apply({ op: 'client-exit', client: c });
  for (const a of k.driverAreas) if (a.live) k.apply({ op: 'driver-vunmap', area: a.id });
  k.apply({ op: 'shrink' });
  k.apply({ op: 'purge' });
}

function checkIds(k: Kernel, op: Op, r: { ok: boolean; value?: number }, counts: Record<string, number>) {
  if (!r.ok) return;
  const next = (kind: string) => {
    const v = counts[kind] ?? 0;
    counts[kind] = v + 1;
    return v;
  };
  switch (op.op) {
    case 'alloc':
      expect(r.value).toBe(next('handle'));
      break;
    case 'share':
      expect(r.value).toBe(next('fd'));
      break;
    case 'mmap':
      expect(r.value).toBe(next('vma'));
      break;
    case 'driver-vmap':
      expect(r.value).toBe(next('area'));
      break;
    case 'import':
      if (r.value === (counts.handle ?? 0)) next('handle');
      else expect(r.value).toBeLessThan(counts.handle ?? 0);
      break;
    default:
  }
  expect(k.ion.handles.length).toBe(counts.handle ?? 0);
}

const cases = [
  { profile: 'tiny', scale: 'tiny' as const, runs: 600, maxOps: 80, designs: ALL_DESIGNS },
  { profile: 'arm32-1g', scale: 'large' as const, runs: 40, maxOps: 120, designs: BUILTIN_DESIGNS },
  { profile: 'arm32-1g-cma512', scale: 'large' as const, runs: 40, maxOps: 120, designs: BUILTIN_DESIGNS },
];

describe('kernel.apply on random op sequences', () => {
  for (const c of cases) {
    for (const design of c.designs) {
      it(`${c.profile} ${design.id}: never throws, ids in creation order, everything freeable (seed 1, ${c.runs} runs)`, () => {
        const booted = Kernel.boot(resolveProfile(c.profile), design);
        fc.assert(
          fc.property(opsArb(c.scale, 1, c.maxOps), (ops) => {
            const k = booted.clone();
            const counts: Record<string, number> = {};
            for (const op of ops) checkIds(k, op, k.apply(op), counts);
            teardown(k);
            expect(k.ion.quiescent()).toBe(true);
            // zoo mutants plant freeing bugs on purpose: for them, never throwing is the property
            if (!BUILTIN_DESIGNS.includes(design)) return;
            const v = freedCompletely.full(k);
            const leaked = ops.length > 0 && v?.message.includes('leak');
            // B10 is native to legacy-3.18 only: a leak there is its documented bug, anywhere else a failure
            if (v && !(design.ionCore.leakOnPageArrayFailure && leaked)) expect.fail(`${v.message}`);
          }),
          { seed: 1, numRuns: c.runs },
        );
      });
    }
  }
});
