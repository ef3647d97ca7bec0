/**
 * `ionck check`'s result as text: the terminal summary, the JSON of docs/architecture.md section
 * 7, Markdown (--out, the GitHub step summary), the issue block, GitHub annotations and JUnit. Each
 * is a projection of the one CheckResult; nothing here runs the model.
 */

import type { Design } from '../model/designs/design.ts';
import { formatOp } from '../model/ops.ts';
import { HEAP_NAMES } from '../model/types.ts';
import type { CheckResult, CheckViolation, DesignCheck, WorkerStat } from '../properties/check-result.ts';
import type { InvariantId } from '../spec/index.ts';
import { MODEL_VERSION, TOOL_VERSION } from '../version.ts';
import { mappingLines, plural, resultText, stepLines, table } from './terminal.ts';
import { fmt } from './text.ts';
/** What a check was asked, as its JSON records it (and `ionck merge` compares). */
export interface CheckParameters {
  readonly requireGoals: boolean;
  readonly timeLimit: number | null;
}

/**
 * The JSON of docs/architecture.md section 7 (plus `stats` with --stats): versions, seed, profile and
 * parameters at the top, then each design with its status, then `timing`. Wall-clock figures only in
 * elapsedMs fields and `timing` (the whole check's time and what each worker process did).
 */
export function checkJson(
  r: CheckResult,
  withStats: boolean,
  p: CheckParameters = { requireGoals: false, timeLimit: null },
  designs: readonly Pick<Design, 'id' | 'source'>[] = [],
  exitCode = 0,
) {
  return {
    tool: 'ionck',
    toolVersion: TOOL_VERSION,
    modelVersion: MODEL_VERSION,
    command: 'check',
    seed: r.seed,
    profile: r.profile,
    parameters: {
      runs: r.runs,
      maxOps: r.maxOps,
      invariants: r.invariants,
      heaps: r.heaps,
      shard: r.shard,
      requireGoals: p.requireGoals,
      timeLimit: p.timeLimit,
      withStats,
    },
    exitCode,
    results: r.results.map((d) => ({
      design: d.design,
      ...sourceOf(designs, d.design),
      profile: d.profile,
      status: d.status,
      ...(d.failure !== undefined ? { failure: d.failure } : {}),
      runs: d.runs,
      opsExecuted: d.opsExecuted,
      elapsedMs: d.elapsedMs,
      violations: d.violations.map((v) => ({
        invariant: v.invariant,
        step: v.step,
        message: v.message,
        ops: v.ops,
        callPath: v.callPath,
        replay: v.replay,
      })),
      goals: d.goals.map((g) => ({ goal: g.goal, reached: g.reached })),
      ...(withStats
        ? {
            stats: {
              actions: d.stats.actions,
              goals: d.stats.goals.map((g) => ({
                goal: g.goal,
                reached: g.reached,
                shortest: g.ops ? g.ops.length : null,
                ops: g.ops,
              })),
            },
          }
        : {}),
    })),
    timing: {
      elapsedMs: r.timing.elapsedMs,
      workers: r.timing.workers.map((w) => ({ ...w, opsPerSec: opsPerSec(w) })),
    },
  };
}

const opsPerSec = (w: WorkerStat): number => (w.busyMs > 0 ? Math.round((w.ops * 1000) / w.busyMs) : 0);

/** One line per worker process (or the check's own process): what it ran and how fast. */
export function workersText(r: CheckResult): string {
  return r.timing.workers
    .map((w) => {
      const who = w.worker === 0 ? 'main process' : `worker ${w.worker}`;
      const what = `${plural(w.chunks, 'chunk')}, ${plural(w.shrinks, 'shrink')}, ${plural(w.runs, 'run')}, ${fmt(w.ops)} ops`;
      return `${who}: ${what} in ${(w.busyMs / 1000).toFixed(1)}s (${(w.cpuMs / 1000).toFixed(1)}s CPU), ${fmt(opsPerSec(w))} ops/s\n`;
    })
    .join('');
}

const STATUS_WORD = { held: 'held', violated: 'VIOLATED', unproven: 'unproven', failed: 'FAILED' } as const;
const STATUS_MD = {
  held: '✅ held',
  violated: '❌ violated',
  unproven: '❔ unproven',
  failed: '❔ failed',
} as const;

const sourceOf = (designs: readonly Pick<Design, 'id' | 'source'>[], id: string) => {
  const source = designs.find((x) => x.id === id)?.source;
  return source !== undefined ? { source } : {};
};

/** The command that replays a token: a plugin's needs its file. */
export function replayCommandLine(token: string, source?: string): string {
  return `./bin/ionck replay ${source !== undefined ? `--design ${source} ` : ''}${token}`;
}

