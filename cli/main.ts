/**
 * `accessproof`: the same five steps as the cloud run (docs/architecture.md), composed for one machine.
 * Each command lives in `commands/` and is loaded only when used, so `verify` starts fast.
 */
import { Command, CommanderError, Option } from 'commander';
import { InputError } from '../core/errors';
import { EXIT } from './exit-codes';
import { consoleOutput, endQuietlyOnEpipe, safeText } from './output';
import { cliScrubber } from './secrets';
import { TOOL_VERSION } from './version';

const out = consoleOutput();
endQuietlyOnEpipe(process.stdout);
const debug = process.argv.includes('--debug');
/** A repeatable option's values, in order. */
const repeatOption = (value: string, previous: string[] = []) => [...previous, value];

const program = new Command()
  .name('accessproof')
  .description('Provable access governance: collect, find, seal, verify.')
  .version(TOOL_VERSION)
  .option('--debug', 'on an unexpected error, print its stack trace too')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(safeText(s)) });

program
  .command('scan')
  .description('collect every source, evaluate the rules, seal an evidence pack')
  .option('--config <file>', 'configuration file (YAML)')
  .option('--demo', 'scan the bundled demo tenant (examples/demo)')
  .option('--out <dir>', 'local state in DIR/state, evidence in DIR/evidence')
  .option('--as-of <iso>', 'the time rules evaluate against (default: now; the demo: 2026-10-01T00:00:00Z)')
  .option(
    '--new-chain',
    'start a new evidence chain beside the existing one (the state folder was lost); needs --reason',
  )
  .option(
    '--rotate-key',
    "sign with a key other than the chain's (the key was lost or retired); needs --reason",
  )
  .option('--reason <text>', 'why the chain restarts or the key changes: sealed in the next pack')
  .addOption(
    new Option(
      '--fail-on <severity>',
      'exit 1 when an open finding is at or above this severity (none: never)',
    ).choices(['critical', 'high', 'medium', 'low', 'none']),
  )
  .option('--shards <n>', 'scan in N child processes with the same result (1: one process, the default)')
  .option('-q, --quiet', 'no progress and no summary; failures still go to stderr')
  .option('--no-color', 'no colour, even on a terminal')
  .action(async (opts) => {
    const { runScan } = await import('./commands/scan');
    const { colorWanted } = await import('./style');
    process.exitCode = await runScan({ ...opts, color: colorWanted(opts.color) }, out);
  });

program
  .command('verify')
  .description('verify every evidence pack under DIR or s3://bucket/prefix: hashes, signatures, chain')
  .argument('<target>', 'evidence folder or s3://bucket/prefix')
  .option(
    '--key <file|fingerprint>',
    'pin the signing key: its hex SHA-256 fingerprint, or a file holding a PEM public key or the fingerprint',
  )
  .option(
    '--public-key <file>',
    'PEM public key to check KMS signatures with, instead of the one in manifest.sig',
  )
  .option('--region <region>', 'AWS region of the bucket (s3:// targets)')
  .option(
    '--expect-head <sequence:sha256>',
    'fail unless the chain ends exactly at this pack (an anchor kept outside the account)',
  )
  .option(
    '--findings-table <name>',
    'DynamoDB findings table whose recorded chain head an s3:// chain must reach',
  )
  .action(async (target: string, opts) => {
    const { runVerify } = await import('./commands/verify');
    process.exitCode = await runVerify(target, opts, out);
  });

program
  .command('findings')
  .description('list findings from the local state (filters combine: every one given must match)')
  .option('--out <dir>', 'the folder a scan wrote to', 'accessproof-out')
  .addOption(
    new Option('--format <format>', 'table, json (one array), jsonl, csv, ocsf (one array) or ocsf-jsonl')
      .choices(['table', 'json', 'jsonl', 'csv', 'ocsf', 'ocsf-jsonl'])
      .default('table'),
  )
  .option('--output <file>', 'write to FILE instead of stdout (replaced only when complete)')
  .option('--status <status>', 'open, risk-accepted, resolved or reopened (repeatable)', repeatOption)
  .option('--severity <severity>', 'this severity or above: critical, high, medium or low')
  .option('--rule <id>', 'only this rule (repeatable or comma-separated)', repeatOption)
  .option('--source <id>', 'only findings from this source (repeatable)', repeatOption)
  .option('--system <system>', 'only findings about principals of this system (repeatable)', repeatOption)
  .option('--overdue', 'only open findings past their due date')
  .option('--identity <text>', 'identity, display name or principal containing TEXT')
  .option('--no-color', 'no colour, even on a terminal')
  .action(async (opts) => {
    const { runFindings } = await import('./commands/findings');
    const { colorWanted } = await import('./style');
    process.exitCode = await runFindings({ ...opts, color: colorWanted(opts.color) }, out);
  });

