/**
 * `accessproof findings`: the findings kept in the local state, filtered, as a table, a JSON array,
 * JSON lines, CSV or OCSF — on stdout or into `--output FILE`.
 */
import { existsSync } from 'node:fs';
import { InputError } from '../../core/errors';
import { parseManifest } from '../../core/evidence/manifest';
import { type OcsfContext, toOcsf } from '../../core/evidence/ocsf';
import { findingDisplay, isOverdue } from '../../core/findings/display';
import type { Finding, FindingStatus, RuleId, Severity } from '../../core/findings/model';
import { RULE_IDS, SEVERITIES } from '../../core/findings/model';
import { SYSTEMS } from '../../core/model';
import { LocalPackReader } from '../../stores/local-vault/local-pack-reader';
import {
  findingsDbFile,
  SqliteFindingsRepository,
} from '../../stores/sqlite-findings/sqlite-findings-repository';
import { csvRow } from '../csv-cell';
import { EXIT } from '../exit-codes';
import type { Output } from '../output';
import { localPaths } from '../paths';
import { openSink, type Sink, writeJson } from '../sink';
import { paint } from '../style';

const STATUSES: FindingStatus[] = ['open', 'risk-accepted', 'resolved', 'reopened'];
export const FINDINGS_FORMATS = ['table', 'json', 'jsonl', 'csv', 'ocsf', 'ocsf-jsonl'] as const;

export interface FindingsFilter {
  severity?: string;
  rule?: string[];
  source?: string[];
  system?: string[];
  status?: string[] | string;
  overdue?: boolean;
  identity?: string;
}

export interface FindingsOptions extends FindingsFilter {
  out: string;
  format: (typeof FINDINGS_FORMATS)[number];
  output?: string;
  color?: boolean;
}