function findingsText(d: DesignCheck): string {
  if (d.violations.length === 0) return '-';
  return d.violations.map((v) => `${v.invariant} (${plural(v.ops.length, 'op')})`).join(', ');
}

/** The terminal text of a check. */
export function renderCheck(
  r: CheckResult,
  designs: readonly Design[],
  o: { readonly stats: boolean },
): string {
  const heaps = r.heaps.length < HEAP_NAMES.length ? `  heaps ${r.heaps.join(',')}` : '';
  let out = `ionck check  profile ${r.profile}  seed ${r.seed}${r.shard ? `  shard ${r.shard.index}/${r.shard.count}` : ''}  ${r.runs} runs x up to ${r.maxOps} ops${heaps}\n\n`;
  out += table(
    ['design', 'verdict', 'runs', 'ops', 'time', 'findings'],
    r.results.map((d) => [
      d.design,
      STATUS_WORD[d.status],
      String(d.runs),
      String(d.opsExecuted),
      `${(d.elapsedMs / 1000).toFixed(1)}s`,
      findingsText(d),
    ]),
  );
  out += `\n${workersText(r)}`;
  for (const d of r.results) {
    const design = designs.find((x) => x.id === d.design);
    out += `\n== ${d.design} on ${d.profile}: ${STATUS_WORD[d.status]}${d.interrupted ? ' (search cut short by --time-limit)' : ''}\n`;
    if (design?.source) out += `   plugin: ${design.source}\n`;
    if (d.failure !== undefined) out += `   failed: ${d.failure}\n`;
    out += table(
      ['invariant', 'verdict'],
      r.invariants.map((id) => {
        const v = d.violations.find((x) => x.invariant === id);
        return [id, v ? `violated after ${plural(v.ops.length, 'op')}` : `held in ${d.runs} runs`];
      }),
      '   ',
    );
    for (const v of d.violations.filter((x) => !(r.invariants as readonly string[]).includes(x.invariant)))
      out += `   ${v.invariant}: ${v.invariant === 'type-ok' ? 'MODEL BUG (type-ok failed)' : 'MODEL EXCEPTION'}\n`;
    out += `   goals: ${d.goals.map((g) => `${g.goal} ${g.reached ? 'reached' : 'NOT reached'}`).join(', ')}\n`;
    if (d.status === 'unproven')
      out += `   unproven: no violation, but not every goal was reached, so "held" would claim more than the runs showed\n`;
    if (o.stats) out += statsText(d);
    for (const v of d.violations) out += violationText(d, v, design?.source);
  }
  return out;
}

function statsText(d: DesignCheck): string {
  let out = '\n   action coverage (search runs):\n';
  out += table(
    ['op', 'applied', 'ok', 'failed'],
    Object.entries(d.stats.actions).map(([k, a]) => [k, String(a.applied), String(a.ok), String(a.failed)]),
    '     ',
  );
  out += '\n   goals:\n';
  for (const g of d.stats.goals) {
    out += `     ${g.goal}: ${g.reached ? `reached, shortest in ${plural(g.ops!.length, 'op')}` : 'NOT reached'} (${g.description})\n`;
    if (g.ops && g.ops.length <= 12) for (const op of g.ops) out += `       ${formatOp(op)}\n`;
  }
  return out;
}

export function violationText(d: DesignCheck, v: CheckViolation, source?: string): string {
  const n = plural(v.ops.length, 'op');
  const title =
    v.invariant === 'type-ok'
      ? `${d.design}: MODEL BUG (type-ok failed) after ${n}`
      : v.invariant === 'model-exception'
        ? `${d.design}: MODEL EXCEPTION (a bug in the model or the design) after ${n}`
        : `${d.design} violates ${v.invariant} after ${n}`;
  let out = `\n-- ${title} (profile ${d.profile})\n   ${v.message}\n\n`;
  v.detail.steps.forEach((s, i) => {
    out += stepLines(i, s, '   ');
  });
  const maps = mappingLines(v.detail.pfns, v.detail.mappings, '   ');
  if (maps) out += `\n${maps}`;
  out += `\n   issue text:\n${issueBlock(d, v, source)}`;
  return out;
}

/** An issue-ready Markdown block (four-backtick fence so the inner fences survive). */
export function issueBlock(
  d: Pick<DesignCheck, 'design' | 'profile'>,
  v: CheckViolation,
  source?: string,
): string {
  const what =
    v.invariant === 'model-exception'
      ? 'throws (a model exception: a bug in the model or the design)'
      : v.invariant === 'type-ok'
        ? 'breaks the model (type-ok failed)'
        : `violates \`${v.invariant}\``;
  const lines = [
    '````markdown',
    `**ionck: \`${d.design}\` ${what}** on profile \`${d.profile}\` after ${plural(v.ops.length, 'op')}.`,
    '',
    `> ${v.message}`,
    '',
    '| # | op | result | call path |',
    '|---|---|---|---|',
    ...v.detail.steps.map(
      (s, i) => `| ${i} | \`${formatOp(s.op)}\` | ${resultText(s)} | ${s.callPath.join(' > ') || '-'} |`,
    ),
    '',
    'Reproduce:',
    '',
    '```sh',
    replayCommandLine(v.replay, source),
    '```',
    '',
    `Token: \`${v.replay}\``,
    '````',
  ];
  return `${lines.join('\n')}\n`;
}

