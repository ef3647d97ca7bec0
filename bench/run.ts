/**
 * `npm run bench`: allocator cost against RAM size, the cost of checking on a random workload,
 * explorer throughput, the search end to end against fast-check's trivial model, and one design's
 * check over one and two worker processes. Prints tables and ratios (bench/README.md says how to
 * read them); no figure is asserted. `--json FILE` also writes the figures as JSON. Takes about
 * two minutes.
 */
import { writeFileSync } from 'node:fs';
import { runAllocatorBench } from './allocators.ts';
import { EXPLORER_DEPTH, runExplorerBench } from './explorer.ts';
import { msSince, now } from './harness.ts';
import { runSearchBench } from './search.ts';
import { runWorkersBench } from './workers.ts';
import { runWorkloadBench } from './workload.ts';

const log = (s: string) => void process.stdout.write(`${s}\n`);

async function main(argv: readonly string[]): Promise<void> {
  const jsonAt = argv.indexOf('--json');
  const jsonFile = jsonAt >= 0 ? argv[jsonAt + 1] : undefined;
  const t0 = now();
  log(`ionck bench (node ${process.version}, ${process.platform}/${process.arch})\n`);

  log('1. Allocators: per-op cost on arm32-1g and arm32-4g (median of 7; 4g/1g should be about 1)\n');
  const allocators = runAllocatorBench(log);

  log('\n2. Checking cost on a random workload, arm32-1g (CPU time, fastest of 5 runs)\n');
  const workload = runWorkloadBench(log);

  log(`\n3. Explorer throughput on tiny, depth ${EXPLORER_DEPTH}, all invariants\n`);
  const explorer = await runExplorerBench(log);

  log("\n4. Search end to end against fast-check's trivial model, same process\n");
  const search = await runSearchBench(log);

  log('\n5. Workers on one design: ionck check --workers 1 against --workers 2\n');
  const workers = runWorkersBench(log);

  log(`\ntotal ${(msSince(t0) / 1000).toFixed(1)} s`);
  if (jsonFile) {
    writeFileSync(
      jsonFile,
      `${JSON.stringify({ allocators, workload, explorer, search, workers }, null, 2)}\n`,
    );
    log(`figures written to ${jsonFile}`);
  }
}

await main(process.argv.slice(2));
