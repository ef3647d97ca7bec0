/** The design registry (src/model/designs/index.ts): the six built-in designs, the zoo, lookup by id. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ALL_DESIGNS,
  BUILTIN_DESIGNS,
  builtinDesign,
  DEFAULT_DESIGN_IDS,
  ZOO_DESIGNS,
} from '../../../../src/model/designs/index.ts';
import { ZOO_DESIGNS as ZOO_FROM_ZOO } from '../../../../src/model/designs/zoo/index.ts';
import { alloc, boot } from '../../../helpers/kernel.ts';

describe('BUILTIN_DESIGNS', () => {
  it('are the six designs docs/designs.md describes, in its order; the defaults are all six', () => {
    const md = readFileSync(new URL('../../../../docs/designs.md', import.meta.url), 'utf8');
    const documented = [...md.matchAll(/^### `([^`]+)`/gm)].map((m) => m[1]);
    expect(BUILTIN_DESIGNS.map((d) => d.id)).toEqual(documented);
    expect(DEFAULT_DESIGN_IDS).toEqual([
      'legacy-3.18',
      'no-kernel-mapping',
      'cma-direct',
      'cma-direct-remap',
      'ion-4.12',
      'dmabuf-heap-cma',
    ]);
  });

  it('none is a zoo design; each cites its sources and boots and allocates on tiny', () => {
    for (const d of BUILTIN_DESIGNS) {
      expect(d.zoo, d.id).toBeUndefined();
      expect(d.citations.length, d.id).toBeGreaterThan(0);
      expect(boot('tiny', d.id).apply(alloc(4096)).ok, d.id).toBe(true);
    }
  });
});

describe('ALL_DESIGNS and builtinDesign', () => {
  it('ALL_DESIGNS is the built-ins then the zoo; ids are unique', () => {
    expect(ZOO_DESIGNS).toBe(ZOO_FROM_ZOO);
    expect(ALL_DESIGNS).toEqual([...BUILTIN_DESIGNS, ...ZOO_DESIGNS]);
    expect(new Set(ALL_DESIGNS.map((d) => d.id)).size).toBe(ALL_DESIGNS.length);
  });

  it('finds built-in and zoo designs by id, nothing else', () => {
    expect(builtinDesign('cma-direct-remap')).toBe(BUILTIN_DESIGNS[3]);
    expect(builtinDesign('zoo/b3-free-race')?.zoo?.bug).toBe('B3');
    expect(builtinDesign('cma-direct-remap2')).toBeUndefined();
    expect(builtinDesign('b3-free-race')).toBeUndefined();
  });
});
