/**
 * The replay format and its token: round trips, canonical form, and one-line errors for every
 * kind of malformed input (seed printed in each fast-check title).
 */

import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplayError } from '../../../src/errors.ts';
import { HEAP_NAMES } from '../../../src/model/ion/heap.ts';
import type { Op } from '../../../src/model/ops.ts';
import {
  decodeToken,
  encodeToken,
  formatReplayFile,
  makeReplay,
  parseReplay,
  REPLAY_FORMAT,
  TOKEN_PREFIX,
} from '../../../src/properties/replay.ts';
import { INVARIANT_IDS } from '../../../src/spec/index.ts';
import { MODEL_VERSION } from '../../../src/version.ts';

const SEED = 20260101;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record(
    {
      op: fc.constant('alloc' as const),
      client: fc.nat(7),
      heap: fc.constantFrom(...HEAP_NAMES),
      len: fc.nat(2 ** 32 - 1),
      align: fc.nat(2 ** 32 - 1),
      cached: fc.boolean(),
    },
    { requiredKeys: ['op', 'client', 'heap', 'len'] },
  ),
  fc.record({
    op: fc.constantFrom('free' as const, 'kmap' as const),
    client: fc.nat(7),
    handle: fc.nat(1000),
  }),
  fc.record({ op: fc.constant('close' as const), fd: fc.nat(1000) }),
  fc.record(
    { op: fc.constant('mmap' as const), fd: fc.nat(99), pgoff: fc.nat(99), pages: fc.nat(99) },
    { requiredKeys: ['op', 'fd'] },
  ),
  fc.record({ op: fc.constant('dma-map' as const), fd: fc.nat(9), device: fc.constantFrom('gpu', 'isp-0') }),
  fc.record({ op: fc.constant('driver-vmap' as const), pages: fc.nat(65536) }),
  fc.constantFrom<Op>({ op: 'purge' }, { op: 'shrink' }),
);

const replayArb = fc.record({
  design: fc.constantFrom('legacy-3.18', 'cma-direct', 'zoo/b3-free-race', 'my-plugin.v2'),
  profile: fc.constantFrom('arm32-1g', 'tiny', 'arm32-1g,vmalloc=480M', 'arm32-1g-cma512,stale-tlb=off'),
  invariant: fc.option(fc.constantFrom(...INVARIANT_IDS, 'type-ok' as const), { nil: undefined }),
  ops: fc.array(opArb, { maxLength: 40 }),
  expect: fc.constantFrom('violated' as const, 'held' as const),
  origin: fc.option(fc.record({ seed: fc.integer(), path: fc.string() }, { requiredKeys: [] }), {
    nil: undefined,
  }),
});

