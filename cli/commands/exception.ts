/**
 * `accessproof exception add FINDING`: record a risk acceptance (approver, rationale, expiry).
 * The approver must be listed in the config's `policy.exceptionApprovers` and independent of the
 * finding's subject. The acceptance takes effect at `--as-of` (default: now); the wall-clock time
 * it was entered is recorded beside it. The next sealed pack whose as-of falls in its term carries
 * it in exceptions.jsonl and the finding's history.
 */
import { InputError } from '../../core/errors';
import { acceptRisk } from '../../core/findings/exceptions';
import { loadConfig } from '../config-loader';
import { EXIT } from '../exit-codes';
import type { Output } from '../output';
import { DEMO_AS_OF, DEMO_CONFIG } from '../paths';
import { openExistingRepo } from './findings';
import { parseAsOf } from './scan';

export interface ExceptionAddOptions {
  approver: string;
  rationale: string;
  expires: string;
  compensatingControl?: string;
  out: string;
  config?: string;
  demo?: boolean;
  asOf?: string;
}

export async function runExceptionAdd(
  findingId: string,
  opts: ExceptionAddOptions,
  out: Output,
  now: () => Date = () => new Date(),
): Promise<number> {
  if (!opts.config && !opts.demo) {
    throw new InputError(
      'give --config FILE (or --demo): its policy.exceptionApprovers says who may approve',
      { field: '--config' },
    );
  }
  const { policy } = loadConfig(opts.config ?? DEMO_CONFIG).config;
  const enteredAt = now();
  const effective =
    opts.asOf !== undefined ? parseAsOf(opts.asOf) : opts.demo ? parseAsOf(DEMO_AS_OF) : enteredAt;
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
      effective,
      { approvers: policy.exceptionApprovers, maxDays: policy.exceptionMaxDays, enteredAt },
    );
    await repo.putFinding(accepted);
    out.line(
      `${findingId}: risk accepted by ${opts.approver} from ${accepted.exception?.grantedAt} until ${accepted.exception?.expiresAt}`,
    );
    out.line(
      'The next scan whose as-of falls in that term seals it into the evidence pack (exceptions.jsonl).',
    );
    return EXIT.ok;
  } finally {
    await repo.close();
  }
}
