/**
 * The fast-check command model tracks the kernel's ids exactly, generated ops mostly hit live
 * objects (and sometimes stale ones on purpose), and a command prints its op as replay JSON.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_DESIGNS, builtinDesign } from '../../../src/model/designs/index.ts';
import { Kernel } from '../../../src/model/kernel.ts';
import { type Op, parseOp } from '../../../src/model/ops.ts';
import { resolveProfile } from '../../../src/model/profile.ts';
import type { Action } from '../../../src/properties/arbitraries.ts';
import {
  commandsArb,
  InvariantFailure,
  OpCommand,
  OpModel,
  RunSession,
  runCommands,
  type Watch,
} from '../../../src/properties/commands.ts';

const SEED = 4242;
const NOTHING: Watch = { invariants: [], typeOk: false, exceptions: true, mode: 'incremental' };

describe('command model', () => {
  for (const design of BUILTIN_DESIGNS) {
    it(`tracks handles, fds, vmas, attachments and areas exactly on ${design.id}/tiny (seed ${SEED})`, () => {
      const template = Kernel.boot(resolveProfile('tiny'), design);
      fc.assert(
        fc.property(commandsArb(60), (cmds) => {
          const session = new RunSession(template.clone(), NOTHING);
          const model = runCommands(cmds, session);
          expect(model.disagreements(session.kernel)).toEqual([]);
        }),
        { seed: SEED, numRuns: 120 },
      );
    });
  }

  it(`prints each command as the op a replay file holds (seed ${SEED})`, () => {
    const template = Kernel.boot(resolveProfile('tiny'), BUILTIN_DESIGNS[3]!);
    fc.assert(
      fc.property(commandsArb(40), (cmds) => {
        const session = new RunSession(template.clone(), NOTHING);
        runCommands(cmds, session);
        const printed = [...cmds]
          .filter((c) => (c as unknown as { hasRan: boolean }).hasRan)
          .map((c) => c.toString());
        expect(printed).toEqual(session.ops.map((op) => JSON.stringify(op)));
        for (const p of printed) expect(parseOp(JSON.parse(p))).toEqual(JSON.parse(p));
      }),
      { seed: SEED, numRuns: 100 },
    );
  });

  it(`ops mostly hit live ids, some hit stale or unknown ids (seed ${SEED})`, () => {
    const template = Kernel.boot(resolveProfile('arm32-1g'), BUILTIN_DESIGNS[3]!);
    let refOps = 0;
    let failedRefOps = 0;
    const kinds = new Set<string>();
    fc.assert(
      fc.property(commandsArb(100), (cmds) => {
        const session = new RunSession(template.clone(), NOTHING);
        runCommands(cmds, session);
        session.ops.forEach((op, i) => {
          kinds.add(op.op);
          if (
            ['free', 'share', 'kmap', 'close', 'munmap', 'write', 'import', 'driver-vunmap'].includes(op.op)
          ) {
            refOps++;
            if (!session.results[i]!.ok) failedRefOps++;
          }
        });
      }),
      { seed: SEED, numRuns: 40 },
    );
    expect(kinds.size).toBe(17);
    expect(refOps).toBeGreaterThan(300);
    expect(failedRefOps / refOps).toBeGreaterThan(0.03);
    expect(failedRefOps / refOps).toBeLessThan(0.3);
  });

  it('a command with nothing to act on is skipped (check is false)', () => {
    const m = new OpModel();
    expect(new OpCommand({ kind: 'free', handle: { mode: 'live', n: 3 }, wrongClient: false }).check(m)).toBe(
      false,
    );
    expect(new OpCommand({ kind: 'free', handle: { mode: 'wild', n: 3 }, wrongClient: false }).check(m)).toBe(
      true,
    );
    expect(m.resolve({ kind: 'free', handle: { mode: 'wild', n: 4 }, wrongClient: false })).toEqual({
      op: 'free',
      client: 0,
      handle: 1,
    });
  });

  it('a watched violation throws an InvariantFailure tagged with its id and step', () => {
    const k = Kernel.boot(resolveProfile('arm32-1g'), BUILTIN_DESIGNS[0]!);
    const s = new RunSession(k, { ...NOTHING, invariants: ['vmalloc-bounded'] });
    let err: unknown;
    try {
      s.step({ op: 'purge' });
      s.step({ op: 'alloc', client: 0, heap: 'cma', len: 4096 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvariantFailure);
    expect((err as InvariantFailure).invariant).toBe('vmalloc-bounded');
    expect((err as InvariantFailure).step).toBe(1);
  });
});

describe('program steps: use, release, and allocations that reuse what was released', () => {
  /** Run actions one by one on cma-direct-remap/tiny; the ops they resolved to. */
  function play(actions: readonly Action[]): { ops: Op[]; session: RunSession } {
    const k = Kernel.boot(resolveProfile('tiny'), builtinDesign('cma-direct-remap')!);
    const session = new RunSession(k, NOTHING);
    const model = new OpModel();
    for (const a of actions) {
      const c = new OpCommand(a);
      if (!c.check(model)) continue;
      c.run(model, session);
    }
    return { ops: session.ops, session };
  }
  const alloc = (len: number, reuse = false): Action => ({
    kind: 'alloc',
    client: 0,
    heap: 'cma',
    len,
    ...(reuse ? { reuse } : {}),
  });

  it('use shares the newest buffer, mmaps its fd, then writes through the mapping', () => {
    const { ops } = play([alloc(4096), alloc(8192), { kind: 'use' }, { kind: 'use' }, { kind: 'use' }]);
    expect(ops.slice(2)).toEqual([
      { op: 'share', client: 0, handle: 1 },
      { op: 'mmap', fd: 0 },
      { op: 'write', vma: 0 },
    ]);
  });

  it('release undoes the newest used buffer in order (dma-unmap, munmap, close, free) and the buffer is gone', () => {
    const { ops, session } = play([
      alloc(4096),
      { kind: 'use' },
      { kind: 'use' },
      { kind: 'dma-map', fd: { mode: 'last', n: 0 }, device: 'gpu' },
      { kind: 'release' },
      { kind: 'release' },
      { kind: 'release' },
      { kind: 'release' },
    ]);
    expect(ops.slice(4)).toEqual([
      { op: 'dma-unmap', fd: 0, device: 'gpu' },
      { op: 'munmap', vma: 0 },
      { op: 'close', fd: 0 },
      { op: 'free', client: 0, handle: 0 },
    ]);
    expect(session.results.every((r) => r.ok)).toBe(true);
    expect(session.kernel.ion.buffers.size).toBe(0);
  });

  it('an allocation that reuses asks for the size released last, else its own', () => {
    const { ops } = play([alloc(4096, true), alloc(3 * 4096), { kind: 'release' }, alloc(1 << 20, true)]);
    expect(ops.map((o) => (o.op === 'alloc' ? o.len : o.op))).toEqual([4096, 3 * 4096, 'free', 3 * 4096]);
  });

  it('use and release have nothing to act on before an allocation', () => {
    expect(play([{ kind: 'use' }, { kind: 'release' }]).ops).toEqual([]);
  });
});

describe('a vmap at the window edge', () => {
  it('fills the window as alloc_vmap_area would after purging lazy areas: the next page array fails', () => {
    const k = Kernel.boot(resolveProfile('arm32-1g'), builtinDesign('legacy-3.18')!);
    const session = new RunSession(k, NOTHING);
    const model = new OpModel();
    const run = (a: Action) => {
      const c = new OpCommand(a);
      expect(c.check(model)).toBe(true);
      c.run(model, session);
    };
    // a 4 MiB CMA buffer remapped in the window, freed: its area is lazy, not free
    run({ kind: 'alloc', client: 0, heap: 'cma', len: 4 << 20 });
    run({ kind: 'free', handle: { mode: 'last', n: 0 }, wrongClient: false });
    expect(k.mm.vmalloc.lazyPages).toBeGreaterThan(0);
    run({ kind: 'driver-vmap', pages: 1, edge: 0 });
    expect(k.mm.vmalloc.lazyPages).toBe(0);
    expect(k.mm.vmalloc.largestFreeRun()).toBeLessThan(2);
  });
});
