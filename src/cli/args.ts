/**
 * Command-line arguments, shared by every `ionck` subcommand (main.ts, compare.ts, explore.ts):
 * commander value parsers for numeric and repeatable flags, the helper that folds commander's
 * error message to one line, and the error prefix of compare's and explore's bad flags. Bad input
 * is one line on stderr and exit 2, never a stack trace.
 */
import { type CommanderError, InvalidArgumentError } from 'commander';
import { UsageError } from '../errors.ts';

/** The longest --time-limit any subcommand accepts, in seconds (a week). */
export const TIME_LIMIT_S_MAX = 7 * 24 * 3600;

/**
 * The most --workers any subcommand accepts (check and explore alike). Each worker is a
 * node process holding its own booted machine, so workers beyond the cores only add memory and
 * start-up; 64 leaves room for large CI machines and stops a typo (--workers 1000) at once.
 */
export const WORKERS_MAX = 64;

/** A message on one line: commander's `error: ` prefix dropped, the non-blank lines joined. */
export const oneLine = (s: string): string =>
  s
    .replace(/^error:\s*/i, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' ');

/** A flag value that must not be empty (`--out ""` would mean the current directory). */
export const nonEmptyArg =
  (flag: string) =>
  (v: string): string => {
    if (v.trim() === '') throw new InvalidArgumentError(`${flag} must not be empty`);
    return v;
  };

/** A repeatable flag: every value, in order. */
export const collect = (v: string, prev: string[]): string[] => {
  // one rule for every repeatable flag: the same value twice is a mistake, said as one line
  if (prev.includes(v)) throw new InvalidArgumentError(`'${v}' is given twice`);
  return [...prev, v];
};

/** A whole number (digits only) in min..max. */
export const intArg =
  (what: string, min: number, max: number) =>
  (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${what} must be an integer in ${min}..${max}`);
    return n;
  };

/** A number of seconds in (0, TIME_LIMIT_S_MAX]; `invalid` is the message otherwise. */
export const secondsArg =
  (invalid: string) =>
  (v: string): number => {
    const n = Number(v);
    if (!/^\d+(\.\d+)?$/.test(v.trim()) || !(n > 0) || n > TIME_LIMIT_S_MAX)
      throw new InvalidArgumentError(invalid);
    return n;
  };

/**
 * A commander error (bad flag, missing value, excess argument) in a subcommand that says its bad
 * input with a prefix of its own: main prints `${prefix}${message}`, exit 2.
 */
export class FlagError extends UsageError {
  constructor(
    readonly prefix: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The exitOverride of such a subcommand (compare: `ionck compare: `, explore: `ionck: explore: `):
 * help (exit 0) passes as it is, any other commander error becomes a FlagError of one line.
 */
export const flagErrorsWith =
  (prefix: string) =>
  (e: CommanderError): never => {
    if (e.exitCode === 0) throw e;
    throw new FlagError(prefix, oneLine(e.message));
  };
