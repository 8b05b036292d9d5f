import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accessproof, copyDemo } from './cli-helpers';

interface FindingLine {
  id: string;
  rule: string;
  status: string;
  sources: string[];
  subject: { principals: string[] };
  resolution?: { runId: string };
}

function findings(out: string): FindingLine[] {
  const r = accessproof(['findings', '--out', out, '--format', 'jsonl']);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as FindingLine);
}

describe('findings across runs: resolved by a complete collection, never by a failed one', () => {
  const { dir, config } = copyDemo();
  const out = join(dir, 'out');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves a fixed ERP finding, keeps the failed AWS source’s findings open, and exits 3', () => {
    // Arrange: a first complete run.
    const first = accessproof(['scan', '--config', config, '--as-of', '2026-10-01T00:00:00Z', '--out', out]);
    expect(first.code).toBe(0);
    const before = findings(out);
    const edi = before.find(
      (f) => f.rule === 'NHI-DORMANT' && f.subject.principals[0] === 'erp:netsuite:SVC_EDI_LEGACY',
    );
    const awsOpen = before.filter((f) => f.sources.includes('aws-finance-prod') && f.status === 'open');
    expect(edi?.status).toBe('open');
    expect(awsOpen.length).toBeGreaterThan(3);

    // The ERP team disables the dormant EDI user; the AWS account becomes unreachable (live mode
    // against a closed local port, no retries worth waiting for).
    const users = join(dir, 'examples', 'demo', 'erp', 'users.csv');
    writeFileSync(
      users,
      readFileSync(users, 'utf8').replace(/(SVC_EDI_LEGACY,[^,]*,,service,)active/, '$1disabled'),
    );
    const yaml = readFileSync(config, 'utf8').replace(
      / {4}files:\n {6}authorizationDetails: aws\/authorization-details.json\n {6}credentialReport: aws\/credential-report.csv\n/,
      '    endpoints: { iam: "http://127.0.0.1:9", sts: "http://127.0.0.1:9" }\n',
    );
    expect(yaml).toContain('127.0.0.1:9');
    writeFileSync(config, yaml);

    // Act
    const second = accessproof(
      ['scan', '--config', config, '--as-of', '2026-10-02T00:00:00Z', '--out', out],
      dir,
      {
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'not-a-secret',
        AWS_MAX_ATTEMPTS: '1',
      },
    );

    // Assert
    expect(second.code).toBe(3);
    // Status and counts on the source's line, the reason on the next one (two sentences, not one).
    expect(second.stdout).toMatch(
      /aws-finance-prod\s+aws\s+FAILED\s+0 principals, 0 entitlements, 0 grants\n\s+error: \S/,
    );
    const after = findings(out);
    const runId = /AccessProof run (\S+)/.exec(second.stdout)?.[1];
    expect(after.find((f) => f.id === edi!.id)).toMatchObject({ status: 'resolved', resolution: { runId } });
    for (const f of awsOpen) expect(after.find((g) => g.id === f.id)?.status, f.id).toBe('open');
    const packs = join(out, 'evidence', 'packs');
    const day = readdirSync(packs, { recursive: true, encoding: 'utf8' }).find((p) => p.endsWith(runId!));
    const manifest = JSON.parse(readFileSync(join(packs, day!, 'manifest.json'), 'utf8'));
    expect(manifest.sources.find((s: { id: string }) => s.id === 'aws-finance-prod')).toMatchObject({
      status: 'failed',
    });
    const remediation = readFileSync(join(packs, day!, 'remediation.jsonl'), 'utf8');
    expect(remediation).toContain(edi!.id);
    expect(accessproof(['verify', join(out, 'evidence')]).code).toBe(0);
  }, 300_000);
});
