/**
 * A plain fast-check arbitrary of op sequences for model tests: ids drawn from small ranges so
 * most ops hit live objects, sizes that fill the tiny profile and reach deep states on the large
 * ones. (The search's own model-based commands live in src/properties.)
 */
import fc from 'fast-check';
import type { Op } from '../../src/model/ops.ts';

const client = fc.integer({ min: 1, max: 3 });
const id = fc.integer({ min: 0, max: 12 });
const sizes = fc.oneof(fc.constantFrom(4096, 65536, 1 << 20, 2 << 20), fc.integer({ min: 1, max: 300_000 }));

export function opArb(scale: 'tiny' | 'large'): fc.Arbitrary<Op> {
  const len = scale === 'tiny' ? fc.constantFrom(4096, 16384, 65536, 100_000, 262_144) : sizes;
  const driverPages = scale === 'tiny' ? fc.integer({ min: 1, max: 96 }) : fc.integer({ min: 1, max: 4096 });
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        op: fc.constant('alloc' as const),
        client,
        heap: fc.constant('cma' as const),
        len,
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record(
        {
          op: fc.constant('alloc' as const),
          client,
          heap: fc.constantFrom(
            'system' as const,
            'system-contig' as const,
            'carveout' as const,
            'cma' as const,
          ),
          len,
          align: fc.constantFrom(0, 4096, 8192),
          cached: fc.boolean(),
        },
        { requiredKeys: ['op', 'client', 'heap', 'len'] },
      ),
    },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('free' as const), client, handle: id }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('share' as const), client, handle: id }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('import' as const), client, fd: id }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('close' as const), fd: id }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('kmap' as const), client, handle: id }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('kunmap' as const), client, handle: id }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('mmap' as const), fd: id }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('munmap' as const), vma: id }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('write' as const), vma: id }) },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('dma-map' as const),
        fd: id,
        device: fc.constantFrom('gpu', 'vpu'),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('dma-unmap' as const),
        fd: id,
        device: fc.constantFrom('gpu', 'vpu'),
      }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('driver-vmap' as const), pages: driverPages }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('driver-vunmap' as const), area: id }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('client-exit' as const), client }) },
    { weight: 1, arbitrary: fc.constant({ op: 'purge' as const }) },
    { weight: 1, arbitrary: fc.constant({ op: 'shrink' as const }) },
  );
}

export const opsArb = (scale: 'tiny' | 'large', min: number, max: number) =>
  fc.array(opArb(scale), { minLength: min, maxLength: max });
