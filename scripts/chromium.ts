/**
 * Headless Chromium for the report's own checks: `report:png` screenshots compare.html, and the
 * e2e test measures its charts. Chromium runs with a throwaway profile and no network services.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];
/** A headless browser that does not answer in this long is stuck. */
const CHROMIUM_TIMEOUT_MS = 90_000;

/** The Chromium binary: $CHROMIUM if set, else the first candidate that exists; null if none. */
export function findChromium(): string | null {
  const env = process.env.CHROMIUM;
  if (env) return existsSync(env) ? env : null;
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p)) ?? null;
}

function baseArgs(userDataDir: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--hide-scrollbars',
    '--force-device-scale-factor=1',
    `--user-data-dir=${userDataDir}`,
  ];
}

function run(bin: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      args,
      { timeout: CHROMIUM_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err)
          reject(
            new Error(
              `${bin} failed: ${err.message.split('\n')[0]} ${stderr.split('\n').slice(-3).join(' ')}`,
            ),
          );
        else resolve({ stdout, stderr });
      },
    );
  });
}

async function withProfile<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'ionck-chromium-'));
  try {
    return await f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The DOM of `htmlFile` after its scripts ran, as Chromium serialises it. */
export function dumpDom(bin: string, htmlFile: string, windowSize = '1280,900'): Promise<string> {
  return withProfile(async (dir) => {
    const { stdout } = await run(bin, [
      ...baseArgs(dir),
      `--window-size=${windowSize}`,
      '--dump-dom',
      pathToFileURL(htmlFile).href,
    ]);
    return stdout;
  });
}

/** A PNG screenshot of the top `width` x `height` pixels of `htmlFile`. */
export function screenshot(
  bin: string,
  htmlFile: string,
  pngFile: string,
  width: number,
  height: number,
): Promise<void> {
  return withProfile(async (dir) => {
    await run(bin, [
      ...baseArgs(dir),
      `--window-size=${width},${height}`,
      `--screenshot=${pngFile}`,
      pathToFileURL(htmlFile).href,
    ]);
  });
}

/**
 * A script to put at the end of a page: it records every chart's rendered size and the page height
 * as attributes of <body>, so `dumpDom` can read them back.
 */
export const MEASURE_SCRIPT = `<script>(()=>{const s=[...document.querySelectorAll('svg.chart')].map(e=>{const r=e.getBoundingClientRect();return{id:e.id,w:Math.round(r.width),h:Math.round(r.height)}});document.body.setAttribute('data-chart-sizes',JSON.stringify(s));document.body.setAttribute('data-page-height',String(document.documentElement.scrollHeight));})()</script>`;

export function injectBeforeBodyEnd(html: string, snippet: string): string {
  const i = html.lastIndexOf('</body>');
  return i < 0 ? html + snippet : html.slice(0, i) + snippet + html.slice(i);
}

/** Read what MEASURE_SCRIPT wrote from a dumped DOM. */
export function readMeasurements(dom: string): {
  charts: { id: string; w: number; h: number }[];
  pageHeight: number;
} {
  const sizes = /data-chart-sizes="([^"]*)"/.exec(dom);
  const height = /data-page-height="(\d+)"/.exec(dom);
  const unescapeAttr = (s: string) => s.replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  return {
    charts: sizes ? (JSON.parse(unescapeAttr(sizes[1]!)) as { id: string; w: number; h: number }[]) : [],
    pageHeight: height ? Number(height[1]) : 0,
  };
}
