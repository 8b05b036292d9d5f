/**
 * Entra live at CLI level against an upstream that echoes what it is sent (issue 11, "The
 * echo-server canary test must pass for Entra and Salesforce, live and files mode"). One local
 * HTTPS server (a certificate made here, trusted by the child through NODE_EXTRA_CA_CERTS) is the
 * authority (`authorityHost`, no instance discovery, so nothing leaves 127.0.0.1) and Graph. It
 * quotes every request back: the token POST with the client secret in its body, Graph requests
 * with the bearer token. Neither may appear on stdout, stderr or in any file of the out folder.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessproof, accessproofAsync, copyDemo, tempDir } from './cli-helpers';

const CLIENT_SECRET = 'CANARY~entra.Client-Secret_9Tq4+Zw/1';
const ACCESS_TOKEN = 'CANARY-entra-access-token-Vb71qXr0';
const TENANT = '5b7c2e9a-3f1d-4c8e-9a61-2d4f8b0c7e13';
const hasOpenssl = spawnSync('sh', ['-c', 'command -v openssl']).status === 0;

/** Everything under `dir` as text (gzip opened). */
function everyFileText(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .map((f) => {
      const raw = readFileSync(f);
      return f.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('latin1');
    });
}

/** The forms a secret may take on the way out: as is, form- or URL-encoded, JSON-escaped. */
function forms(secret: string): string[] {
  return [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    JSON.stringify(secret).slice(1, -1),
  ];
}

interface Echo {
  base: string;
  seen: string[];
  server: Server;
}

/**
 * The authority and Graph in one. With `grantToken` the token POST is answered with an access
 * token and Graph quotes each request in a 400 error (and the first user's name); without it the
 * token POST itself is refused quoting its body, client secret included.
 */
