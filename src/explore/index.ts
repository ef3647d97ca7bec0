/** The explorer (docs/architecture.md section 6): bounded BFS for shortest counterexamples (inline or over worker processes), and certify(). */

export { type AlphabetOptions, buildAlphabet, type Letter, letterOf, withOps } from './alphabet.ts';
export { type CertifyResult, type CertifyVerdict, certify } from './certify.ts';
export {
  type Counterexample,
  DEFAULT_MAX_STATES,
  EXPLORE_DEPTH_MAX,
  type ExploreOptions,
  type ExploreResult,
  explore,
  type ModelBugFinding,
} from './search.ts';
export { exploreSharded } from './shards.ts';
