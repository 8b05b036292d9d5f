/**
 * `accessproof scan`: run the pipeline and print what an operator needs — sources, findings by
 * rule and severity, where the pack is and how to verify it.
 */
import { relative } from 'node:path';
import { MAX_YEAR, MIN_YEAR, parseIsoInstant } from '../../connectors/shared/iso-date';
import { silentLogger } from '../../core/connector';
import { InputError } from '../../core/errors';
import { type Finding, RULE_IDS, SEVERITIES, type Severity } from '../../core/findings/model';
import { isOpen } from '../../core/run/scan';
import { MAX_SHARDS } from '../../core/run/shard-plan';
import { loadConfig } from '../config-loader';
import { EXIT } from '../exit-codes';
import type { Output } from '../output';
import { safeText } from '../output';
import { DEMO_AS_OF, DEMO_CONFIG, type LocalPaths, localPaths } from '../paths';
import { scanProgress } from '../progress';
import { type LocalScanResult, runLocalScan } from '../scan-pipeline';
import { paint } from '../style';

export interface ScanOptions {
  config?: string;
  demo?: boolean;
  out?: string;
  asOf?: string;
  failOn?: Severity | 'none';
  newChain?: boolean;
  rotateKey?: boolean;
  reason?: string;
  /** Nothing on stdout unless the run failed; no progress. */
  quiet?: boolean;
  /** `false` with `--no-color`. */
  color?: boolean;
  /** `--shards N`: the scan step in N child processes (sharded scan); 1 is the single scan. */
  shards?: string | number;
}

export async function runScan(opts: ScanOptions, out: Output): Promise<number> {
  if (!opts.config && !opts.demo) throw new InputError('give --config FILE or --demo', { field: '--config' });
  if (opts.config && opts.demo)
    throw new InputError('give either --config or --demo, not both', { field: '--demo' });
  const shards = parseShards(opts.shards);
  if (shards > 1) {
    // Reconcile and seal run in this process: started again with the heap they need (10x).
    const { runWithReconcileHeap } = await import('../sharded-scan');
    const code = await runWithReconcileHeap((text) => {
      if (!opts.quiet) process.stderr.write(text);
    });
    if (code !== undefined) return code;
  }
  const asOf = parseAsOf(opts.asOf ?? (opts.demo ? DEMO_AS_OF : undefined));
  const loaded = loadConfig(opts.config ?? DEMO_CONFIG);
  const paths = localPaths(opts.out, opts.demo && !opts.out ? undefined : loaded.config.evidence.dir);

  const progress = scanProgress(Boolean(process.stderr.isTTY) && !process.env.CI && !opts.quiet);
  let result: Awaited<ReturnType<typeof runLocalScan>>;
  try {
    result = await runLocalScan({
      loaded,
      paths,
      asOf,
      logger: silentLogger,
      hooks: {
        sourcePage: (id, pages, records) => progress.sourcePage(id, pages, records),
        stage: (stage, records, sourceId) => progress.stage(stage, records, sourceId),
      },
      ...(shards > 1 ? { shards } : {}),
      chainBreak: {
        ...(opts.newChain ? { newChain: true } : {}),
        ...(opts.rotateKey ? { rotateKey: true } : {}),
        ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
      },
    });
  } finally {
    progress.finish();
    out.done();
  }
  const color = opts.color === true;
  const failing = failOnHits(result.scan.findings, opts.failOn);
  const sourceFailed = result.sources.some((s) => s.status === 'failed');
  if (!opts.quiet) printSummary(result, paths, color, out, opts);
  for (const s of result.sources) {
    if (s.status === 'failed' && opts.quiet)
      process.stderr.write(`accessproof: source ${s.id} failed: ${s.error}\n`);
  }
  if (failing) process.stderr.write(failing.message);
  if (sourceFailed) return EXIT.sourceFailed;
  return failing ? EXIT.failed : EXIT.ok;
}

/**
 * `--fail-on`: the open findings at or above the threshold, counted per severity, with the first ten
 * ids, so a pipeline log says what tripped it. `none` never fails.
 */
