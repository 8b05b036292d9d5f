import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accessproof, accessproofAsync, copyDemo } from './cli-helpers';

describe('a live upstream that accepts and never answers does not hang the scan', () => {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const { dir, config } = copyDemo();
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    if (server) await new Promise((r) => server?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails the source with a clear message after the read timeout, and seals the other sources', async () => {
    // Arrange: the demo's Salesforce source made live against a server that never answers
    server = createServer(() => undefined);
    server.on('connection', (s) => sockets.add(s));
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const text = readFileSync(config, 'utf8');
    writeFileSync(
      config,
      text.replace(
        '    files: { dir: salesforce/ }',
        `    loginUrl: ${url}\n    auth: client-credentials\n    clientId: 3MVG9SILENT`,
      ),
    );
    const out = join(dir, 'out');
    const env = { ACCESSPROOF_READ_TIMEOUT_S: '1', SALESFORCE_CLIENT_SECRET: 'silent-upstream-secret' };

    // Act
    const r = await accessproofAsync(
      ['scan', '--config', config, '--as-of', '2026-10-01T00:00:00Z', '--out', out],
      dir,
      env,
    );
    const verify = accessproof(['verify', join(out, 'evidence')], dir);

    // Assert: exit 3 (a source failed), the reason named, the pack sealed and verifiable
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/salesforce\s+salesforce\s+FAILED/);
    expect(r.stdout).toMatch(/error: OAuth token \(client-credentials\): TIMEOUT: no answer within 1 s/);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  }, 180_000);
});
