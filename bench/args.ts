/** `npm run bench`'s command line (bench/run.ts). */

export const SECTIONS = [1, 2, 3, 4, 5] as const;

/** The command line: `--json FILE`, `--only N[,N...]`; anything else is one line and exit 2. */
export function parseArgs(argv: readonly string[]): { jsonFile: string | undefined; only: Set<number> } {
  let jsonFile: string | undefined;
  let only = new Set<number>(SECTIONS);
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if ((flag === '--json' || flag === '--only') && (value === undefined || value.startsWith('--')))
      throw new Error(`${flag} needs a value`);
    if (flag === '--json') jsonFile = value;
    else if (flag === '--only') {
      const ns = value!.split(',').map((x) => Number(x.trim()));
      const bad = ns.find((n) => !(SECTIONS as readonly number[]).includes(n));
      if (bad !== undefined) throw new Error(`--only takes section numbers 1 to 5, e.g. 2,5 (got ${value})`);
      only = new Set(ns);
    } else throw new Error(`unknown argument ${flag} (--json FILE, --only N[,N...])`);
    i++;
  }
  return { jsonFile, only };
}