const rules = program.command('rules').description('the rules a scan evaluates');
rules
  .command('list')
  .description('id, severity, thresholds in force and what each rule tests')
  .option('--config <file>', 'thresholds from this configuration (default: the built-in policy)')
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
  .option('--output <file>', 'write to FILE instead of stdout')
  .action(async (opts) => {
    const { runRulesList } = await import('./commands/rules');
    process.exitCode = await runRulesList(opts, out);
  });

const exception = program.command('exception').description('risk acceptances');
exception
  .command('add')
  .description('accept the risk of a finding until a date, with an approver and a rationale')
  .argument('<finding>', 'finding id')
  .requiredOption('--approver <who>', 'who accepts the risk')
  .requiredOption('--rationale <why>', 'why the risk is accepted')
  .requiredOption('--expires <date>', 'when the acceptance ends (ISO 8601)')
  .option(
    '--compensating-control <text>',
    'the control that covers the risk meanwhile (required for critical)',
  )
  .option('--config <file>', 'configuration file: policy.exceptionApprovers lists who may approve')
  .option('--demo', 'use the bundled demo tenant configuration')
  .option(
    '--as-of <iso>',
    'when the acceptance takes effect (default: now; with --demo: 2026-10-01T00:00:00Z)',
  )
  .option('--out <dir>', 'the folder a scan wrote to', 'accessproof-out')
  .action(async (finding: string, opts) => {
    const { runExceptionAdd } = await import('./commands/exception');
    process.exitCode = await runExceptionAdd(finding, opts, out);
  });

const repeat = (value: string, previous: string[] = []) => [...previous, value];
const review = program.command('review').description('user access reviews: certify or revoke each grant');
review
  .command('start')
  .description("start a campaign over the newest sealed pack's grants")
  .requiredOption('--name <name>', 'campaign name')
  .requiredOption('--due <date>', 'when every grant must be decided (ISO 8601)')
  .option('--reviewer <email>', 'reviews every grant no other reviewer option assigns')
  .option('--source-reviewer <id=email>', "reviewer of one source's grants (repeatable)", repeat)
  .option(
    '--entitlement-reviewer <glob=email>',
    'reviewer of matching entitlements (repeatable, first wins)',
    repeat,
  )
  .option('--fallback-reviewer <email>', 'reviews grants their assigned reviewer holds')
  .option('--source <id>', 'only this source (repeatable)', repeat)
  .option('--entitlement <glob>', 'only matching entitlements (repeatable)', repeat)
  .option('--privileged-only', 'only privileged entitlements')
  .option('--financial-only', 'only sources marked financiallySignificant in the base pack')
  .option('--open-findings-only', 'only grants an open finding touches')
  .option('--owners <file>', 'entitlement-owner catalog (owners.yaml)')
  .option('--managers', "the holder's HR manager reviews before the source reviewer")
  .option('--by <who>', 'who starts it (default: OS user)')
  .option('--link-base <url>', "where `serve` answers, for the reviewers' links", 'http://127.0.0.1:8417')
  .option('--out <dir>', 'the folder a scan wrote to', 'accessproof-out')
  .action(async (opts) => {
    const { runReviewStart } = await import('./commands/review');
    process.exitCode = await runReviewStart(opts, out);
  });
review
  .command('decide')
  .description('record keep or revoke for grants of a campaign')
  .argument('<campaign>', 'campaign id')
  .argument('[items...]', 'item ids')
  .option('--keep', 'access is still needed')
  .option('--revoke', 'access must be removed')
  .requiredOption('--by <email>', 'the reviewer deciding')
  .option('--note <text>', 'why')
  .option('--all-remaining', 'every undecided item assigned to --by')
  .option('--out <dir>', 'the folder a scan wrote to', 'accessproof-out')
  .action(async (campaign: string, items: string[], opts) => {
    const { runReviewDecide } = await import('./commands/review');
    process.exitCode = await runReviewDecide({ ...opts, campaign, items }, out);
  });
