/**
 * Errors ionck reports as input it cannot use (a flag, a profile, a replay, a design file): one
 * line on stderr and exit 2. Each class has a stable `code` for scripts and tests, and the CLI maps
 * every IonckError to exit 2 in one place (src/cli/io.ts exitOnError); anything else is an
 * internal error.
 */
export class IonckError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** Bad command-line input; `code` names what was wrong ('unknown-design', 'bad-token', ...). */
export class UsageError extends IonckError {
  override name = 'UsageError';
  constructor(message: string, code = 'usage') {
    super(message, code);
  }
}

/** Declares an IonckError subclass whose code is fixed. */
const fixed = (name: string, code: string) =>
  class extends IonckError {
    override name = name;
    constructor(message: string) {
      super(message, code);
    }
  };

/** A profile spec or override that describes no real board. */
export class ProfileError extends fixed('ProfileError', 'bad-profile') {}
/** A design that does not satisfy the Design contract. */
export class DesignError extends fixed('DesignError', 'bad-design') {}
/** A plugin design file that does not load. */
export class PluginLoadError extends fixed('PluginLoadError', 'plugin-load') {}
/** A heap returned garbage where ION takes its result (the design's fault). */
export class HeapContractError extends fixed('HeapContractError', 'heap-contract') {}
/** An op (in a replay file or token) that is not well formed. */
export class OpError extends fixed('OpError', 'bad-op') {}
/** A replay file or token that does not parse. */
export class ReplayError extends fixed('ReplayError', 'bad-replay') {}
/** A boot-vmallocinfo= file that does not parse. */
export class VmallocinfoError extends fixed('VmallocinfoError', 'bad-vmallocinfo') {}
/** compare options that cannot be run. */
export class CompareError extends fixed('CompareError', 'bad-compare') {}
/** explore options that cannot be run. */
export class ExploreError extends fixed('ExploreError', 'bad-explore') {}
/** An output path that cannot be created or written. */
export class OutDirError extends fixed('OutDirError', 'bad-output-path') {}

/** The first non-blank line of an error's message, trimmed, at most 300 characters. */
export const firstLine = (e: unknown): string => {
  const msg = e instanceof Error ? e.message : String(e);
  return (msg.split('\n').find((l) => l.trim() !== '') ?? 'unknown error').trim().slice(0, 300);
};
