import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { accessproof, copyDemo } from './cli-helpers';

// Guards against a credential value or hint leaking from an export into any output.
const CANARY_SECRET = 'CANARY-s3cr3t-Value-9f8e7d6c5b4a';
const CANARY_HINT = 'Zq9';

function everyFile(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

describe('a secret in an export never reaches logs, state, findings or the pack', () => {
  const { dir, config } = copyDemo();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('scans a tenant whose app registration carries a secret value and hint', () => {
    // Arrange: put a secret value and hint on every password credential of the Entra export.
    const file = join(dir, 'examples', 'demo', 'entra', 'applications.json');
    const text = readFileSync(file, 'utf8')
      .replace(/"secretText": null/g, `"secretText": "${CANARY_SECRET}"`)
      .replace(/"hint": "[^"]*"/g, `"hint": "${CANARY_HINT}"`);
    expect(text).toContain(CANARY_SECRET);
    writeFileSync(file, text);
    const out = join(dir, 'out');

    // Act
    const r = accessproof(['scan', '--config', config, '--as-of', '2026-10-01T00:00:00Z', '--out', out]);
    const findings = accessproof(['findings', '--out', out, '--format', 'jsonl']);

    // Assert
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr + findings.stdout).not.toContain(CANARY_SECRET);
    const files = everyFile(out);
    expect(files.some((f) => f.endsWith('.jsonl.gz'))).toBe(true);
    for (const f of files) {
      const raw = readFileSync(f);
      const body = f.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('latin1');
      expect(body.includes(CANARY_SECRET), f).toBe(false);
      expect(body.includes(`"hint":"${CANARY_HINT}"`), f).toBe(false);
    }
  }, 180_000);
});
