/**
 * Progress on stderr, for check and compare: a cli-progress bar when stderr is a terminal, one
 * plain line per finished design (check) or run (compare) otherwise (CI logs), nothing on stdout.
 */

import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../compare/params.ts';
import type { CheckProgress, DesignCheck } from '../properties/check-result.ts';
import { plural } from '../report/terminal.ts';
import type { CliIo } from './io.ts';

export interface CheckProgressView {
  update(p: CheckProgress): void;
  designDone(r: DesignCheck): void;
  stop(): void;
}

export function checkProgress(io: CliIo, quiet: boolean): CheckProgressView {
  if (quiet) return { update: () => {}, designDone: () => {}, stop: () => {} };
  if (!io.stderrIsTTY)
    return {
      update: () => {},
      designDone: (r) =>
        io.stderr(
          `ionck check: ${r.design} on ${r.profile}: ${r.status} (${r.runs} runs, ${plural(r.violations.length, 'finding')}${r.interrupted ? ', cut short by --time-limit' : ''})\n`,
        ),
      stop: () => {},
    };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: ' {design} [{bar}] {value}/{total} runs | {phase} | {findings} | {step}',
      hideCursor: true,
      clearOnComplete: true,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let current = '';
  return {
    update(p) {
      const payload = {
        design: p.design.padEnd(18),
        phase: p.phase === 'search' ? 'searching' : 'shrinking',
        findings: plural(p.findings, 'finding'),
        step: `design ${p.designIndex + 1}/${p.designCount}`,
      };
      if (!started) {
        bar.start(p.runsTotal, p.runsDone, payload);
        started = true;
      } else if (current !== p.design) bar.setTotal(p.runsTotal);
      current = p.design;
      bar.update(p.runsDone, payload);
    },
    designDone() {},
    stop() {
      if (started) bar.stop();
    },
  };
}

/** Progress on stderr: a bar on a terminal, one line per run otherwise. */
export function compareProgress(
  io: CliIo,
  total: number,
): { on: (e: ProgressEvent) => void; stop: () => void } {
  if (io.stderrIsTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: ' compare [{bar}] {value}/{total} | {label}',
        hideCursor: true,
        clearOnComplete: true,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { label: '' });
    let cxTotal = 0;
    return {
      on: (e) => {
        if (e.phase === 'run') bar.update(e.done, { label: `${e.design} · ${e.profile} · ${e.workload}` });
        else {
          if (cxTotal === 0) {
            cxTotal = e.total;
            bar.setTotal(total + e.total);
          }
          bar.update(total + e.done, { label: `counterexample: ${e.label}` });
        }
      },
      stop: () => bar.stop(),
    };
  }
  return {
    on: (e) => {
      if (e.phase === 'run')
        io.stderr(
          `ionck compare: [${e.done}/${e.total}] ${e.design} · ${e.profile} · ${e.workload} (${Math.round(e.elapsedMs)} ms)\n`,
        );
      else io.stderr(`ionck compare: counterexample [${e.done}/${e.total}] ${e.label}\n`);
    },
    stop: () => {},
  };
}