export function failOnHits(
  findings: readonly Finding[],
  failOn: ScanOptions['failOn'],
): { message: string; count: number } | undefined {
  if (!failOn || failOn === 'none') return undefined;
  const limit = SEVERITIES.indexOf(failOn);
  const hits = findings
    .filter((f) => isOpen(f) && SEVERITIES.indexOf(f.severity) <= limit)
    .sort(
      (a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || (a.id < b.id ? -1 : 1),
    );
  if (hits.length === 0) return undefined;
  const counts = SEVERITIES.slice(0, limit + 1)
    .map((s) => `${s} ${hits.filter((f) => f.severity === s).length}`)
    .join(', ');
  const lines = [
    `accessproof: --fail-on ${failOn}: ${hits.length} open finding(s) at or above ${failOn} (${counts})`,
    ...hits.slice(0, 10).map((f) => `  ${f.id}  ${f.severity.padEnd(8)}  ${f.rule.padEnd(16)}  ${f.title}`),
    ...(hits.length > 10
      ? [`  … and ${hits.length - 10} more: accessproof findings --severity ${failOn} --status open`]
      : []),
  ];
  return { message: `${lines.join('\n')}\n`, count: hits.length };
}

function printSummary(
  result: LocalScanResult,
  paths: LocalPaths,
  color: boolean,
  out: Output,
  opts: ScanOptions,
): void {
  const { plan, sources, summary, sealed, digest } = result;
  const sev = (s: Severity) =>
    paint(`${s} ${summary.bySeverity[s] ?? 0}`, (summary.bySeverity[s] ?? 0) > 0 ? s : 'dim', color);
  out.line(`AccessProof run ${plan.runId} for ${plan.organization}, as of ${plan.asOf}`);
  out.line();
  out.line('Sources');
  for (const s of sources) {
    const c = s.counts;
    const word = s.status === 'failed' ? 'FAILED' : s.status;
    const status = paint(
      pad(word, 11),
      s.status === 'failed' ? 'critical' : s.status === 'complete' ? 'ok' : 'medium',
      color,
    );
    // An HR source holds people, not access.
    const held =
      s.system === 'hr'
        ? `${c.people ?? 0} people`
        : `${c.principals} principals, ${c.entitlements} entitlements, ${c.grants} grants`;
    out.line(`  ${pad(s.id, 18)} ${pad(s.system, 10)} ${status} ${held}`);
    // The reason on its own line: it is a sentence of its own, not a prefix of the counts.
    if (s.status === 'failed') out.line(`  ${' '.repeat(18)} error: ${s.error ?? 'unknown'}`);
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
  // Links of the HR source naming an account no source of this run collected (not applied).
  for (const w of summary.warnings ?? []) out.line(`  warning: ${w}`);
  out.line(
    `Findings: ${summary.open} open of ${summary.findings} (new ${digest.opened}, reopened ${digest.reopened}, resolved ${digest.resolved}, overdue ${digest.overdue})`,
  );
  out.line(`  by severity: ${SEVERITIES.map(sev).join(', ')}`);
  out.line('  by rule:');
  for (const rule of RULE_IDS) {
    const n = summary.byRule[rule];
    if (n) out.line(`    ${pad(rule, 29)} ${n}`);
  }
  // Access-review revocations as this run proved them: done only when no path is left.
  const r = result.revocations;
  if (r) {
    out.line(
      `Revocations: ${r.done} done, ${r.pending} pending, ${paint(`${r.overdue} overdue`, r.overdue > 0 ? 'high' : 'dim', color)} (${r.stillPresent} still present, ${r.unverified} unverified)`,
    );
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
  out.line(`Verify it: npx accessproof verify ${evidenceRoot}`);
  out.line(`Findings:  npx accessproof findings --out ${relative(process.cwd(), paths.out) || '.'}`);
}

/** `--shards N`: a whole number 1…256. */
export function parseShards(value: string | number | undefined): number {
  if (value === undefined) return 1;
  const text = String(value).trim();
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_SHARDS)
    throw new InputError(`"${safeText(text)}" is not a shard count: give a whole number 1…${MAX_SHARDS}`, {
      field: '--shards',
    });
  return n;
}

export function parseAsOf(value: string | undefined): Date {
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
