/**
 * The CLI as an unlucky operator meets it (issue 11): a reader that goes away, a full disk, a FIFO
 * where an export belongs, a scan stopped with SIGTERM, and `--debug` for the stack.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessproof, CLI, CLI_SHELL, copyDemo, tempDir } from './cli-helpers';

const hasFifo = spawnSync('sh', ['-c', 'command -v mkfifo']).status === 0;

describe('the CLI under hostile conditions', () => {
  const out = tempDir();
  const dirs: string[] = [out];
  beforeAll(() => {
    const scan = accessproof(['scan', '--demo', '--out', out, '--quiet']);
    expect(scan.code, scan.stderr).toBe(0);
  }, 180_000);
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('`findings | head` ends quietly: exit 0, nothing on stderr (EPIPE)', () => {
    // Act: ~400 KB of JSON into a reader that stops after 10 bytes
    const r = spawnSync(
      'bash',
      ['-c', `${CLI_SHELL} findings --out "${out}" --format json | head -c 10; exit \${PIPESTATUS[0]}`],
      { encoding: 'utf8', env: { ...process.env, CI: 'true', NODE_NO_WARNINGS: '1' }, timeout: 120_000 },
    );

    // Assert
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^\[/);
  });

  it.skipIf(!existsSync('/dev/full'))('stdout on a full disk: one line saying so, exit 1, no stack', () => {
    // Act
    const r = spawnSync('bash', ['-c', `${CLI_SHELL} findings --out "${out}" > /dev/full`], {
      encoding: 'utf8',
      env: { ...process.env, CI: 'true', NODE_NO_WARNINGS: '1' },
      timeout: 120_000,
    });

    // Assert
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      'accessproof: the disk is full (ENOSPC) writing the output: what was written is incomplete',
    ]);
  });

  it('a failure is one line; --debug adds the stack', () => {
    // Act
    const plain = accessproof(['scan', '--config', join(out, 'missing.yaml'), '--out', out]);
    const debug = accessproof(['scan', '--config', join(out, 'missing.yaml'), '--out', out, '--debug']);

    // Assert
    expect(plain.code).toBe(2);
    expect(plain.stderr.trim().split('\n')).toHaveLength(1);
    expect(plain.stderr).toMatch(/^accessproof: .*missing\.yaml/);
    expect(plain.stderr).not.toMatch(/\n\s+at /);
    expect(debug.code).toBe(2);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it('an internal failure (not bad input) is one line too, exit 1; --debug adds the stack', () => {
    // Arrange: the output folder is a file, so the state folder cannot be made (ENOTDIR)
    const file = join(out, 'not-a-folder');
    writeFileSync(file, 'x');

    // Act
    const plain = accessproof(['scan', '--demo', '--out', file]);
    const debug = accessproof(['scan', '--demo', '--out', file, '--debug']);

    // Assert
    expect(plain.code, plain.stderr).toBe(1);
    expect(plain.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^accessproof: .*\(ENOTDIR\).*not-a-folder/),
    ]);
    expect(debug.code).toBe(1);
    expect(debug.stderr.split('\n')[0]).toBe(plain.stderr.split('\n')[0]);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it('a latin-1 export is exit 2 naming file and line, and read right with `encoding: latin1`', () => {
    // Arrange: the ERP users file written in latin-1, with one name that needs it
    const { dir, config } = copyDemo();
    dirs.push(dir);
    const users = join(dir, 'examples', 'demo', 'erp', 'users.csv');
    const text = readFileSync(users, 'utf8')
      .replace(/^\ufeff/, '')
      .replace('"Urbanski, Pedro"', '"Müller, Jürgen"');
    expect(text).toContain('Müller');
    writeFileSync(users, Buffer.from(text, 'latin1'));
    const latinOut = join(dir, 'out');
    const args = ['scan', '--config', config, '--as-of', '2026-10-01T00:00:00Z', '--out', latinOut];

    // Act
    const refused = accessproof(args);
    writeFileSync(
      config,
      readFileSync(config, 'utf8').replace('    system: erp\n', '    system: erp\n    encoding: latin1\n'),
    );
    const read = accessproof(args);
    const findings = accessproof(['findings', '--out', latinOut, '--format', 'json']);

    // Assert
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/users\.csv:2: not valid UTF-8 \(set `encoding: latin1`/);
    expect(read.code, read.stderr).toBeLessThan(2);
    expect(readdirSync(join(latinOut, 'evidence', 'packs'), { recursive: true }).length).toBeGreaterThan(0);
    expect(findings.stdout + read.stdout).not.toContain('\ufffd');
    expect(findings.stdout).toContain('Müller, Jürgen');
  }, 180_000);

  it.skipIf(!hasFifo)(
    'a FIFO named as an AWS export, a Salesforce file or a ruleset is refused at once (exit 2), nothing sealed',
    () => {
      // Arrange: one demo copy per case, the file replaced by a named pipe nobody writes to
      const cases = [
        [
          'aws/authorization-details.json',
          /authorization-details\.json: is a FIFO \(named pipe\), not a regular file/,
        ],
        ['salesforce/users.json', /users\.json: is a FIFO \(named pipe\), not a regular file/],
        ['../../rules/sox-core.yaml', /sox-core\.yaml: is a FIFO \(named pipe\), not a regular file/],
      ] as const;
      for (const [file, message] of cases) {
        const { dir, config } = copyDemo();
        dirs.push(dir);
        const path = join(dir, 'examples', 'demo', file);
        rmSync(path);
        expect(spawnSync('mkfifo', [path]).status).toBe(0);
        const fifoOut = join(dir, 'out');

        // Act: a hang ends at the helper's timeout with no exit code
        const r = accessproof([
          'scan',
          '--config',
          config,
          '--as-of',
          '2026-10-01T00:00:00Z',
          '--out',
          fifoOut,
        ]);

        // Assert
        expect(r.code, `${file}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(message);
        expect(existsSync(join(fifoOut, 'state', 'scan.lock'))).toBe(false);
        expect(existsSync(join(fifoOut, 'evidence', 'packs'))).toBe(false);
      }
    },
    240_000,
  );

  it('SIGTERM during a scan: exit 143, lock released, nothing sealed; the next scan succeeds and verifies', async () => {
    // Arrange: the Salesforce source made live against a server that accepts and never answers
    const sockets = new Set<Socket>();
    let asked!: () => void;
    const reached = new Promise<void>((r) => {
      asked = r;
    });
    const silent = createServer(() => asked());
    silent.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const { dir, config } = copyDemo();
    dirs.push(dir);
    const original = readFileSync(config, 'utf8');
    writeFileSync(
      config,
      original.replace(
        '    files: { dir: salesforce/ }',
        `    loginUrl: ${url}\n    auth: client-credentials\n    clientId: 3MVG9SIGTERM`,
      ),
    );
    const termOut = join(dir, 'out');
    const args = ['scan', '--config', config, '--as-of', '2026-10-01T00:00:00Z', '--out', termOut];

    // Act: stop the scan while it waits on the upstream
    const child = spawn(CLI[0], [...CLI.slice(1), ...args], {
      env: {
        ...process.env,
        CI: 'true',
        NODE_NO_WARNINGS: '1',
        SALESFORCE_CLIENT_SECRET: 'sigterm-secret-1',
      },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await reached;
    expect(existsSync(join(termOut, 'state', 'scan.lock'))).toBe(true);
    child.kill('SIGTERM');
    const code = await exited;
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));

    // Assert
    expect(code).toBe(143);
    expect(existsSync(join(termOut, 'state', 'scan.lock'))).toBe(false);
    const packs = join(termOut, 'evidence', 'packs');
    expect(existsSync(packs) ? readdirSync(packs, { recursive: true }).length : 0).toBe(0);
    writeFileSync(config, original);
    const next = accessproof(args);
    expect(next.code, next.stderr).toBe(0);
    const verify = accessproof(['verify', join(termOut, 'evidence')]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  }, 240_000);
});