describe('replay tokens and files', () => {
  it(`token round trip: parse(encode(r)) == r (seed ${SEED})`, () => {
    fc.assert(
      fc.property(replayArb, (raw) => {
        const r = makeReplay(raw);
        const token = encodeToken(r);
        expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
        expect(token).toMatch(/^ionck1:[A-Za-z0-9_-]+$/);
        expect(parseReplay(token)).toEqual(r);
        // the same replay always gives the same token
        expect(encodeToken(makeReplay(raw))).toBe(token);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it(`file round trip: parse(formatReplayFile(r)) == r, ops inline when short (seed ${SEED})`, () => {
    fc.assert(
      fc.property(replayArb, (raw) => {
        const r = makeReplay(raw);
        const text = formatReplayFile(r);
        expect(parseReplay(text)).toEqual(r);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(r)));
        const lines = text.split('\n');
        expect(lines.every((l) => l.length <= 110 || l.includes('"path"'))).toBe(true);
        const opsLine = lines.find((l) => l.startsWith('  "ops": ['))!;
        if (!opsLine.endsWith('[')) expect(opsLine.length).toBeLessThanOrEqual(110);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('canonical: key order of ops and fields does not change the token', () => {
    const a = makeReplay({
      design: 'cma-direct',
      profile: 'arm32-1g',
      ops: [{ op: 'alloc', client: 0, heap: 'cma', len: 4096, cached: false }],
      expect: 'violated',
    });
    const b = parseReplay(
      JSON.stringify({
        expect: 'violated',
        ops: [{ cached: false, len: 4096, heap: 'cma', client: 0, op: 'alloc' }],
        profile: 'arm32-1g',
        design: 'cma-direct',
        modelVersion: MODEL_VERSION,
        format: REPLAY_FORMAT,
      }),
    );
    expect(encodeToken(b)).toBe(encodeToken(a));
  });

  it('a token holds only the replay (no generator state)', () => {
    const r = makeReplay({
      design: 'legacy-3.18',
      profile: 'arm32-1g',
      invariant: 'vmalloc-bounded',
      ops: [{ op: 'alloc', client: 0, heap: 'cma', len: 4096 }],
      expect: 'violated',
    });
    expect(JSON.parse(decodeToken(encodeToken(r)))).toEqual({
      format: 'ionck-replay/1',
      modelVersion: MODEL_VERSION,
      design: 'legacy-3.18',
      profile: 'arm32-1g',
      invariant: 'vmalloc-bounded',
      ops: [{ op: 'alloc', client: 0, heap: 'cma', len: 4096 }],
      expect: 'violated',
    });
  });
});

const good = {
  format: REPLAY_FORMAT,
  design: 'legacy-3.18',
  profile: 'arm32-1g',
  ops: [{ op: 'alloc', client: 0, heap: 'cma', len: 4096 }],
  expect: 'violated',
};
const tokenOf = (o: unknown) =>
  TOKEN_PREFIX + deflateRawSync(Buffer.from(JSON.stringify(o))).toString('base64url');

const BAD: [string, string, RegExp][] = [
  ['not JSON', '{"format":', /not valid JSON/],
  ['array', '[]', /must be a JSON object/],
  [
    'format version',
    JSON.stringify({ ...good, format: 'ionck-replay/2' }),
    /format 'ionck-replay\/2' is not supported/,
  ],
  ['no format', JSON.stringify({ ...good, format: undefined }), /'format' must be/],
  ['unknown field', JSON.stringify({ ...good, extra: 1 }), /unknown field 'extra'/],
  ['design id', JSON.stringify({ ...good, design: 'Legacy 3.18' }), /'design' must be a design id/],
  ['unknown profile', JSON.stringify({ ...good, profile: 'arm64-8g' }), /unknown profile 'arm64-8g'/],
  ['bad profile option', JSON.stringify({ ...good, profile: 'arm32-1g,vmalloc=lots' }), /not a size/],
  ['invariant', JSON.stringify({ ...good, invariant: 'no-aliases' }), /not an invariant id/],
  ['ops not array', JSON.stringify({ ...good, ops: {} }), /'ops' must be an array/],
  [
    'unknown op',
    JSON.stringify({ ...good, ops: [good.ops[0], { op: 'explode' }] }),
    /ops\[1\]: unknown op "explode"/,
  ],
  [
    'negative size',
    JSON.stringify({ ...good, ops: [{ op: 'alloc', client: 0, heap: 'cma', len: -4096 }] }),
    /ops\[0\]: 'alloc.len' must be an integer/,
  ],
  [
    'extra op field',
    JSON.stringify({ ...good, ops: [{ op: 'purge', now: true }] }),
    /ops\[0\]: 'purge' has no field 'now'/,
  ],
  ['expect', JSON.stringify({ ...good, expect: 'maybe' }), /'expect' must be/],
  ['origin', JSON.stringify({ ...good, origin: { seed: 'x' } }), /origin.seed/],
  ['token prefix', 'ionck2:abc', /token version 'ionck2:' is not supported/],
  ['token empty', 'ionck1:', /empty/],
  ['token alphabet', 'ionck1:ab+c/d==', /not base64url/],
  ['token garbage', 'ionck1:AAAAAAAAAAAAAAAAAAAA', /damaged|JSON|does not inflate/],
  [
    'token of bad replay',
    tokenOf({ ...good, ops: [{ op: 'alloc', client: 0, heap: 'dram', len: 1 }] }),
    /heap/,
  ],
];

describe('parseReplay errors', () => {
  it.each(BAD)('%s: one ReplayError line', (_name, text, re) => {
    let err: unknown;
    try {
      parseReplay(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ReplayError);
    const msg = (err as Error).message;
    expect(msg).toMatch(re);
    expect(msg).not.toContain('\n');
  });

  it(`every truncation of a token is rejected with one line (seed ${SEED})`, () => {
    const token = encodeToken(
      makeReplay({
        design: 'cma-direct',
        profile: 'arm32-1g-cma512',
        invariant: 'no-conflicting-alias',
        ops: [
          { op: 'alloc', client: 0, heap: 'cma', len: 4096 },
          { op: 'kmap', client: 0, handle: 0 },
        ],
        expect: 'violated',
      }),
    );
    for (let n = 0; n < token.length; n++) {
      const t = token.slice(0, n);
      expect(() => parseReplay(t), t).toThrow(ReplayError);
    }
  });
});
