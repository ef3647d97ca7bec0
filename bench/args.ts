/** `npm run bench`'s command line (bench/run.ts). */

export const SECTIONS = [1, 2, 3, 4, 5] as const;

/** Section 5's runs by default: long enough to measure scaling, short enough for two minutes. */
export const WORKERS_RUNS_DEFAULT = 2000;
/** Section 5's runs at most (one such check takes hours on one worker). */
export const WORKERS_RUNS_MAX = 1_000_000;

export interface BenchArgs {
  readonly jsonFile: string | undefined;
  readonly only: Set<number>;
  /** Runs of section 5's check (workers pay a fixed start-up: longer checks scale better). */
  readonly workersRuns: number;
}

const FLAGS = '--json FILE, --only N[,N...], --workers-runs N';

/** The command line (FLAGS); anything else is one line and exit 2. */
export function parseArgs(argv: readonly string[]): BenchArgs {
  let jsonFile: string | undefined;
  let only = new Set<number>(SECTIONS);
  let workersRuns = WORKERS_RUNS_DEFAULT;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (
      (flag === '--json' || flag === '--only' || flag === '--workers-runs') &&
      (value === undefined || value.startsWith('--'))
    )
      throw new Error(`${flag} needs a value`);
    if (flag === '--json') jsonFile = value;
    else if (flag === '--workers-runs') {
      workersRuns = Number(value);
      if (!/^\d+$/.test(value!) || workersRuns < 1 || workersRuns > WORKERS_RUNS_MAX)
        throw new Error(
          `--workers-runs takes a whole number of runs in 1..${WORKERS_RUNS_MAX} (got ${value})`,
        );
    } else if (flag === '--only') {
      const ns = value!.split(',').map((x) => Number(x.trim()));
      const bad = ns.find((n) => !(SECTIONS as readonly number[]).includes(n));
      if (bad !== undefined) throw new Error(`--only takes section numbers 1 to 5, e.g. 2,5 (got ${value})`);
      only = new Set(ns);
    } else throw new Error(`unknown argument ${flag} (${FLAGS})`);
    i++;
  }
  return { jsonFile, only, workersRuns };
}