/** Markdown summary (GitHub step summary, --out check.md). */
export function checkMarkdown(
  r: CheckResult,
  designs: readonly Pick<Design, 'id' | 'source'>[] = [],
): string {
  let out = `## ionck check: ${r.profile}, seed ${r.seed}\n\n`;
  out += '| design | verdict | runs | findings |\n|---|---|---|---|\n';
  for (const d of r.results)
    out += `| \`${d.design}\` | ${STATUS_MD[d.status]} | ${d.runs} | ${d.failure !== undefined ? `failed: ${d.failure.replace(/\|/g, '\\|')}` : findingsText(d)} |\n`;
  for (const d of r.results) {
    const source = sourceOf(designs, d.design).source;
    const unreached = d.goals.filter((g) => !g.reached).map((g) => `\`${g.goal}\``);
    if (unreached.length > 0) out += `\n\`${d.design}\`: goals not reached: ${unreached.join(', ')}\n`;
    for (const v of d.violations) {
      out += `\n### \`${d.design}\` violates \`${v.invariant}\` (${plural(v.ops.length, 'op')})\n\n`;
      out += `> ${v.message}\n\n`;
      out += v.ops.map((op, i) => `${i}. \`${formatOp(op)}\``).join('\n');
      out += `\n\n\`\`\`sh\n${replayCommandLine(v.replay, source)}\n\`\`\`\n`;
    }
  }
  return out;
}

const ghEscape = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

/** GitHub Actions error annotations: one per violation or failed design, with its replay command. */
export function githubAnnotations(r: CheckResult, designs: readonly Pick<Design, 'id' | 'source'>[]): string {
  let out = '';
  for (const d of r.results) {
    const source = sourceOf(designs, d.design).source;
    if (d.failure !== undefined)
      out += `::error title=ionck: ${d.design} failed::${ghEscape(`${d.design} failed on ${d.profile}: ${d.failure}`)}\n`;
    for (const v of d.violations)
      out += `::error title=ionck: ${d.design} violates ${v.invariant}::${ghEscape(`${v.message}\nreplay: ${replayCommandLine(v.replay, source)}`)}\n`;
  }
  return out;
}

const xml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JUnit XML: one suite per design, one case per invariant and per goal. */
export function checkJunit(r: CheckResult, requireGoals: boolean): string {
  let tests = 0;
  let failures = 0;
  const suites: string[] = [];
  for (const d of r.results) {
    const cases: string[] = [];
    let f = 0;
    const ids = [
      ...r.invariants,
      ...d.violations.map((v) => v.invariant).filter((x) => !r.invariants.includes(x as InvariantId)),
    ];
    for (const id of ids) {
      const v = d.violations.find((x) => x.invariant === id);
      const body = v
        ? `<failure message="${xml(v.message)}" type="${xml(id)}">${xml(
            `${v.ops.map((op, i) => `#${i} ${formatOp(op)}`).join('\n')}\n\n./bin/ionck replay ${v.replay}\n`,
          )}</failure>`
        : '';
      if (v) f++;
      cases.push(`    <testcase classname="ionck.${xml(d.design)}" name="${xml(id)}">${body}</testcase>`);
    }
    if (d.failure !== undefined) {
      f++;
      cases.push(
        `    <testcase classname="ionck.${xml(d.design)}" name="design"><error message="${xml(d.failure)}" type="design-failure"/></testcase>`,
      );
    }
    for (const g of d.goals) {
      let body = '';
      if (!g.reached && requireGoals) {
        body = `<failure message="goal ${xml(g.goal)} was never reached" type="goal"/>`;
        f++;
      } else if (!g.reached) body = `<skipped message="goal not reached"/>`;
      cases.push(
        `    <testcase classname="ionck.${xml(d.design)}.goals" name="${xml(g.goal)}">${body}</testcase>`,
      );
    }
    tests += cases.length;
    failures += f;
    suites.push(
      `  <testsuite name="${xml(`${d.design} on ${d.profile}`)}" tests="${cases.length}" failures="${f}" time="${(d.elapsedMs / 1000).toFixed(3)}">\n${cases.join('\n')}\n  </testsuite>`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="ionck check" tests="${tests}" failures="${failures}">\n${suites.join('\n')}\n</testsuites>\n`;
}
