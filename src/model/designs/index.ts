/** The built-in designs (docs/designs.md) and the zoo of known-bug mutants. */
import { cmaDirect } from './cma-direct.ts';
import { cmaDirectRemap } from './cma-direct-remap.ts';
import type { Design } from './design.ts';
import { dmabufHeapCma } from './dmabuf-heap-cma.ts';
import { ion412 } from './ion-4.12.ts';
import { legacy318 } from './legacy-3.18.ts';
import { noKernelMapping } from './no-kernel-mapping.ts';
import { ZOO_DESIGNS } from './zoo/index.ts';

export const BUILTIN_DESIGNS: readonly Design[] = [
  legacy318,
  noKernelMapping,
  cmaDirect,
  cmaDirectRemap,
  ion412,
  dmabufHeapCma,
];
export const DEFAULT_DESIGN_IDS = BUILTIN_DESIGNS.map((d) => d.id);
export { ZOO_DESIGNS };
export const ALL_DESIGNS: readonly Design[] = [...BUILTIN_DESIGNS, ...ZOO_DESIGNS];

/** A built-in or zoo design by id. */
export function builtinDesign(id: string): Design | undefined {
  return ALL_DESIGNS.find((d) => d.id === id);
}
