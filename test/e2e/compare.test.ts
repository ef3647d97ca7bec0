/**
 * End to end: `ionck compare` through the CLI entry, then compare.html rendered in headless
 * Chromium: every chart must lay out with a real size. Fails (never skips) without Chromium.
 * Seed 20160901.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CHROMIUM_CANDIDATES,
  dumpDom,
  findChromium,
  injectBeforeBodyEnd,
  MEASURE_SCRIPT,
  readMeasurements,
} from '../../scripts/chromium.ts';
import { main } from '../../src/cli/main.ts';

const SEED = 20160901;
const dir = mkdtempSync(join(tmpdir(), 'ionck-e2e-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(`compare end to end (seed ${SEED})`, () => {
  it('renders compare.html in headless Chromium with every chart laid out', async () => {
    const bin = findChromium();
    if (!bin)
      throw new Error(
        `Chromium is required for this test and was not found (looked at $CHROMIUM, ${CHROMIUM_CANDIDATES.join(', ')}): apt-get install -y chromium`,
      );
    let stdout = '';
    let stderr = '';
    const code = await main(['compare', '--ops', '300', '--seed', `${SEED}`, '--out', dir], {
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
      stderrIsTTY: false,
      env: {},
      cwd: dir,
    });
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('compare.html');
    const html = readFileSync(join(dir, 'compare.html'), 'utf8');
    const page = join(dir, 'measure.html');
    writeFileSync(page, injectBeforeBodyEnd(html, MEASURE_SCRIPT));
    const m = readMeasurements(await dumpDom(bin, page));
    // 4 workloads x 2 profiles of vmalloc use, and a failures chart per profile
    expect(m.charts.map((c) => c.id).sort()).toEqual(
      [
        ...['arm32-1g', 'arm32-1g-cma512'].flatMap((p) =>
          ['seed-product', 'camera', 'display', 'random'].map((w) => `vmalloc-${p}-${w}`),
        ),
        'failures-arm32-1g',
        'failures-arm32-1g-cma512',
      ].sort(),
    );
    for (const c of m.charts) {
      expect(c.w, c.id).toBeGreaterThan(300);
      expect(c.h, c.id).toBeGreaterThan(150);
    }
    expect(m.pageHeight).toBeGreaterThan(2000);
  });
});
