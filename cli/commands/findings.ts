/**
 * `accessproof findings`: the findings kept in the local state, as a table, JSON lines or CSV.
 */
import { existsSync } from 'node:fs';
import { InputError } from '../../core/errors';
import type { Finding, FindingStatus } from '../../core/findings/model';
import { SEVERITIES } from '../../core/findings/model';
import {
  findingsDbFile,
  SqliteFindingsRepository,
} from '../../stores/sqlite-findings/sqlite-findings-repository';
import { EXIT } from '../exit-codes';
import type { Output } from '../output';
import { localPaths } from '../paths';

const STATUSES: FindingStatus[] = ['open', 'risk-accepted', 'resolved', 'reopened'];

export interface FindingsOptions {
  out: string;
  status?: string;
  format: 'table' | 'json' | 'csv';
}

export async function runFindings(opts: FindingsOptions, out: Output): Promise<number> {
  if (opts.status && !STATUSES.includes(opts.status as FindingStatus)) {
    throw new InputError(`unknown status "${opts.status}" (one of ${STATUSES.join(', ')})`, {
      field: '--status',
    });
  }
  const findings = (await loadFindings(opts.out))
    .filter((f) => !opts.status || f.status === opts.status)
    .sort(
      (a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || a.id.localeCompare(b.id),
    );
  if (opts.format === 'json') for (const f of findings) out.line(JSON.stringify(f));
  else if (opts.format === 'csv') {
    out.line('id,rule,severity,status,identity,principals,title,first_seen_run,last_seen_run,due_at');
    for (const f of findings) {
      out.line(
        [
          f.id,
          f.rule,
          f.severity,
          f.status,
          f.subject.identity,
          f.subject.principals.join(' '),
          f.title,
          f.firstSeenRun,
          f.lastSeenRun,
          f.dueAt ?? '',
        ]
          .map(csvField)
          .join(','),
      );
    }
  } else {
    out.line(
      `${'ID'.padEnd(24)}  ${'RULE'.padEnd(16)}  ${'SEVERITY'.padEnd(8)}  ${'STATUS'.padEnd(13)}  TITLE`,
    );
    for (const f of findings) {
      out.line(`${f.id}  ${f.rule.padEnd(16)}  ${f.severity.padEnd(8)}  ${f.status.padEnd(13)}  ${f.title}`);
    }
    out.line(`${findings.length} finding(s)`);
  }
  return EXIT.ok;
}

export async function loadFindings(outDir: string): Promise<Finding[]> {
  const repo = await openExistingRepo(outDir);
  try {
    return await repo.loadAll();
  } finally {
    await repo.close();
  }
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

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
