/**
 * A small benchmark harness: process.hrtime.bigint, a warm-up, a batch size calibrated so one
 * sample takes long enough to time, the median of N samples, and plain-text tables. Figures are
 * printed, never asserted: a benchmark that fails on a slow machine tells nobody anything.
 */

export interface Timing {
  /** Median nanoseconds per op over the samples. */
  readonly nsPerOp: number;
  /** Every sample, ns per op. */
  readonly samples: readonly number[];
  /** Ops per sample. */
  readonly batch: number;
}

export interface MeasureOptions {
  /** Samples to take (default 5); the median is reported. */
  readonly reps?: number;
  /** Samples run and thrown away first (default 1). */
  readonly warmup?: number;
  /** A sample should take at least this long (default 20 ms); the batch grows until it does. */
  readonly minSampleMs?: number;
  /** Cap on the batch (default 1e6 iterations). */
  readonly maxBatch?: number;
}

export const now = (): bigint => process.hrtime.bigint();
export const msSince = (t0: bigint): number => Number(now() - t0) / 1e6;

/** CPU time (user + system) of this process in ms: rates over it hold up on a shared, loaded machine. */
export const cpuMs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Time `body(n)`, which runs n iterations and returns how many ops it did (an iteration may be
 * several ops, e.g. an alloc and a free). The batch n doubles until one call takes minSampleMs.
 */
export function measure(body: (n: number) => number, opts: MeasureOptions = {}): Timing {
  const reps = opts.reps ?? 5;
  const warmup = opts.warmup ?? 1;
  // calibration calls are also warm-up
  const n = calibrate(body, opts);
  for (let i = 0; i < warmup; i++) body(n);
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = now();
    const ops = body(n);
    samples.push(Number(now() - t0) / Math.max(1, ops));
  }
  return { nsPerOp: median(samples), samples, batch: n };
}

/** Batch size so one call of body takes about minSampleMs (the calls also warm the JIT up). */
export function calibrate(body: (n: number) => number, opts: MeasureOptions = {}): number {
  const minNs = (opts.minSampleMs ?? 20) * 1e6;
  const maxBatch = opts.maxBatch ?? 1_000_000;
  let n = 1;
  for (;;) {
    const t0 = now();
    body(n);
    const dt = Number(now() - t0);
    if (dt >= minNs || n >= maxBatch) return n;
    n = Math.min(maxBatch, dt <= 0 ? n * 16 : Math.max(n * 2, Math.ceil((n * minNs) / dt)));
  }
}

/**
 * Measure several variants of one operation (e.g. the same op on two profiles) with their
 * samples interleaved, so drift (GC, JIT, thermal) hits every variant alike. Each variant is
 * calibrated twice (the first pass is warm-up) and warmed up once more before sampling.
 */
export function measureInterleaved(
  bodies: Readonly<Record<string, (n: number) => number>>,
  opts: MeasureOptions = {},
): Record<string, Timing> {
  const reps = opts.reps ?? 5;
  const warmup = opts.warmup ?? 1;
  const keys = Object.keys(bodies);
  const batch: Record<string, number> = {};
  for (const k of keys) calibrate(bodies[k]!, opts);
  for (const k of keys) batch[k] = calibrate(bodies[k]!, opts);
  for (let i = 0; i < warmup; i++) for (const k of keys) bodies[k]!(batch[k]!);
  const samples: Record<string, number[]> = Object.fromEntries(keys.map((k) => [k, []]));
  for (let r = 0; r < reps; r++)
    for (const k of keys) {
      const t0 = now();
      const ops = bodies[k]!(batch[k]!);
      samples[k]!.push(Number(now() - t0) / Math.max(1, ops));
    }
  return Object.fromEntries(
    keys.map((k) => [k, { nsPerOp: median(samples[k]!), samples: samples[k]!, batch: batch[k]! }]),
  );
}

/** Human figures: 1.23 µs, 45.6 ms; 1.2M/s. */
export function fmtNs(ns: number): string {
  if (ns < 1e3) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(2)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(2)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

export function fmtRate(perSec: number): string {
  if (perSec >= 1e6) return `${(perSec / 1e6).toFixed(2)}M/s`;
  if (perSec >= 1e3) return `${(perSec / 1e3).toFixed(1)}k/s`;
  return `${perSec.toFixed(1)}/s`;
}

export const fmtRatio = (x: number): string => `${x >= 100 ? x.toFixed(0) : x.toFixed(2)}x`;

/** A plain-text table: first column left-aligned, the others right-aligned. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(head), w.map((x) => '-'.repeat(x)).join('  '), ...rows.map(line)].join('\n');
}