async function startEcho(tls: { key: Buffer; cert: Buffer }, grantToken: boolean): Promise<Echo> {
  const seen: string[] = [];
  let base = '';
  const server = createServer(tls, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      // As sent, and the values alone (no `client_secret=` or `Bearer` before them for a pattern to see).
      const values = [
        ...new URLSearchParams(body).values(),
        ...Object.values(req.headers).map((v) => String(v).replace(/^Bearer /, '')),
      ];
      const quoted = `${req.method} ${req.url} ${JSON.stringify(req.headers)} ${body} values: ${values.join(' ')}`;
      seen.push(quoted);
      res.setHeader('Content-Type', 'application/json');
      const url = req.url ?? '';
      if (url.includes('/.well-known/openid-configuration')) {
        res.end(
          JSON.stringify({
            issuer: `${base}/${TENANT}/v2.0`,
            authorization_endpoint: `${base}/${TENANT}/oauth2/v2.0/authorize`,
            token_endpoint: `${base}/${TENANT}/oauth2/v2.0/token`,
            jwks_uri: `${base}/${TENANT}/discovery/v2.0/keys`,
            end_session_endpoint: `${base}/${TENANT}/oauth2/v2.0/logout`,
          }),
        );
        return;
      }
      if (url.includes('/oauth2/v2.0/token')) {
        if (grantToken) {
          res.end(
            JSON.stringify({
              token_type: 'Bearer',
              expires_in: 3599,
              ext_expires_in: 3599,
              access_token: ACCESS_TOKEN,
              // Unknown to the client, and quoting the request with its client secret.
              debug: quoted,
            }),
          );
          return;
        }
        res.statusCode = 401;
        res.end(
          JSON.stringify({
            error: 'invalid_client',
            error_description: `AADSTS7000215: cannot accept ${quoted}`,
            error_codes: [7000215],
          }),
        );
        return;
      }
      if (url.startsWith('/v1.0/reports/')) {
        // No licence for the sign-in reports: a warning, and the collection goes on.
        res.statusCode = 403;
        res.end(
          JSON.stringify({
            error: {
              code: 'Authentication_RequestFromNonPremiumTenantOrB2CTenant',
              message: `cannot accept ${quoted}`,
            },
          }),
        );
        return;
      }
      if (url.startsWith('/v1.0/users?') || url === '/v1.0/users') {
        // A 200 answer quoting the request in data.
        res.end(
          JSON.stringify({
            value: [
              {
                id: '11111111-2222-3333-4444-555555555555',
                displayName: `echo ${quoted}`,
                userPrincipalName: 'echo@example.test',
                accountEnabled: true,
                userType: 'Member',
              },
            ],
          }),
        );
        return;
      }
      res.statusCode = 400;
      res.end(JSON.stringify({ error: { code: 'BadRequest', message: `cannot accept ${quoted}` } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, seen, server };
}

describe.skipIf(!hasOpenssl)(
  'Entra live: a secret echoed by the authority or Graph reaches no output',
  () => {
    const tlsDir = tempDir('accessproof-tls-');
    const dirs: string[] = [tlsDir];
    const servers: Server[] = [];
    let tls: { key: Buffer; cert: Buffer };

    beforeAll(() => {
      const r = spawnSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          join(tlsDir, 'key.pem'),
          '-out',
          join(tlsDir, 'cert.pem'),
          '-days',
          '2',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
        { encoding: 'utf8' },
      );
      expect(r.status, r.stderr).toBe(0);
      tls = { key: readFileSync(join(tlsDir, 'key.pem')), cert: readFileSync(join(tlsDir, 'cert.pem')) };
    });
    afterAll(async () => {
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    /** Scan the demo with its Entra source live against `echo`; everything the run put out. */
    async function scanAgainst(echo: Echo) {
      const { dir, config } = copyDemo();
      dirs.push(dir);
      const text = readFileSync(config, 'utf8');
      const live = text.replace(
        '    files: { dir: entra/ }\n',
        [
          `    graphBaseUrl: ${echo.base}`,
          `    authorityHost: ${echo.base}`,
          '    disableInstanceDiscovery: true',
          '    clientId: 0d1c2b3a-0000-4000-8000-00000000e7c0',
          '',
        ].join('\n'),
      );
      expect(live).not.toBe(text);
      writeFileSync(config, live);
      const out = join(dir, 'out');
      const env = {
        AZURE_CLIENT_SECRET: CLIENT_SECRET,
        AZURE_CLIENT_CERTIFICATE_PATH: '',
        NODE_EXTRA_CA_CERTS: join(tlsDir, 'cert.pem'),
        ACCESSPROOF_READ_TIMEOUT_S: '30',
      };
      const r = await accessproofAsync(
        ['scan', '--config', config, '--as-of', '2026-10-01T00:00:00Z', '--out', out],
        dir,
        env,
      );
      const findings = accessproof(['findings', '--out', out, '--format', 'json'], dir, env);
      return {
        r,
        all: [r.stdout, r.stderr, findings.stdout, findings.stderr, ...everyFileText(out)].join('\n'),
      };
    }

    it('the token endpoint refuses, quoting the POST body with client_secret', async () => {
      // Arrange
      const echo = await startEcho(tls, false);
      servers.push(echo.server);

      // Act
      const { r, all } = await scanAgainst(echo);

      // Assert: the secret did reach the upstream; the source failed; the secret is nowhere
      expect(echo.seen.join('\n')).toContain(`client_secret=${encodeURIComponent(CLIENT_SECRET)}`);
      expect(echo.seen.join('\n')).not.toMatch(/discovery\/instance/);
      expect(r.code, r.stdout + r.stderr).toBe(3);
      expect(r.stdout).toMatch(/entra\s+entra\s+FAILED/);
      expect(all).toMatch(/AADSTS7000215: cannot accept POST/);
      for (const form of forms(CLIENT_SECRET))
        expect(all.includes(form), `${form} in the output`).toBe(false);
    }, 240_000);

    it('Graph quotes the bearer token in its errors and in a user name', async () => {
      // Arrange
      const echo = await startEcho(tls, true);
      servers.push(echo.server);

      // Act
      const { r, all } = await scanAgainst(echo);

      // Assert: Graph saw the token; the run went on without it anywhere
      expect(echo.seen.join('\n')).toContain(`Bearer ${ACCESS_TOKEN}`);
      expect(echo.seen.some((s) => s.startsWith('GET /v1.0/'))).toBe(true);
      expect(r.code, r.stdout + r.stderr).toBe(3);
      expect(r.stdout).toMatch(/entra\s+entra\s+FAILED/);
      expect(all).toMatch(/cannot accept/);
      for (const form of [...forms(ACCESS_TOKEN), ...forms(CLIENT_SECRET)])
        expect(all.includes(form), `${form} in the output`).toBe(false);
    }, 240_000);
  },
);
