/**
 * Incremental vs full-scan agreement on the zoo's designs (tiny): a planted fault must not make
 * the incremental checkers miss what the full scan sees (a leak whose pages the op never wrote).
 */
import { describe } from 'vitest';
import { crossCheck, PLANS } from '../../helpers/cross-check.ts';

describe('incremental and full checkers agree on every step of the zoo designs (tiny)', () =>
  crossCheck(PLANS.zoo));
