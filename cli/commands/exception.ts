/**
 * `accessproof exception add FINDING`: record a risk acceptance (approver, rationale, expiry).
 * The next sealed pack carries it in exceptions.jsonl and the finding's history.
 */
import { InputError } from '../../core/errors';
import { acceptRisk } from '../../core/findings/exceptions';
import { EXIT } from '../exit-codes';
import type { Output } from '../output';
import { openExistingRepo } from './findings';

export interface ExceptionAddOptions {
  approver: string;
  rationale: string;
  expires: string;
  compensatingControl?: string;
  out: string;
}

export async function runExceptionAdd(
  findingId: string,
  opts: ExceptionAddOptions,
  out: Output,
): Promise<number> {
  const repo = await openExistingRepo(opts.out);
  try {
    const finding = await repo.get(findingId);
    if (!finding) throw new InputError(`no finding with id ${findingId}`, { field: 'FINDING' });
    const accepted = acceptRisk(
      finding,
      {
        approver: opts.approver,
        rationale: opts.rationale,
        expiresAt: opts.expires,
        ...(opts.compensatingControl ? { compensatingControl: opts.compensatingControl } : {}),
      },
      new Date(),
    );
    await repo.putFinding(accepted);
    out.line(`${findingId}: risk accepted by ${opts.approver} until ${accepted.exception?.expiresAt}`);
    out.line('The next scan seals it into the evidence pack (exceptions.jsonl).');
    return EXIT.ok;
  } finally {
    await repo.close();
  }
}
