/** The board description: LAYOUT-1 PAGE_OFFSET per split and the ARCH-6 rule sets, as profiles use them. */
import { describe, expect, it } from 'vitest';
import { PAGE_OFFSET_OF, RULE_SETS } from '../../../src/model/board.ts';
import { PROFILES, resolveProfile } from '../../../src/model/profile.ts';

describe('board', () => {
  it('PAGE_OFFSET of each CONFIG_VMSPLIT (LAYOUT-1)', () => {
    expect(PAGE_OFFSET_OF).toEqual({ '3G/1G': 0xc0000000, '2G/2G': 0x80000000, '1G/3G': 0x40000000 });
  });

  it('every built-in profile is a board with a known split and rule set', () => {
    for (const p of PROFILES) {
      expect(PAGE_OFFSET_OF[p.split], p.id).toBeDefined();
      expect(RULE_SETS, p.id).toContain(p.ruleSet);
    }
  });

  it('split= and rules= overrides take only the values the board type names', () => {
    expect(resolveProfile('arm32-1g,split=2G/2G').split).toBe('2G/2G');
    expect(() => resolveProfile('arm32-1g,split=4G/0G')).toThrow(/split= takes 3G\/1G, 2G\/2G or 1G\/3G/);
    expect(resolveProfile('arm32-1g,rules=armv8').ruleSet).toBe('armv8');
  });
});
