/**
 * Bad input to the oracle features: kernel=, flavour=, initrd=, boot-vmallocinfo= and the probe's
 * flags give exit 2 and one line naming what was wrong, with nothing on stdout.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ionck-oracle-bad-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const BOARD = 'qemu-vexpress-a15,kernel=6.1';

function expectBadInput(r: { code: number; stdout: string; stderr: string }, what: string) {
  expect(r.code, `${what}\nstderr: ${r.stderr}`).toBe(2);
  expect(r.stderr, what).toMatch(/^ionck: [^\n]+\n$/);
  expect(r.stderr, what).not.toMatch(/\n\s+at |internal error/);
  expect(r.stdout, what).toBe('');
}

describe('oracle features: bad input', () => {
  it('bad profile keys and vmallocinfo files, in layout, probe and check: exit 2, one line naming it', async () => {
    const vmi = (name: string, text: string) => `${BOARD},boot-vmallocinfo=${file(name, text)}`;
    const cases: [string, RegExp][] = [
      ['arm32-1g,kernel=5.4', /kernel= takes one of 3\.18, 6\.1, not '5\.4'/],
      ['arm32-1g,kernel=', /kernel= takes one of/],
      ['arm32-1g,kernel=6', /not '6'/],
      ['qemu-vexpress-a15,flavour=arm64', /flavour= takes one of armmp, lpae, not 'arm64'/],
      ['qemu-vexpress-a15,initrd=lots', /not a size: 'lots'/],
      ['qemu-vexpress-a15,initrd=1M@0x1000', /initrd= 1M@0x1000 is not inside RAM/],
      ['arm32-1g,boot-vmallocinfo=', /boot-vmallocinfo= needs a file name/],
      [`arm32-1g,boot-vmallocinfo=${join(dir, 'nope.txt')}`, /nope\.txt: cannot read the file \(ENOENT\)/],
      [
        vmi('garbage.txt', '0xf0800000-0xf0803000 12288 ok\nthis is not a line\n'),
        /garbage\.txt line 2: not a \/proc\/vmallocinfo area line/,
      ],
      [
        vmi('size.txt', '0xf0800000-0xf0803000 4096 x\n'),
        /size\.txt line 1: size 4096 is not end - start \(12288\)/,
      ],
      [vmi('empty.txt', '\n'), /empty\.txt: no area lines/],
      [
        vmi('overlap.txt', '0xf0800000-0xf0803000 12288 a\n0xf0802000-0xf0804000 8192 b\n'),
        /overlap\.txt line 2: overlaps line 1/,
      ],
      [
        vmi('straddle.txt', '0xff7ff000-0xff801000 8192 a\n'),
        /straddle\.txt line 1: .*straddles the vmalloc window/,
      ],
      [
        vmi('pool.txt', '0xf0900000-0xf0941000 266240 dma_common_contiguous_remap+0x74/0x90 dma-coherent\n'),
        /pool\.txt line 1: the atomic pool's area is at 0xF0900000, but first fit over the areas below it puts the pool at 0xF0800000/,
      ],
    ];
    for (const [spec, want] of cases) {
      for (const argv of [
        ['layout', '--profile', spec],
        ['layout', '--json', '--profile', spec],
        ['probe', '--size', '1M', '--profile', spec],
        ['probe', '--json', '--size', '1M', '--profile', spec],
      ]) {
        const r = await cli(argv);
        expectBadInput(r, JSON.stringify(argv));
        expect(r.stderr, JSON.stringify(argv)).toMatch(want);
      }
    }
  });

  it('bad probe flags: exit 2, one line naming the flag', async () => {
    const cases: [string[], RegExp][] = [
      [['probe'], /required option '--size/],
      [['probe', '--size', 'abc'], /--size.*not a size: 'abc'/],
      [['probe', '--size', '0'], /size 0 must be 1 byte \.\. 1G/],
      [['probe', '--size', '2G'], /size 2G must be 1 byte \.\. 1G/],
      [['probe', '--size', '1M,'], /not a size: ''/],
      [['probe', '--size', Array(17).fill('4K').join(',')], /at most 16 sizes/],
      [
        ['probe', '--size', '1M', '--attrs', 'write-combine'],
        /attrs takes no-kernel-mapping, not 'write-combine'/,
      ],
      [['probe', '--size', '1M', '--max', '0'], /max must be an integer in 1\.\.100000/],
      [['probe', '--size', '1M', '--max', 'lots'], /max must be an integer/],
      [['probe', '--size', '1M', 'extra'], /too many arguments|unknown command|excess/i],
      [['probe', '--size', '1M', '--bogus'], /unknown option '--bogus'/],
      [['probe', '--size', '1M', '--profile', 'nope'], /unknown profile 'nope'/],
    ];
    for (const [argv, want] of cases) {
      const r = await cli(argv);
      expectBadInput(r, JSON.stringify(argv));
      expect(r.stderr, JSON.stringify(argv)).toMatch(want);
    }
  });
});
