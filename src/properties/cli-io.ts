/**
 * The terminal and environment as a command sees them: injected, so tests run `ionck` and its
 * subcommands (src/cli, src/report/compare-cli.ts, src/explore/cli.ts) in-process with captured
 * output.
 */

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Progress bars only on a terminal; plain lines otherwise. */
  readonly stderrIsTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Relative paths (plugins, --out, replay files) resolve against this directory. */
  readonly cwd: string;
}

/** The real terminal, environment and working directory of this process. */
export function processIo(): CliIo {
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    stderrIsTTY: process.stderr.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
  };
}
