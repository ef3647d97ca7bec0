import { describe, expect, it } from 'vitest';
import { opText } from '../../../src/model/ops.ts';
import { foldCallPath, resultText } from '../../../src/report/trace.ts';

describe('trace rendering', () => {
  it('folds repeated call-path patterns', () => {
    expect(foldCallPath(['a', 'b', 'c', 'b', 'c', 'b', 'c', 'd'])).toBe('a › (b › c) ×3 › d');
    expect(foldCallPath(['f', 'f', 'f'])).toBe('f ×3');
    expect(foldCallPath(['a', 'b'])).toBe('a › b');
    expect(foldCallPath([])).toBe('');
  });

  it('prints ops and results compactly', () => {
    expect(opText({ op: 'alloc', client: 0, heap: 'cma', len: 4096 })).toBe(
      'alloc client=0 heap=cma len=4096',
    );
    expect(opText({ op: 'purge' })).toBe('purge');
    expect(resultText({ ok: false, errnoName: 'ENOMEM' })).toBe('-ENOMEM');
    expect(resultText({ ok: true, value: 3 })).toBe('→ 3');
  });
});