review
  .command('close')
  .description('close a campaign (all decided, or --force with --rationale)')
  .argument('<campaign>', 'campaign id')
  .requiredOption('--by <email>', 'who closes it')
  .option('--force', 'close with undecided items')
  .option('--rationale <text>', 'why (with --force)')
  .option('--out <dir>', 'the folder a scan wrote to', 'accessproof-out')
  .action(async (campaign: string, opts) => {
    const { runReviewClose } = await import('./commands/review');
    process.exitCode = await runReviewClose({ ...opts, campaign }, out);
  });
review
  .command('list')
  .description("list campaigns, or one campaign's items with decisions and revocation status")
  .argument('[campaign]', 'campaign id')
  .option('--reviewer <email>', 'only this reviewer')
  .option('--undecided', 'only undecided')
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
  .option('--out <dir>', 'the folder a scan wrote to', 'accessproof-out')
  .action(async (campaign: string | undefined, opts) => {
    const { runReviewList } = await import('./commands/review');
    process.exitCode = await runReviewList({ ...opts, ...(campaign ? { campaign } : {}) }, out);
  });

review
  .command('links')
  .description("print each reviewer's signed link to the web app again")
  .argument('<campaign>', 'campaign id')
  .option('--reviewer <email>', "only this reviewer's link")
  .option('--link-base <url>', 'where `serve` answers', 'http://127.0.0.1:8417')
  .option('--out <dir>', 'the folder a scan wrote to', 'accessproof-out')
  .action(async (campaign: string, opts) => {
    const { runReviewLinks } = await import('./commands/review');
    process.exitCode = await runReviewLinks({ ...opts, campaign }, out);
  });
review
  .command('owner-link')
  .description(
    "print a campaign owner's signed link to the web app (progress, reminders, close; start campaigns)",
  )
  .argument('[campaign]', 'campaign id (default: every campaign the owner starts, and starting new ones)')
  .requiredOption('--owner <email>', 'the campaign owner')
  .option('--days <n>', 'days the link is valid (1-90)', '14')
  .option('--link-base <url>', 'where `serve` answers', 'http://127.0.0.1:8417')
  .option('--out <dir>', 'the folder a scan wrote to', 'accessproof-out')
  .action(async (campaign: string | undefined, opts) => {
    const { runReviewOwnerLink } = await import('./commands/review');
    process.exitCode = await runReviewOwnerLink({ ...opts, ...(campaign ? { campaign } : {}) }, out);
  });
review
  .command('export')
  .description("write a reviewer's items to an XLSX workbook to decide offline")
  .argument('<campaign>', 'campaign id')
  .requiredOption('--reviewer <email>', 'whose items')
  .requiredOption('--file <path>', 'the workbook to write (.xlsx)')
  .option('--out <dir>', 'the folder a scan wrote to', 'accessproof-out')
  .action(async (campaign: string, opts) => {
    const { runReviewExport } = await import('./commands/review-xlsx');
    process.exitCode = await runReviewExport({ ...opts, campaign }, out);
  });
review
  .command('import')
  .description('record the decisions of a filled-in workbook (refused whole if any row is wrong)')
  .argument('<campaign>', 'campaign id')
  .argument('<file>', 'the workbook (.xlsx)')
  .requiredOption('--by <email>', 'the reviewer the workbook was made for')
  .option('--out <dir>', 'the folder a scan wrote to', 'accessproof-out')
  .action(async (campaign: string, file: string, opts) => {
    const { runReviewImport } = await import('./commands/review-xlsx');
    process.exitCode = await runReviewImport({ ...opts, campaign, file }, out);
  });
review
  .command('remind')
  .description('send the reminders (due - 3 days, due) and escalations (after due) not yet sent')
  .argument('[campaign]', 'campaign id (default: every open campaign)')
  .option('--as-of <date>', 'judge what is due at this time (ISO 8601; default now)')
  .option('--link-base <url>', "where `serve` answers, for the reviewers' links", 'http://127.0.0.1:8417')
  .option('--out <dir>', 'the folder a scan wrote to', 'accessproof-out')
  .action(async (campaign: string | undefined, opts) => {
    const { runReviewRemind } = await import('./commands/review-remind');
    process.exitCode = await runReviewRemind({ ...opts, ...(campaign ? { campaign } : {}) }, out);
  });
