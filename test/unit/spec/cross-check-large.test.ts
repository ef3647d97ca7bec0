/** Incremental vs full-scan agreement on the large profiles (see test/helpers/cross-check.ts). */
import { describe } from 'vitest';
import { crossCheck, PLANS } from '../../helpers/cross-check.ts';

describe('incremental and full checkers agree on every step (large profiles)', () => crossCheck(PLANS.large));
