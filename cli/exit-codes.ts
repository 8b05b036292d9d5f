/** Exit codes of the command line (README.md "Commands"). */
export const EXIT = {
  ok: 0,
  /** Verification failed, or findings at or above `--fail-on`. */
  failed: 1,
  /** Bad usage or bad input: a message names the file, line or field. */
  badInput: 2,
  /** The run finished with a failed source. */
  sourceFailed: 3,
} as const;