export async function runFindings(opts: FindingsOptions, out: Output): Promise<number> {
  const keep = findingsFilter(opts);
  const { findings: all, run } = await loadFindingsWithRun(opts.out);
  const findings = all
    .map((f) => withOverdue(f, run))
    .filter(keep)
    .sort(
      (a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || a.id.localeCompare(b.id),
    );
  const sink = openSink(opts.output, out);
  try {
    writeFindings(sink, findings, opts, run);
    sink.finish();
  } catch (err) {
    sink.abort();
    throw err;
  }
  if (opts.output && opts.format === 'table')
    out.line(`${findings.length} finding(s) written to ${opts.output}`);
  return EXIT.ok;
}

function writeFindings(
  sink: Sink,
  findings: Finding[],
  opts: FindingsOptions,
  run: RunContext | undefined,
): void {
  switch (opts.format) {
    case 'json':
    case 'jsonl':
      writeJson(sink, findings, opts.format === 'json' ? 'array' : 'lines', (f) => f);
      return;
    case 'ocsf':
    case 'ocsf-jsonl': {
      if (!run)
        throw new InputError('OCSF needs the run that last sealed a pack: none found beside the state', {
          file: opts.out,
          field: '--format',
        });
      writeJson(sink, findings, opts.format === 'ocsf' ? 'array' : 'lines', (f) => toOcsf(f, run));
      return;
    }
    case 'csv':
      sink.line(
        'id,rule,severity,status,identity,display,principals,sources,title,first_seen_run,last_seen_run,due_at,overdue,owner',
      );
      for (const f of findings) {
        sink.line(
          csvRow([
            f.id,
            f.rule,
            f.severity,
            f.status,
            f.subject.identity,
            findingDisplay(f),
            f.subject.principals.join(' '),
            f.sources.join(' '),
            f.title,
            f.firstSeenRun,
            f.lastSeenRun,
            f.dueAt ?? '',
            f.overdue ? 'true' : 'false',
            f.owner ?? '',
          ]),
        );
      }
      return;
    default:
      writeTable(sink, findings, opts.color === true && !opts.output);
  }
}

function writeTable(sink: Sink, findings: Finding[], color: boolean): void {
  const sourceWidth = Math.min(
    24,
    findings.reduce((m, f) => Math.max(m, f.sources.join(',').length), 6),
  );
  sink.line(
    `${'ID'.padEnd(24)}  ${'SEVERITY'.padEnd(8)}  ${'RULE'.padEnd(16)}  ${'STATUS'.padEnd(13)}  ${'DUE'.padEnd(18)}  ${'SOURCE'.padEnd(sourceWidth)}  TITLE`,
  );
  for (const f of findings) {
    const due = f.dueAt ? `${f.dueAt.slice(0, 10)}${f.overdue ? ' OVERDUE' : ''}` : '-';
    const sources = truncate(f.sources.join(',') || '-', sourceWidth);
    const severity = paint(f.severity.padEnd(8), f.severity, color);
    const dueCell = f.overdue ? paint(due.padEnd(18), 'overdue', color) : due.padEnd(18);
    sink.line(
      `${f.id}  ${severity}  ${f.rule.padEnd(16)}  ${f.status.padEnd(13)}  ${dueCell}  ${sources.padEnd(sourceWidth)}  ${f.title}`,
    );
  }
  const overdue = findings.filter((f) => f.overdue).length;
  sink.line(`${findings.length} finding(s)${overdue ? `, ${overdue} overdue` : ''}`);
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/** The filter the options describe; a bad value is an InputError naming its option. */
export function findingsFilter(opts: FindingsFilter): (f: Finding) => boolean {
  const list = (v: string[] | string | undefined) =>
    (Array.isArray(v) ? v : v === undefined ? [] : [v])
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean);
  const statuses = list(opts.status);
  for (const s of statuses)
    if (!STATUSES.includes(s as FindingStatus))
      throw new InputError(`unknown status "${s}" (one of ${STATUSES.join(', ')})`, { field: '--status' });
  let minSeverity = -1;
  if (opts.severity !== undefined) {
    minSeverity = SEVERITIES.indexOf(opts.severity.toLowerCase() as Severity);
    if (minSeverity < 0)
      throw new InputError(`unknown severity "${opts.severity}" (one of ${SEVERITIES.join(', ')})`, {
        field: '--severity',
      });
  }
  const rules = list(opts.rule).map((r) => r.toUpperCase());
  for (const r of rules)
    if (!RULE_IDS.includes(r as RuleId))
      throw new InputError(`unknown rule "${r}" (see \`accessproof rules list\`)`, { field: '--rule' });
  const systems = list(opts.system).map((s) => s.toLowerCase());
  for (const s of systems)
    if (!(SYSTEMS as readonly string[]).includes(s))
      throw new InputError(`unknown system "${s}" (one of ${SYSTEMS.join(', ')})`, { field: '--system' });
  const sources = list(opts.source);
  const who = opts.identity?.trim().toLowerCase();
  return (f) =>
    (statuses.length === 0 || statuses.includes(f.status)) &&
    (minSeverity < 0 || SEVERITIES.indexOf(f.severity) <= minSeverity) &&
    (rules.length === 0 || rules.includes(f.rule)) &&
    (sources.length === 0 || f.sources.some((s) => sources.includes(s))) &&
    (systems.length === 0 ||
      f.subject.principals.some((p) => systems.includes(p.slice(0, p.indexOf(':'))))) &&
    (opts.overdue !== true || f.overdue === true) &&
    (!who ||
      f.subject.identity.toLowerCase().includes(who) ||
      (f.display ?? '').toLowerCase().includes(who) ||
      f.subject.principals.some((p) => p.toLowerCase().includes(who)));
}

export type RunContext = OcsfContext;

/** `overdue` against the as-of of the run that sealed the newest pack (an exception since clears it). */
function withOverdue(f: Finding, run: RunContext | undefined): Finding {
  const overdue = run ? isOverdue(f, new Date(run.asOf)) : (f.overdue ?? false);
  if (overdue === (f.overdue ?? false)) return f;
  const copy = { ...f };
  if (overdue) copy.overdue = true;
  else delete copy.overdue;
  return copy;
}

export async function loadFindings(outDir: string): Promise<Finding[]> {
  return (await loadFindingsWithRun(outDir)).findings;
}

/** Every stored finding, and the run that sealed the newest pack (from its manifest) when there is one. */
export async function loadFindingsWithRun(
  outDir: string,
): Promise<{ findings: Finding[]; run: RunContext | undefined }> {
  const repo = await openExistingRepo(outDir);
  try {
    const findings = await repo.loadAll();
    const head = await repo.getChainHead();
    return { findings, run: head ? await runOf(outDir, head.runId) : undefined };
  } finally {
    await repo.close();
  }
}

async function runOf(outDir: string, runId: string): Promise<RunContext | undefined> {
  const evidence = localPaths(outDir, undefined).evidence;
  if (!existsSync(evidence)) return undefined;
  const reader = new LocalPackReader(evidence);
  const pack = (await reader.listPacks()).find((p) => p.runId === runId);
  const bytes = pack ? await reader.readFile(pack, 'manifest.json') : undefined;
  const parsed = bytes ? parseManifest(bytes) : undefined;
  if (!parsed?.ok) return undefined;
  const m = parsed.value;
  return { runId: m.runId, asOf: m.asOf, organization: m.organization, toolVersion: m.toolVersion };
}

export async function openExistingRepo(outDir: string): Promise<SqliteFindingsRepository> {
  const file = findingsDbFile(localPaths(outDir, undefined).state);
  if (!existsSync(file))
    throw new InputError('no findings here yet: run `accessproof scan --out DIR` first', {
      file: outDir,
      field: '--out',
    });
  return SqliteFindingsRepository.open({ file });
}
