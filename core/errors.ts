/**
 * Error types that decide exit codes and source status (README.md "Commands").
 *
 * - `InputError`: bad usage or bad input (config, ruleset, export file). Exit 2, nothing sealed.
 * - `SourceError`: a source could not be collected (API failure, denied role). The run goes on,
 *   the pack records the source as failed, exit 3.
 */

export interface InputLocation {
  /** File path as the user gave it (or relative to the config). */
  file?: string;
  /** 1-based line number. */
  line?: number;
  /** Field or column name, or a dotted path such as `sources[2].system`. */
  field?: string;
}

export class InputError extends Error {
  override readonly name = 'InputError';
  readonly location: InputLocation;
  constructor(message: string, location: InputLocation = {}) {
    super(formatLocated(message, location));
    this.location = location;
  }
}

export class SourceError extends Error {
  override readonly name = 'SourceError';
  /** e.g. `GetAccountAuthorizationDetails` */
  readonly operation?: string;
  /** 1-based page the failure happened on. */
  readonly page?: number;
  constructor(message: string, context: { operation?: string; page?: number; cause?: unknown } = {}) {
    const where = [context.operation, context.page !== undefined ? `page ${context.page}` : undefined]
      .filter(Boolean)
      .join(' ');
    super(where ? `${where}: ${message}` : message, context.cause ? { cause: context.cause } : undefined);
    if (context.operation !== undefined) this.operation = context.operation;
    if (context.page !== undefined) this.page = context.page;
  }
}

/** `rules/sox-core.yaml:14: unknown function AP-PAYMNT`, `users.csv:7 (email): …` */
export function formatLocated(message: string, location: InputLocation): string {
  let where = location.file ?? '';
  if (location.line !== undefined) where += `${where ? ':' : 'line '}${location.line}`;
  if (location.field !== undefined) where += where ? ` (${location.field})` : location.field;
  return where ? `${where}: ${message}` : message;
}
