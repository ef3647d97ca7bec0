/**
 * Progress on stderr: a cli-progress bar when stderr is a terminal, one plain line per finished
 * design otherwise (CI logs), nothing on stdout.
 */
import cliProgress from 'cli-progress';
import type { CheckProgress, DesignCheck } from '../properties/check.ts';
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
