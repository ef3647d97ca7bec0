/**
 * Incremental and full checkers agree on the zoo entries of the dma-buf core (B13 on ion-4.12, B14
 * on dmabuf-heap-cma; the built-in designs run in cross-check.test.ts): random ops around the
 * bug's trigger, every invariant asked both ways after every op. The planted invariant must be
 * seen, or the agreement would be about nothing.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { builtinDesign } from '../../../src/model/designs/index.ts';
import { Kernel } from '../../../src/model/kernel.ts';
import type { Op } from '../../../src/model/ops.ts';
import { resolveProfile } from '../../../src/model/profile.ts';
import { INVARIANTS, TYPE_OK } from '../../../src/spec/index.ts';
import { opsArb } from '../../helpers/random-ops.ts';

/** The bug's trigger: ops applied through `step`, ids taken from what the kernel returned. */
type Trigger = (step: (op: Op) => { ok: boolean; value?: number }) => void;

const CLIENT = 9;

// B13: fill the window, then begin (kmap) and end (kunmap) CPU access on a fresh CMA buffer
const b13: Trigger = (step) => {
  const a = step({ op: 'alloc', client: CLIENT, heap: 'cma', len: 4096 });
  if (!a.ok) return;
  for (let pages = 256; pages >= 1; pages >>= 1) while (step({ op: 'driver-vmap', pages }).ok);
  step({ op: 'kmap', client: CLIENT, handle: a.value! });
  step({ op: 'kunmap', client: CLIENT, handle: a.value! });
};

// B14: a VMA of a one-page buffer reaching one page past it, written by the process
const b14: Trigger = (step) => {
  const a = step({ op: 'alloc', client: CLIENT, heap: 'cma', len: 4096 });
  if (!a.ok) return;
  const fd = step({ op: 'share', client: CLIENT, handle: a.value! });
  const v = step({ op: 'mmap', fd: fd.value!, pgoff: 0, pages: 2 });
  if (v.ok) step({ op: 'write', vma: v.value! });
};

const CASES = [
  { design: 'zoo/b13-begin-ignores-kmap-error', trigger: b13, planted: 'refcounts-balanced' },
  { design: 'zoo/b14-fault-past-end', trigger: b14, planted: 'exclusive-ownership' },
] as const;

for (const c of CASES) {
  it(`tiny ${c.design}: 60 runs of random ops around the trigger (seed 13)`, () => {
    const booted = Kernel.boot(resolveProfile('tiny'), builtinDesign(c.design)!);
    let planted = 0;
    let steps = 0;
    fc.assert(
      fc.property(opsArb('tiny', 0, 40), opsArb('tiny', 0, 40), (before, after) => {
        const k = booted.clone();
        const step = (op: Op) => {
          const r = k.apply(op);
          steps++;
          expect(TYPE_OK.full(k), `type-ok after ${JSON.stringify(op)}`).toBeNull();
          for (const inv of INVARIANTS) {
            const a = inv.incremental(k);
            expect(a, `${inv.id} after ${JSON.stringify(op)}`).toEqual(inv.full(k));
            if (a && inv.id === c.planted) planted++;
          }
          return r;
        };
        for (const op of before) step(op);
        c.trigger(step);
        for (const op of after) step(op);
      }),
      { seed: 13, numRuns: 60 },
    );
    expect(steps).toBeGreaterThan(60);
    expect(planted).toBeGreaterThan(0);
  });
}
