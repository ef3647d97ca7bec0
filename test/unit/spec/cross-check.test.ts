/** Incremental vs full-scan agreement on the tiny profile: 1,000 runs (see test/helpers/cross-check.ts). */
import { describe } from 'vitest';
import { crossCheck, PLANS } from '../../helpers/cross-check.ts';

describe('incremental and full checkers agree on every step (tiny)', () => crossCheck(PLANS.tiny));
