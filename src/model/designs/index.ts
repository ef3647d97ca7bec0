/** The built-in designs (DESIGN.md section 3) and the zoo of known-bug mutants. */
import { cmaDirect } from './cma-direct.ts';
import { cmaDirectRemap } from './cma-direct-remap.ts';
import type { Design } from './design.ts';
import { legacy318 } from './legacy-3.18.ts';
import { noKernelMapping } from './no-kernel-mapping.ts';

export const BUILTIN_DESIGNS: readonly Design[] = [legacy318, noKernelMapping, cmaDirect, cmaDirectRemap];
export const DEFAULT_DESIGN_IDS = BUILTIN_DESIGNS.map((d) => d.id);