program
  .command('serve')
  .description('serve the reviewer web app on 127.0.0.1 (reviewers sign in with their links)')
  .option('--port <n>', 'port', '8417')
  .option('--owners <file>', "entitlement-owner catalog (owners.yaml) for the owner's campaign form")
  .option('--out <dir>', 'the folder a scan wrote to', 'accessproof-out')
  .action(async (opts) => {
    const { runServe } = await import('./commands/serve');
    process.exitCode = await runServe(opts, out);
  });

const runs = program.command('runs').description('stuck and failed runs: list them, release a reservation');
const runsTarget = (cmd: Command) =>
  cmd
    .option('--out <dir>', 'the folder a scan wrote to (local state)', 'accessproof-out')
    .option('--table <name>', 'the deployed findings table (DynamoDB) instead of the local state')
    .option('--evidence <s3url>', 'the deployed evidence, s3://bucket/prefix (with --table)')
    .option('--region <region>', 'AWS region of the table and bucket');
runsTarget(
  runs
    .command('list')
    .description('the chain head, the run holding the reservation, and failed or released runs')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table')),
).action(async (opts) => {
  const { runRunsList } = await import('./commands/runs');
  process.exitCode = await runRunsList(withoutDefaultOut(opts), out);
});
runsTarget(
  runs
    .command('release')
    .description(
      "release a stuck run's reservation of the evidence chain (recorded, sealed into the next pack)",
    )
    .argument('<run>', 'run id')
    .requiredOption('--reason <text>', 'why the run is released')
    .option('--by <who>', 'who releases it (default: OS user)'),
).action(async (run: string, opts) => {
  const { runRunsRelease } = await import('./commands/runs');
  process.exitCode = await runRunsRelease(run, withoutDefaultOut(opts), out);
});

/** `--table` replaces the local state: drop the default `--out` then. */
function withoutDefaultOut<T extends { out?: string; table?: string }>(opts: T): T {
  if (!opts.table || opts.out !== 'accessproof-out') return opts;
  const { out: _out, ...rest } = opts;
  return rest as T;
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  out.done();
  process.exitCode = reportFailure(err);
}

/**
 * Every failure is one line on stderr naming what failed and where (`accessproof: FILE:LINE: …`),
 * with control characters made visible; the stack only with `--debug`. Exit 2 for bad usage or
 * input, 1 for anything else (verification failures return their code without throwing).
 */
function reportFailure(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  const line = (text: string) => process.stderr.write(`accessproof: ${oneLine(cliScrubber.text(text))}\n`);
  const stack = () => {
    if (debug && err instanceof Error && err.stack)
      process.stderr.write(`${safeText(cliScrubber.text(err.stack))}\n`);
  };
  if (err instanceof InputError) {
    line(err.message);
    stack();
    return EXIT.badInput;
  }
  const errno = findErrno(err);
  if (isSqliteBusy(err)) {
    // A seal holds the state store's write lock while it writes its pack (tens of seconds for a
    // large one); SQLite's own "database is locked" does not say so.
    line(
      'the state store is busy: another accessproof process (a scan sealing its pack) is writing it; nothing was changed; run again when it has finished',
    );
  } else if (errno?.code === 'ENOSPC') {
    line(
      `the disk is full (ENOSPC)${errno.path ? ` writing ${errno.path}` : ''}: nothing was sealed; free space and run again`,
    );
  } else if (errno?.code) {
    line(`${errno.syscall ?? 'file system'} failed (${errno.code})${errno.path ? `: ${errno.path}` : ''}`);
  } else {
    const message =
      err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` : String(err);
    line(`${message}${debug ? '' : ' (run again with --debug for the stack trace)'}`);
  }
  stack();
  return EXIT.failed;
}

function oneLine(text: string): string {
  return safeText(text.replace(/\s*\n\s*/g, ' ').trim());
}

/** SQLITE_BUSY or one of its extended codes (the low byte is 5), on `err` or a `cause`. */
function isSqliteBusy(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, errcode } = e as { code?: unknown; errcode?: unknown };
    if (code === 'ERR_SQLITE_ERROR' && typeof errcode === 'number' && (errcode & 0xff) === 5) return true;
  }
  return false;
}

/** The file system error behind `err` (itself or a `cause`), if any. */
function findErrno(err: unknown): NodeJS.ErrnoException | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return e as NodeJS.ErrnoException;
  }
  return undefined;
}
