/**
 * The ground: errors every layer may throw. Imports nothing from dockforge.
 *
 * Exit codes (the CLI maps errors to them): 0 success; 1 conflicts or drift that need a
 * human; 2 bad input, nothing written.
 */

/**
 * Invalid user input (a flag, `--set`, a prompt answer, answers.yaml, the record of generated
 * files, a pack). The CLI prints `message` on one line and exits with code 2 without writing
 * anything.
 */
export class UsageError extends Error {
  /** Process exit code for this error. */
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** True for a {@link UsageError}, also across module copies (checked by name). */
export function isUsageError(e: unknown): e is UsageError {
  return e instanceof UsageError || (e as { name?: unknown } | null)?.name === 'UsageError';
}
