/**
 * `npm run report:png`: a full-page screenshot of reports/compare.html as reports/compare.png, to
 * look at the report's layout without a browser. Runs `ionck compare` first when the HTML is
 * missing. Needs Chromium (`apt-get install chromium`, or $CHROMIUM).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPORT_FILES, runCompareCli } from '../src/cli/compare.ts';
import {
  dumpDom,
  findChromium,
  injectBeforeBodyEnd,
  MEASURE_SCRIPT,
  readMeasurements,
  screenshot,
} from './chromium.ts';

/** Screenshot width: a laptop screen. */
const WIDTH_PX = 1280;
/** Chromium cannot capture arbitrarily tall pages; longer reports are cut here. */
const HEIGHT_MAX_PX = 16_000;

async function main(): Promise<number> {
  const reports = fileURLToPath(new URL('../reports/', import.meta.url));
  const html = join(reports, REPORT_FILES.html);
  const png = join(reports, 'compare.png');
  const bin = findChromium();
  if (!bin) {
    process.stderr.write(
      'report:png: Chromium not found (apt-get install chromium, or set CHROMIUM=/path)\n',
    );
    return 2;
  }
  if (!existsSync(html)) {
    process.stderr.write(`report:png: ${html} is missing; running ionck compare first\n`);
    const code = await runCompareCli({ out: reports });
    if (code === 2) return 2;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'ionck-png-'));
  let height = 0;
  try {
    const measured = join(tmp, 'measure.html');
    writeFileSync(measured, injectBeforeBodyEnd(readFileSync(html, 'utf8'), MEASURE_SCRIPT));
    const m = readMeasurements(await dumpDom(bin, measured, `${WIDTH_PX},900`));
    height = Math.min(HEIGHT_MAX_PX, Math.max(600, m.pageHeight));
    await screenshot(bin, html, png, WIDTH_PX, height);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  process.stdout.write(`wrote ${png} (${WIDTH_PX}x${height} px, ${statSync(png).size} bytes)\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`report:png: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
    process.exitCode = 2;
  },
);
