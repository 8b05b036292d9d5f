/**
 * Issue 10, defect 4 where the user meets it: NHI-ORPHANED depends on the owners' directory (the
 * Entra source). While that source fails, the finding must not resolve; when it returns, the same
 * finding continues (same id, same due date) instead of reopening with a new SLA clock.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accessproof, copyDemo } from './cli-helpers';

interface FindingLine {
  id: string;
  rule: string;
  status: string;
  dueAt?: string;
  sources: string[];
  history: { event: string }[];
}

function findings(out: string): FindingLine[] {
  const r = accessproof(['findings', '--out', out, '--format', 'jsonl']);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as FindingLine);
}

function latestPack(out: string): string {
  const root = join(out, 'evidence', 'packs');
  const manifests = readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((p) => p.endsWith('manifest.json'))
    .sort();
  return join(root, manifests.at(-1)!.replace(/manifest\.json$/, ''));
}

describe('defect 4: NHI-ORPHANED survives a failed owners directory with its id and due date', () => {
  const { dir, config } = copyDemo();
  const out = join(dir, 'out');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stays open while Entra fails, writes no remediation row, and keeps id and due date when it returns', () => {
    // Arrange: a first complete run.
    const first = accessproof(['scan', '--config', config, '--as-of', '2026-10-01T00:00:00Z', '--out', out]);
    expect(first.code, first.stderr).toBe(0);
    const orphaned = findings(out).filter((f) => f.rule === 'NHI-ORPHANED' && f.status === 'open');
    expect(orphaned.length).toBeGreaterThan(0);
    for (const f of orphaned) expect(f.sources, f.id).toContain('entra');
    const key = (list: FindingLine[]) =>
      list
        .filter((f) => orphaned.some((o) => o.id === f.id))
        .map((f) => ({ id: f.id, status: f.status, dueAt: f.dueAt }));
    const before = key(findings(out));

    // The Entra source goes live and cannot authenticate: the client certificate file is missing, so
    // no request leaves the machine (the Graph base URL is a closed local port besides).
    const original = readFileSync(config, 'utf8');
    const live = original.replace(
      /( {4}groups: \["Finance\*"\]\n(?: {4}kinds:\n(?: {6}.*\n)+)?) {4}files: \{ dir: entra\/ \}\n/,
      '$1    graphBaseUrl: "http://127.0.0.1:9"\n    clientId: 00000000-0000-0000-0000-000000000001\n',
    );
    expect(live).toContain('127.0.0.1:9');
    writeFileSync(config, live);
    const failing = {
      AZURE_CLIENT_CERTIFICATE_PATH: join(dir, 'no-such-certificate.pem'),
      AZURE_AUTHORITY_HOST: 'https://127.0.0.1:9',
    };

    // Act: a week later, with the owners' directory failed.
    const second = accessproof(
      ['scan', '--config', config, '--as-of', '2026-10-08T00:00:00Z', '--out', out],
      dir,
      failing,
    );

    // Assert: the source failed (not bad input), the findings are untouched, no remediation row.
    expect(second.code, second.stderr).toBe(3);
    expect(second.stdout).toMatch(/entra\s+entra\s+FAILED/);
    const manifest = JSON.parse(readFileSync(join(latestPack(out), 'manifest.json'), 'utf8'));
    expect(manifest.sources.find((s: { id: string }) => s.id === 'entra')).toMatchObject({
      status: 'failed',
    });
    expect(key(findings(out))).toEqual(before);
    const remediation = readFileSync(join(latestPack(out), 'remediation.jsonl'), 'utf8');
    for (const f of orphaned) expect(remediation).not.toContain(f.id);

    // Act: the directory returns a week after that.
    writeFileSync(config, original);
    const third = accessproof(['scan', '--config', config, '--as-of', '2026-10-15T00:00:00Z', '--out', out]);

    // Assert: the same findings, still open, the same due dates; never resolved nor reopened.
    expect(third.code, third.stderr).toBe(0);
    const after = findings(out);
    expect(key(after)).toEqual(before);
    for (const f of after.filter((g) => orphaned.some((o) => o.id === g.id))) {
      expect(f.history.map((h) => h.event)).not.toContain('resolved');
      expect(f.history.map((h) => h.event)).not.toContain('reopened');
    }
    expect(readFileSync(join(latestPack(out), 'remediation.jsonl'), 'utf8')).not.toMatch(
      new RegExp(orphaned.map((f) => f.id).join('|')),
    );
    expect(accessproof(['verify', join(out, 'evidence')]).code).toBe(0);
  }, 300_000);
});
