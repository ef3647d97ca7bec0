/**
 * `boot-vmallocinfo=FILE` (src/model/boot-vmallocinfo.ts): /proc/vmallocinfo lines parsed into
 * areas (a bad line is one error naming it), `unpurged vm_area` lines kept as lazily freed areas
 * (VMALLOC-5), and the atomic pool's line (DMA318-9) splitting the areas placed before and after
 * the pool's own first fit. The fixture is a real 6.1 boot's file (docs/oracle.md).
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VmallocinfoError } from '../../../src/errors.ts';
import {
  bootVmallocinfoOf,
  parseVmallocinfo,
  provideBootVmallocinfo,
  splitAtAtomicPool,
} from '../../../src/model/boot-vmallocinfo.ts';

const FIXTURE = 'test/fixtures/oracle/qemu-arm-6.1/vmallocinfo/dma-a-armmp.baseline.txt';
const text = readFileSync(new URL(`../../${FIXTURE.slice('test/'.length)}`, import.meta.url), 'utf8');

describe('parseVmallocinfo', () => {
  it("reads a real boot's file: every area, sorted, the pool's dma-coherent line and the unpurged ones", () => {
    const info = parseVmallocinfo(text, FIXTURE);
    expect(info.path).toBe(FIXTURE);
    expect(info.areas).toHaveLength(text.split('\n').filter((l) => l.trim() !== '').length);
    for (let i = 1; i < info.areas.length; i++)
      expect(info.areas[i]!.start).toBeGreaterThanOrEqual(info.areas[i - 1]!.end);
    expect(info.areas.filter((a) => a.dmaCoherent).map((a) => [a.start, a.end])).toEqual([
      [0xf087f000, 0xf08c0000],
    ]);
    const unpurged = info.areas.filter((a) => a.unpurged);
    expect(unpurged.length).toBe(5);
    expect(unpurged[0]).toMatchObject({ start: 0xf0813000, end: 0xf0817000, line: 83 });
  });

  it('keeps blank lines out and line numbers 1-based; sorts by start', () => {
    const info = parseVmallocinfo(
      '0xf0004000-0xf0006000    8192 b+0x0 vmalloc\n\n0xf0000000-0xf0002000    8192 a+0x0 ioremap\n',
      'x',
    );
    expect(info.areas.map((a) => [a.line, a.caller])).toEqual([
      [3, 'a+0x0 ioremap'],
      [1, 'b+0x0 vmalloc'],
    ]);
  });

  it.each([
    ['garbage\n', /line 1: not a \/proc\/vmallocinfo area line: 'garbage'/],
    ['0xf0002000-0xf0001000 4096 x\n', /line 1: end 0xf0001000 is not above start 0xf0002000/],
    ['0xf0000800-0xf0002000 6144 x\n', /range 0xf0000800-0xf0002000 is not page aligned/],
    ['0xf0000000-0xf0002000 4096 x\n', /size 4096 is not end - start \(8192\)/],
    ['0xf0000000-0xf0002000 8192 x\n0xf0001000-0xf0003000 8192 y\n', /line 2: overlaps line 1/],
    ['\n\n', /no area lines/],
  ])('refuses %j with one line naming where', (bad, why) => {
    expect(() => parseVmallocinfo(bad, 'f.txt')).toThrow(VmallocinfoError);
    expect(() => parseVmallocinfo(bad, 'f.txt')).toThrow(why);
    expect(() => parseVmallocinfo(bad, 'f.txt')).toThrow(/^boot-vmallocinfo f\.txt/);
  });
});

describe('provideBootVmallocinfo / bootVmallocinfoOf', () => {
  it('a file never provided is an error saying who reads it', () => {
    expect(() => bootVmallocinfoOf('never-provided.txt')).toThrow(/the file was not read/);
  });

  it('parses once per text and re-parses when the text changes', () => {
    provideBootVmallocinfo('t.txt', '0xf0000000-0xf0002000 8192 a\n');
    const a = bootVmallocinfoOf('t.txt');
    expect(bootVmallocinfoOf('t.txt')).toBe(a);
    provideBootVmallocinfo('t.txt', '0xf0000000-0xf0002000 8192 a\n');
    expect(bootVmallocinfoOf('t.txt')).toBe(a);
    provideBootVmallocinfo('t.txt', '0xf0000000-0xf0003000 12288 b\n');
    expect(bootVmallocinfoOf('t.txt').areas[0]!.end).toBe(0xf0003000);
  });
});

describe('splitAtAtomicPool (DMA318-9)', () => {
  it("finds the pool's line by size (256 KiB + guard = 266240) and splits the rest around it", () => {
    const info = parseVmallocinfo(text, FIXTURE);
    const s = splitAtAtomicPool(info, 256 * 1024);
    expect(s.pool).toMatchObject({ start: 0xf087f000, end: 0xf08c0000, dmaCoherent: true });
    expect(s.before.every((a) => a.start < 0xf087f000)).toBe(true);
    expect(s.after.every((a) => a.start > 0xf087f000)).toBe(true);
    expect(s.before.length + s.after.length + 1).toBe(info.areas.length);
  });

  it('without a pool line of that size every area counts as before', () => {
    const info = parseVmallocinfo(text, FIXTURE);
    const s = splitAtAtomicPool(info, 512 * 1024);
    expect(s.pool).toBeNull();
    expect(s.before).toEqual(info.areas);
    expect(s.after).toEqual([]);
  });
});
