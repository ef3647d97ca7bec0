/**
 * The zoo's entries (docs/designs.md "The zoo"): every known bug B1..B19 with where it lives
 * (planted, native, not expressible), every mutant, and plugin designs given with --design. An
 * entry names the design, the profile on which its bug lives and the invariants it breaks.
 */
import type { Design } from '../model/designs/design.ts';
import { builtinDesign, ZOO_DESIGNS } from '../model/designs/index.ts';
import { KNOWN_BUGS_CATALOGUE, type KnownBugStatus } from '../model/designs/zoo/catalogue.ts';
import { DEFAULT_PROFILE_ID } from '../model/profile.ts';
import { INVARIANT_IDS, type InvariantId } from '../spec/index.ts';

export type ZooKind = 'known' | 'mutant' | 'plugin';

export interface ZooEntry {
  /** B1..B19, the mutant's id (m01-...) or the plugin's design id. */
  readonly id: string;
  readonly kind: ZooKind;
  readonly status: KnownBugStatus;
  /** null when the entry is not measured (not expressible, or planted elsewhere). */
  readonly design: Design | null;
  readonly profile: string | null;
  readonly invariants: readonly InvariantId[];
  readonly note: string;
}

const isInvariant = (x: string): x is InvariantId => (INVARIANT_IDS as readonly string[]).includes(x);

/** The invariants a zoo target names (unknown names dropped; none: all seven). */
function invariantsOf(names: readonly string[] | undefined): InvariantId[] {
  const known = (names ?? []).filter(isInvariant);
  return known.length > 0 ? known : [...INVARIANT_IDS];
}

function fromDesign(d: Design, kind: ZooKind, id: string, note: string): ZooEntry {
  return {
    id,
    kind,
    status: 'planted',
    design: d,
    profile: d.zoo?.profile ?? DEFAULT_PROFILE_ID,
    invariants: invariantsOf(d.zoo?.invariants),
    note,
  };
}

/** Every entry: B1..B19 in order, then the mutants, then zoo designs of other bugs, then plugins. */
export function zooEntries(plugins: readonly Design[] = []): ZooEntry[] {
  const out: ZooEntry[] = [];
  const used = new Set<string>();
  for (const k of KNOWN_BUGS_CATALOGUE) {
    // a bug planted by another part of the project shows up once its zoo design is registered
    const planted = ZOO_DESIGNS.find((d) => d.zoo?.bug === k.bug);
    const d = k.design ? builtinDesign(k.design) : planted;
    if (d && (k.status === 'planted' || k.status === 'elsewhere')) {
      used.add(d.id);
      out.push(fromDesign(d, 'known', k.bug, k.note));
    } else if (d && k.status === 'native') {
      out.push({
        id: k.bug,
        kind: 'known',
        status: 'native',
        design: d,
        profile: k.profile ?? DEFAULT_PROFILE_ID,
        invariants: invariantsOf(k.invariants),
        note: k.note,
      });
    } else
      out.push({
        id: k.bug,
        kind: 'known',
        status: k.status,
        design: null,
        profile: null,
        invariants: invariantsOf(k.invariants),
        note: k.note,
      });
  }
  const rest = ZOO_DESIGNS.filter((d) => !used.has(d.id));
  for (const d of rest.filter((x) => /^zoo\/m\d/.test(x.id)))
    out.push(fromDesign(d, 'mutant', d.zoo?.bug ?? d.id.replace(/^zoo\//, ''), d.summary));
  for (const d of rest.filter((x) => !/^zoo\/m\d/.test(x.id)))
    out.push(fromDesign(d, 'known', d.zoo?.bug ?? d.id, d.summary));
  for (const d of plugins) out.push(fromDesign(d, 'plugin', d.zoo?.bug ?? d.id, d.summary));
  return out;
}
