/**
 * `accessproof`: the same five steps as the cloud run (DESIGN.md §1), composed for one machine.
 * Each command lives in `commands/` and is loaded only when used, so `verify` starts fast.
 */
import { Command, CommanderError, Option } from 'commander';
import { InputError } from '../core/errors';
import { EXIT } from './exit-codes';
import { consoleOutput } from './output';
import { TOOL_VERSION } from './version';

const out = consoleOutput();

const program = new Command()
  .name('accessproof')
  .description('Provable access governance: collect, find, seal, verify.')
  .version(TOOL_VERSION)
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

program
  .command('scan')
  .description('collect every source, evaluate the rules, seal an evidence pack')
  .option('--config <file>', 'configuration file (YAML)')
  .option('--demo', 'scan the bundled demo tenant (examples/demo)')
  .option('--out <dir>', 'local state in DIR/state, evidence in DIR/evidence')
  .option('--as-of <iso>', 'the time rules evaluate against (default: now; the demo: 2026-10-01T00:00:00Z)')
  .addOption(
    new Option('--fail-on <severity>', 'exit 1 when an open finding is at or above this severity').choices([
      'critical',
      'high',
      'medium',
      'low',
    ]),
  )
  .action(async (opts) => {
    const { runScan } = await import('./commands/scan');
    process.exitCode = await runScan(opts, out);
  });

program
  .command('verify')
  .description('verify every evidence pack under DIR or s3://bucket/prefix: hashes, signatures, chain')
  .argument('<target>', 'evidence folder or s3://bucket/prefix')
  .option('--key <file>', 'pin the signing key: a PEM public key or a file holding its hex fingerprint')
  .option(
    '--public-key <file>',
    'PEM public key to check KMS signatures with, instead of the one in manifest.sig',
  )
  .option('--region <region>', 'AWS region of the bucket (s3:// targets)')
  .action(async (target: string, opts) => {
    const { runVerify } = await import('./commands/verify');
    process.exitCode = await runVerify(target, opts, out);
  });

program
  .command('findings')
  .description('list findings from the local state')
  .option('--out <dir>', 'the folder a scan wrote to', 'accessproof-out')
  .option('--status <status>', 'open, risk-accepted, resolved or reopened')
  .addOption(
    new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'),
  )
  .action(async (opts) => {
    const { runFindings } = await import('./commands/findings');
    process.exitCode = await runFindings(opts, out);
  });

const exception = program.command('exception').description('risk acceptances');
exception
  .command('add')
  .description('accept the risk of a finding until a date, with an approver and a rationale')
  .argument('<finding>', 'finding id')
  .requiredOption('--approver <who>', 'who accepts the risk')
  .requiredOption('--rationale <why>', 'why the risk is accepted')
  .requiredOption('--expires <date>', 'when the acceptance ends (ISO 8601)')
  .option('--compensating-control <text>', 'the control that covers the risk meanwhile')
  .option('--out <dir>', 'the folder a scan wrote to', 'accessproof-out')
  .action(async (finding: string, opts) => {
    const { runExceptionAdd } = await import('./commands/exception');
    process.exitCode = await runExceptionAdd(finding, opts, out);
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  out.done();
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  } else if (err instanceof InputError) {
    process.stderr.write(`accessproof: ${err.message}\n`);
    process.exitCode = EXIT.badInput;
  } else {
    process.stderr.write(`accessproof: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = EXIT.failed;
  }
}
