/** `ionck list designs|profiles|invariants|workloads`. */
import { UsageError } from '../errors.ts';
import { ALL_DESIGNS, DEFAULT_DESIGN_IDS } from '../model/designs/index.ts';
import { PROFILES } from '../model/profile.ts';
import { WORKLOADS } from '../properties/workloads.ts';
import { table } from '../report/terminal.ts';
import { GOALS, INVARIANTS, TYPE_OK } from '../spec/index.ts';
import type { CliIo } from './io.ts';

export const LIST_WHAT = ['designs', 'profiles', 'invariants', 'workloads'] as const;

interface Item {
  readonly id: string;
  readonly summary: string;
  readonly kind?: string;
}

function workloads(): Item[] {
  return WORKLOADS.map((w) => ({ id: w.id, summary: w.summary }));
}

export async function listItems(what: string): Promise<Item[]> {
  switch (what) {
    case 'designs':
      return ALL_DESIGNS.map((d) => ({
        id: d.id,
        summary: d.summary,
        kind: DEFAULT_DESIGN_IDS.includes(d.id) ? 'built-in' : 'zoo',
      }));
    case 'profiles':
      return PROFILES.map((p) => ({ id: p.id, summary: p.summary }));
    case 'invariants':
      return [
        ...INVARIANTS.map((i) => ({ id: i.id, summary: i.title, kind: 'invariant' })),
        { id: TYPE_OK.id, summary: `${TYPE_OK.title} (always checked first)`, kind: 'structural' },
        ...GOALS.map((g) => ({ id: g.id, summary: g.description, kind: 'goal' })),
      ];
    case 'workloads':
      return workloads();
    default:
      throw new UsageError(`cannot list '${what}' (choose one of: ${LIST_WHAT.join(', ')})`, 'usage');
  }
}

export async function listCommand(what: string, o: { json: boolean }, io: CliIo): Promise<number> {
  const items = await listItems(what);
  if (o.json) {
    io.stdout(`${JSON.stringify({ [what]: items }, null, 2)}\n`);
    return 0;
  }
  const withKind = items.some((i) => i.kind !== undefined);
  io.stdout(
    table(
      withKind ? ['id', 'kind', 'summary'] : ['id', 'summary'],
      items.map((i) => (withKind ? [i.id, i.kind ?? '', i.summary] : [i.id, i.summary])),
    ),
  );
  return 0;
}
