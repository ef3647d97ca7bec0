/**
 * Swarm testing (Groce et al., "Swarm Testing", ISSTA 2012): each run enables a random subset of
 * the action kinds, heaps, clients and one size class, so a run spends its ops on a few things
 * and reaches states a run mixing everything seldom does (many imports of one fd by one client, a
 * window filled by vmaps alone, one size class allocated and freed over and over).
 */
import fc from 'fast-check';
import type { HeapName } from '../model/ion/heap.ts';
import {
  ACTION_WEIGHTS,
  type Action,
  type ActionWeights,
  type AllocBias,
  actionArb,
  boundaryLenArb,
  cmaLenArb,
  EVERYDAY_CMA_BIAS,
  EVERYDAY_OTHER_BIAS,
  fillCmaLenArb,
  newestPickArb,
} from './arbitraries.ts';

/** Kinds every swarm keeps: without them a run has nothing to act on. */
const ALWAYS: readonly (keyof ActionWeights)[] = ['alloc', 'alloc-other'];
const OPTIONAL = (Object.keys(ACTION_WEIGHTS) as (keyof ActionWeights)[]).filter((k) => !ALWAYS.includes(k));

export interface SwarmConfig {
  readonly off: readonly (keyof ActionWeights)[];
  readonly heaps: readonly HeapName[];
  /** Clients 0..clients-1 act. */
  readonly clients: number;
  readonly sizes: 'boundary' | 'everyday' | 'fill';
  /** Every allocation cached (ION_FLAG_CACHED), or the everyday share. */
  readonly cached: 'mixed' | 'all';
  /** Picks name the newest object (one buffer, one fd worked over and over), or the everyday picks. */
  readonly picks: 'mixed' | 'newest';
}

/** Each optional kind is off in one swarm in four: most runs keep most kinds, none keeps all. */
const offArb = fc
  .array(fc.nat({ max: 3 }), { minLength: OPTIONAL.length, maxLength: OPTIONAL.length })
  .map((dice) => OPTIONAL.filter((_, i) => dice[i] === 0));

/**
 * Kinds that give references back, and the user-space use of a mapping: a swarm that has them
 * uses them as often as it takes references, so buffers are written, released and their pages
 * handed out again.
 */
const DOUBLED: readonly (keyof ActionWeights)[] = [
  'free',
  'close',
  'munmap',
  'dma-unmap',
  'driver-vunmap',
  'share',
  'mmap',
  'write',
  'use',
  'release',
];

export const swarmConfigArb = (heaps: readonly HeapName[]): fc.Arbitrary<SwarmConfig> =>
  fc.record({
    off: offArb,
    heaps: fc.subarray([...heaps], { minLength: 1 }),
    clients: fc.integer({ min: 1, max: 4 }),
    sizes: fc.constantFrom('boundary' as const, 'everyday' as const, 'fill' as const),
    // one swarm in four is all cached, one in four works on the newest object
    cached: fc.constantFrom('mixed' as const, 'mixed' as const, 'mixed' as const, 'all' as const),
    picks: fc.constantFrom('mixed' as const, 'mixed' as const, 'mixed' as const, 'newest' as const),
  });

const LENS = { boundary: boundaryLenArb, everyday: cmaLenArb, fill: fillCmaLenArb } as const;

/** The action arbitrary of one swarm: the kinds it turned off weigh 0. */
export function swarmActionArb(c: SwarmConfig): fc.Arbitrary<Action> {
  const weights = { ...ACTION_WEIGHTS } as Record<keyof ActionWeights, number>;
  for (const k of DOUBLED) weights[k] *= 2;
  for (const k of c.off) weights[k] = 0;
  const len = LENS[c.sizes];
  const cached = (b: AllocBias): AllocBias => ({ ...b, cached: 97 });
  return actionArb(weights, {
    cmaLen: len,
    heaps: c.heaps,
    clients: fc.nat({ max: c.clients - 1 }),
    ...(c.sizes === 'boundary' ? { otherLen: len } : {}),
    ...(c.cached === 'all'
      ? { cmaBias: cached(EVERYDAY_CMA_BIAS), otherBias: cached(EVERYDAY_OTHER_BIAS) }
      : {}),
    ...(c.picks === 'newest' ? { picks: newestPickArb } : {}),
  });
}
