/**
 * `npm run bench`: allocator cost against RAM size, the cost of checking on a random workload,
 * explorer throughput, the search end to end against fast-check's trivial model, and one design's
 * check over one and two worker processes. Prints tables and ratios (bench/README.md says how to
 * read them); no figure is asserted. `--json FILE` also writes the figures as JSON; `--only 2,5`
 * runs just those sections; `--workers-runs N` sets section 5's runs (2,000). Takes about two
 * minutes.
 */
import { accessSync, constants, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { runAllocatorBench } from './allocators.ts';
import { type BenchArgs, parseArgs } from './args.ts';
import { EXPLORER_DEPTH, runExplorerBench } from './explorer.ts';
import { msSince, now } from './harness.ts';
import { runSearchBench } from './search.ts';
import { runWorkersBench } from './workers.ts';
import { runWorkloadBench } from './workload.ts';

const log = (s: string) => void process.stdout.write(`${s}\n`);

async function main({ jsonFile, only, workersRuns }: BenchArgs): Promise<void> {
  const t0 = now();
  log(`ionck bench (node ${process.version}, ${process.platform}/${process.arch})`);
  const figures: Record<string, unknown> = {};

  if (only.has(1)) {
    log('\n1. Allocators: per-op cost on arm32-1g and arm32-4g (median of 7; 4g/1g should be about 1)\n');
    figures.allocators = runAllocatorBench(log);
  }
  if (only.has(2)) {
    log('\n2. Checking cost on a random workload, arm32-1g (each op the fastest of 5 runs)\n');
    figures.workload = runWorkloadBench(log);
  }
  if (only.has(3)) {
    log(`\n3. Explorer throughput on tiny, depth ${EXPLORER_DEPTH}, all invariants\n`);
    figures.explorer = await runExplorerBench(log);
  }
  if (only.has(4)) {
    log("\n4. Search end to end against fast-check's trivial model, same process\n");
    figures.search = await runSearchBench(log);
  }
  if (only.has(5)) {
    log('\n5. Workers on one design: ionck check --workers 1 against --workers 2\n');
    figures.workers = await runWorkersBench(log, workersRuns);
  }

  log(`\ntotal ${(msSince(t0) / 1000).toFixed(1)} s`);
  if (jsonFile) {
    writeFileSync(jsonFile, `${JSON.stringify(figures, null, 2)}\n`);
    log(`figures written to ${jsonFile}`);
  }
}

let args: ReturnType<typeof parseArgs>;
try {
  args = parseArgs(process.argv.slice(2));
  // the figures file is checked before two minutes of work, not after
  const file = args.jsonFile;
  if (file !== undefined)
    try {
      accessSync(dirname(resolve(file)), constants.W_OK);
    } catch (e) {
      throw new Error(`--json ${file} cannot be written (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
} catch (e) {
  process.stderr.write(`bench: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
  process.exit(2);
}
await main(args);
