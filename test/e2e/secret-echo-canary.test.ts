import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { accessproof, accessproofAsync, copyDemo } from './cli-helpers';

// An upstream that echoes what it was sent must not carry a secret into any output (issue 11 #6).
const CLIENT_SECRET = 'CANARY-sf-Client-Secret-7Q2w9Z';
const ENTRA_SECRET = 'CANARY-entra-Client-Secret-4K8p';
const SESSION_TOKEN = '00DTS00000ECHO1EAA!ARcanarySessionToken5f1e9d';

function everyFile(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

/** Everything the run wrote: stdout, stderr, and every file under `out` (gzip opened). */
function everything(out: string, ...texts: string[]): string {
  const bodies = everyFile(out).map((f) => {
    const raw = readFileSync(f);
    return f.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('latin1');
  });
  return [...texts, ...bodies].join('\n');
}

interface Echo {
  url: string;
  seen: string[];
  server: Server;
}

/**
 * A Salesforce imitation that quotes every request (line, headers, body) back in its error. With
 * `grantToken`, the token endpoint answers a session first and the REST API echoes instead.
 */
async function startEcho(grantToken: boolean): Promise<Echo> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const quoted = `${req.method} ${req.url} ${JSON.stringify(req.headers)} ${body}`;
      seen.push(quoted);
      res.setHeader('Content-Type', 'application/json');
      if (req.url?.startsWith('/services/oauth2/token')) {
        if (grantToken) {
          const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
          res.end(
            JSON.stringify({
              access_token: SESSION_TOKEN,
              instance_url: base,
              id: `${base}/id/00DTS00000ECHO1EAA/005TS0000000U01AAA`,
              token_type: 'Bearer',
            }),
          );
          return;
        }
        res.statusCode = 400;
        res.end(JSON.stringify({ error: 'invalid_client', error_description: `cannot accept ${quoted}` }));
        return;
      }
      res.statusCode = 400;
      res.end(JSON.stringify([{ errorCode: 'MALFORMED_QUERY', message: `cannot accept ${quoted}` }]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

/** The demo with its Salesforce source made live against `loginUrl` (client-credentials flow). */
function liveDemo(loginUrl: string) {
  const demo = copyDemo();
  const text = readFileSync(demo.config, 'utf8');
  const live = text.replace(
    '    files: { dir: salesforce/ }',
    `    loginUrl: ${loginUrl}\n    auth: client-credentials\n    clientId: 3MVG9ECHO.consumer.key`,
  );
  expect(live).not.toBe(text);
  writeFileSync(demo.config, live);
  return demo;
}

const env = { SALESFORCE_CLIENT_SECRET: CLIENT_SECRET, AZURE_CLIENT_SECRET: ENTRA_SECRET };

describe('a secret echoed back by an upstream never reaches stdout, stderr, state or the sealed pack', () => {
  const dirs: string[] = [];
  const servers: Server[] = [];
  afterAll(async () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    for (const s of servers) await new Promise((r) => s.close(r));
  }, 180_000);

  it('Salesforce live: the token endpoint quotes the request body holding client_secret', async () => {
    // Arrange
    const echo = await startEcho(false);
    servers.push(echo.server);
    const { dir, config } = liveDemo(echo.url);
    dirs.push(dir);
    const out = join(dir, 'out');

    // Act
    const r = await accessproofAsync(
      ['scan', '--config', config, '--as-of', '2026-10-01T00:00:00Z', '--out', out],
      dir,
      env,
    );
    const findings = accessproof(['findings', '--out', out, '--format', 'json'], dir, env);

    // Assert: the upstream did see the secret, and the run reports the failed source without it
    expect(echo.seen.join('\n')).toContain(`client_secret=${CLIENT_SECRET}`);
    expect(r.stdout).toMatch(/salesforce/);
    expect(r.stdout + r.stderr).toMatch(/invalid_client/);
    const all = everything(out, r.stdout, r.stderr, findings.stdout, findings.stderr);
    expect(all).toContain('[redacted]');
    expect(all).not.toContain(CLIENT_SECRET);
    expect(all).not.toContain(encodeURIComponent(CLIENT_SECRET));
  }, 180_000);

  it('Salesforce live: the API quotes the Authorization header holding the session token', async () => {
    // Arrange
    const echo = await startEcho(true);
    servers.push(echo.server);
    const { dir, config } = liveDemo(echo.url);
    dirs.push(dir);
    const out = join(dir, 'out');

    // Act
    const r = await accessproofAsync(
      ['scan', '--config', config, '--as-of', '2026-10-01T00:00:00Z', '--out', out],
      dir,
      env,
    );

    // Assert
    expect(echo.seen.join('\n')).toContain(SESSION_TOKEN);
    expect(r.stdout + r.stderr).toMatch(/MALFORMED_QUERY/);
    const all = everything(out, r.stdout, r.stderr);
    expect(all).not.toContain(SESSION_TOKEN);
    expect(all).not.toContain(CLIENT_SECRET);
  }, 180_000);

  it('files mode: a configured secret quoted inside Entra and Salesforce exports is scrubbed from every output', async () => {
    // Arrange: exports that saved an answer quoting the app's secrets (here as display names)
    const { dir, config } = copyDemo();
    dirs.push(dir);
    const plant = (file: string, from: RegExp, to: string) => {
      const path = join(dir, 'examples', 'demo', file);
      const text = readFileSync(path, 'utf8');
      const planted = text.replace(from, to);
      expect(planted, file).not.toBe(text);
      writeFileSync(path, planted);
    };
    plant('entra/servicePrincipals.json', /"displayName": "[^"]*"/, `"displayName": "echo ${ENTRA_SECRET}"`);
    const sfFile = readdirSync(join(dir, 'examples', 'demo', 'salesforce')).find((f) => /user/i.test(f))!;
    plant(`salesforce/${sfFile}`, /"Name": "[^"]*"/, `"Name": "echo ${CLIENT_SECRET}"`);
    const out = join(dir, 'out');

    // Act
    const r = await accessproofAsync(
      ['scan', '--config', config, '--as-of', '2026-10-01T00:00:00Z', '--out', out],
      dir,
      env,
    );
    const findings = accessproof(['findings', '--out', out, '--format', 'json'], dir, env);

    // Assert
    expect(r.code, r.stderr).toBeLessThan(2);
    const all = everything(out, r.stdout, r.stderr, findings.stdout);
    expect(all).not.toContain(ENTRA_SECRET);
    expect(all).not.toContain(CLIENT_SECRET);
  }, 180_000);
});
