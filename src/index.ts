/**
 * ionck's public API: define a design (the heaps and policies are the building blocks), boot a
 * kernel and apply ops, check invariants, run the random search, compare designs, replay tokens.
 *
 * A plugin design file (`ionck check --design ./my-design.ts`):
 *
 *   import { defineDesign, standardHeaps, CmaDirectHeap, REMAP_LINEAR, HEAP_ID } from 'ionck';
 *   export default defineDesign({
 *     id: 'my-design', summary: '...', citations: ['...'], dmaLayer: '4.1',
 *     heaps: (ctx) => [...standardHeaps(ctx, REMAP_LINEAR), new CmaDirectHeap(HEAP_ID.cma, { linear: REMAP_LINEAR })],
 *   });
 */

export { runCompare } from './compare/compare.ts';
export type { CompareOptions } from './compare/params.ts';
export {
  CompareError,
  DesignError,
  ExploreError,
  HeapContractError,
  IonckError,
  OpError,
  PluginLoadError,
  ProfileError,
  ReplayError,
  UsageError,
} from './errors.ts';
export {
  type Design,
  type DesignInput,
  defineDesign,
  HEAP_ID,
  type HeapBuildCtx,
  standardHeaps,
} from './model/designs/design.ts';
export { ALL_DESIGNS, BUILTIN_DESIGNS, builtinDesign, ZOO_DESIGNS } from './model/designs/index.ts';
export type { DmaAllocation, DmaAttrs, DmaDevice, DmaLayer } from './model/dma/arm-3.18.ts';
export type { HeapCtx, HeapName, IonHeap } from './model/ion/heap.ts';
export { CarveoutHeap } from './model/ion/heaps/carveout.ts';
export { Cma318Heap, CmaDirectHeap } from './model/ion/heaps/cma.ts';
export { DmabufCmaHeap } from './model/ion/heaps/dmabuf-cma.ts';
export {
  KEEP_LINEAR,
  type LinearPolicy,
  REMAP_LINEAR,
  remapLinear,
} from './model/ion/heaps/linear-policy.ts';
export { SystemContigHeap, SystemHeap } from './model/ion/heaps/system.ts';
export { System412Heap } from './model/ion/heaps/system-4.12.ts';
export { Kernel, type OpResult } from './model/kernel.ts';
export { type BootLayout, computeLayout } from './model/layout.ts';
export { type Op, parseOp } from './model/ops.ts';
export { PROFILES, type Profile, resolveProfile } from './model/profile.ts';
export { Errno, MemType, ModelBug } from './model/types.ts';
export { type CheckOptions, runCheck } from './properties/check.ts';
export type { CheckResult } from './properties/check-result.ts';
export {
  decodeToken,
  encodeToken,
  parseReplay,
  type Replay,
  runReplay,
} from './properties/replay.ts';
export { type RunResult, runOps } from './properties/run.ts';
export { WORKLOADS } from './properties/workloads.ts';
export {
  checkStep,
  GOALS,
  INVARIANT_IDS,
  INVARIANTS,
  type Invariant,
  type InvariantId,
  type Violation,
} from './spec/index.ts';
