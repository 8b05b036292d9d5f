/**
 * `accessproof scan`: run the pipeline and print what an operator needs — sources, findings by
 * rule and severity, where the pack is and how to verify it.
 */
import { relative } from 'node:path';
import { MAX_YEAR, MIN_YEAR, parseIsoInstant } from '../../connectors/shared/iso-date';
import { silentLogger } from '../../core/connector';
import { InputError } from '../../core/errors';
import { RULE_IDS, SEVERITIES, type Severity } from '../../core/findings/model';
import { loadConfig } from '../config-loader';
import { EXIT } from '../exit-codes';
import type { Output } from '../output';
import { safeText } from '../output';
import { DEMO_AS_OF, DEMO_CONFIG, localPaths } from '../paths';
import { runLocalScan } from '../scan-pipeline';

export interface ScanOptions {
  config?: string;
  demo?: boolean;
  out?: string;
  asOf?: string;
  failOn?: Severity;
  newChain?: boolean;
  rotateKey?: boolean;
  reason?: string;
}

export async function runScan(opts: ScanOptions, out: Output): Promise<number> {
  if (!opts.config && !opts.demo) throw new InputError('give --config FILE or --demo', { field: '--config' });
  if (opts.config && opts.demo)
    throw new InputError('give either --config or --demo, not both', { field: '--demo' });
  const asOf = parseAsOf(opts.asOf ?? (opts.demo ? DEMO_AS_OF : undefined));
  const loaded = loadConfig(opts.config ?? DEMO_CONFIG);
  const paths = localPaths(opts.out, opts.demo && !opts.out ? undefined : loaded.config.evidence.dir);

  const result = await runLocalScan({
    loaded,
    paths,
    asOf,
    logger: silentLogger,
    hooks: { progress: (t) => out.progress(t) },
    chainBreak: {
      ...(opts.newChain ? { newChain: true } : {}),
      ...(opts.rotateKey ? { rotateKey: true } : {}),
      ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
    },
  });
  out.done();

  const { plan, sources, summary, sealed, digest } = result;
  out.line(`AccessProof run ${plan.runId} for ${plan.organization}, as of ${plan.asOf}`);
  out.line();
  out.line('Sources');
  for (const s of sources) {
    const c = s.counts;
    const status = s.status === 'failed' ? `FAILED: ${s.error}` : s.status;
    // An HR source holds people, not access.
    const held =
      s.system === 'hr'
        ? `${c.people ?? 0} people`
        : `${c.principals} principals, ${c.entitlements} entitlements, ${c.grants} grants`;
    out.line(`  ${pad(s.id, 18)} ${pad(s.system, 10)} ${pad(status, 11)} ${held}`);
    for (const w of s.warnings ?? []) out.line(`  ${' '.repeat(18)} warning: ${w}`);
    if (s.warningCount !== undefined && s.warningCount > (s.warnings?.length ?? 0)) {
      out.line(
        `  ${' '.repeat(18)} … ${s.warningCount - (s.warnings?.length ?? 0)} more warning(s) in the snapshot`,
      );
    }
  }
  out.line();
  out.line(
    `Identities: ${summary.identities} (from ${summary.principals} principals, ${summary.grants} grants)`,
  );
  out.line(
    `Findings: ${summary.open} open of ${summary.findings} (new ${digest.opened}, reopened ${digest.reopened}, resolved ${digest.resolved}, overdue ${digest.overdue})`,
  );
  out.line(`  by severity: ${SEVERITIES.map((s) => `${s} ${summary.bySeverity[s] ?? 0}`).join(', ')}`);
  out.line('  by rule:');
  for (const rule of RULE_IDS) {
    const n = summary.byRule[rule];
    if (n) out.line(`    ${pad(rule, 29)} ${n}`);
  }
  out.line();
  const where = relative(process.cwd(), sealed.location) || '.';
  const evidenceRoot = relative(process.cwd(), paths.evidence) || '.';
  out.line(`Evidence pack #${sealed.sequence}: ${where}`);
  out.line(`  manifest sha256 ${sealed.manifestSha256}`);
  out.line(`  signing key fingerprint ${sealed.keyFingerprint}`);
  out.line(`  ${sealed.previous ? `chained to ${sealed.previous.runId}` : 'first pack of the chain'}`);
  const ask = opts.newChain ? 'a new chain' : opts.rotateKey ? 'a key rotation' : undefined;
  if (ask) out.line(`  records ${ask} in chain-event.json (reason: ${opts.reason})`);
  out.line(`Verify it: npm run accessproof -- verify ${evidenceRoot}`);
  out.line(`Findings:  npm run accessproof -- findings --out ${relative(process.cwd(), paths.out) || '.'}`);

  if (sources.some((s) => s.status === 'failed')) return EXIT.sourceFailed;
  if (opts.failOn) {
    const limit = SEVERITIES.indexOf(opts.failOn);
    const hit = SEVERITIES.slice(0, limit + 1).some((s) => (summary.bySeverity[s] ?? 0) > 0);
    if (hit) return EXIT.failed;
  }
  return EXIT.ok;
}

function parseAsOf(value: string | undefined): Date {
  if (value === undefined) return new Date();
  // The exports' strict parser: a real calendar date (2026-02-30 is refused, not rolled over to
  // March) in 1970–2100, and a zone when a time is given.
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(value)
    ? parseIsoInstant(value)
    : undefined;
  if (!iso) {
    throw new InputError(
      `"${safeText(value)}" is not a calendar date or ISO 8601 time in ${MIN_YEAR}–${MAX_YEAR} such as 2026-10-01T00:00:00Z`,
      { field: '--as-of' },
    );
  }
  return new Date(iso);
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}
