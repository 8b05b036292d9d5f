/**
 * A real Object Lock server for tests: Ceph RADOS Gateway started by test/support/ceph-rgw/start.sh
 * (one monitor, one memstore OSD, radosgw; 127.0.0.1 only, RAM only) and stopped by stop.sh, which
 * kills exactly the processes start.sh recorded.
 *
 * Runs as root with the Debian packages installed (`.ci/run` installs them). Elsewhere the suite is
 * skipped — unless ACCESSPROOF_REQUIRE_CEPH=1 (set by `.ci/run`), which turns "unavailable" into a
 * failure so CI can never pass by skipping it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, PutObjectLockConfigurationCommand, S3Client } from '@aws-sdk/client-s3';

const run = promisify(execFile);
const SCRIPTS = resolve(import.meta.dirname, 'ceph-rgw');
const TOOLS = ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'ceph'];
export const RGW_ACCESS_KEY = 'ACCESSPROOFTEST0001';
export const RGW_SECRET_KEY = 'accessproof-test-secret-0000000000000001';

/** Why the server cannot run here, or `undefined` when it can. */
export function cephUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (the Ceph daemons are started as root)';
  const missing = TOOLS.filter((t) => !['/usr/bin', '/usr/sbin', '/bin'].some((d) => existsSync(join(d, t))));
  if (missing.length)
    return `not installed: ${missing.join(', ')} (apt-get install ceph-mon ceph-osd radosgw ceph-common)`;
  return undefined;
}

export const cephRequired = process.env.ACCESSPROOF_REQUIRE_CEPH === '1';

export interface CephRgw {
  endpoint: string;
  /** A fresh client with the test user's keys (path-style, us-east-1). */
  client(): S3Client;
  /** A bucket with Object Lock and a COMPLIANCE default retention of `days`. */
  createLockedBucket(name: string, days?: number): Promise<void>;
  /** The environment a child process (the CLI) needs to reach this server. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? done(address.port) : fail(new Error('no port')),
      );
    });
  });
}

/** Start a cluster in a fresh folder on free ports (other test files may run one at the same time). */
export async function startCephRgw(): Promise<CephRgw> {
  const dir = mkdtempSync(join(tmpdir(), 'accessproof-ceph-'));
  const env = {
    ...process.env,
    CEPH_DIR: dir,
    MON_PORT: String(await freePort()),
    RGW_PORT: String(await freePort()),
    RGW_ACCESS_KEY,
    RGW_SECRET_KEY,
  };
  const stop = async () => {
    await run(join(SCRIPTS, 'stop.sh'), [], { env }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  let endpoint: string;
  try {
    const { stdout } = await run(join(SCRIPTS, 'start.sh'), [], { env, timeout: 240_000 });
    endpoint = stdout.trim().split('\n').at(-1) ?? '';
  } catch (err) {
    await stop();
    const e = err as { stderr?: string; message: string };
    throw new Error(`Ceph RGW did not start: ${e.stderr?.trim() || e.message}`);
  }
  const client = () =>
    new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: RGW_ACCESS_KEY, secretAccessKey: RGW_SECRET_KEY },
    });
  return {
    endpoint,
    client,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: RGW_ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: RGW_SECRET_KEY,
      AWS_REGION: 'us-east-1',
    },
    async createLockedBucket(name, days = 1) {
      const c = client();
      await c.send(new CreateBucketCommand({ Bucket: name, ObjectLockEnabledForBucket: true }));
      await c.send(
        new PutObjectLockConfigurationCommand({
          Bucket: name,
          ObjectLockConfiguration: {
            ObjectLockEnabled: 'Enabled',
            Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: days } },
          },
        }),
      );
    },
    stop,
  };
}
