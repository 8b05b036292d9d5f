/**
 * `accessproof verify DIR | s3://bucket/prefix`: every hash, every signature, the chain; in S3 also
 * each object's versions (the sealed one is read; anything over it is reported), checksum and
 * Object Lock retention. Exit 0 only when everything holds.
 *
 * The chain's end is compared with what was recorded elsewhere: `--expect-head` (an anchor the
 * auditor kept), the local findings store beside a folder, or `--findings-table` for S3.
 * `AWS_ENDPOINT_URL_S3` points s3:// at another S3 implementation (path-style addressing).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../core/errors';
import { parseExpectedHead } from '../../core/evidence/anchor';
import type { ChainHead } from '../../core/evidence/manifest';
import { parsePinnedKey } from '../../core/evidence/signature';
import { recordedHeadProblem, verifyChain } from '../../core/evidence/verify';
import { formatVerifyReport } from '../../core/evidence/verify-format';
import { openPackReader } from '../../stores/s3-evidence/open-pack-reader';
import {
  findingsDbFile,
  SqliteFindingsRepository,
} from '../../stores/sqlite-findings/sqlite-findings-repository';
import { EXIT } from '../exit-codes';
import type { Output } from '../output';
import { localPaths } from '../paths';

export interface VerifyOptions {
  /** PEM public key or hex fingerprint every pack must be signed with. */
  key?: string;
  /** PEM public key of the KMS signing key, to check offline instead of asking KMS. */
  publicKey?: string;
  region?: string;
  /** `SEQUENCE:SHA256`: the chain must end exactly at this head (an anchor kept outside the account). */
  expectHead?: string;
  /** DynamoDB findings table whose recorded chain head an `s3://` chain must reach. */
  findingsTable?: string;
}

export async function runVerify(target: string, opts: VerifyOptions, out: Output): Promise<number> {
  if (opts.key && opts.publicKey)
    throw new InputError('give --key or --public-key, not both', { field: '--public-key' });
  const pinFile = opts.key ?? opts.publicKey;
  const pinnedFingerprint = pinFile ? readPin(pinFile, opts.key ? '--key' : '--public-key') : undefined;
  const expectedHead = opts.expectHead ? parseExpectedHead(opts.expectHead) : undefined;
  if (opts.findingsTable !== undefined && !/^[A-Za-z0-9_.-]{3,255}$/.test(opts.findingsTable))
    throw new InputError('not a DynamoDB table name', { field: '--findings-table' });
  const s3 = target.startsWith('s3://');
  if (!s3) target = evidenceFolderOf(target, out);
  const reader = openPackReader(target, { s3: s3ClientConfig(opts.region) });
  // Without a key on record, S3 packs signed by KMS are checked against the key KMS holds (GetPublicKey).
  const resolveKeyFingerprint =
    s3 && !pinnedFingerprint
      ? (await import('../../stores/kms-signer/kms-key-fingerprint')).kmsKeyFingerprints(
          opts.region ? { region: opts.region } : {},
        )
      : undefined;
  const report = await verifyChain(reader, {
    ...(pinnedFingerprint ? { pinnedFingerprint } : {}),
    ...(resolveKeyFingerprint ? { resolveKeyFingerprint } : {}),
    ...(expectedHead ? { expectedHead } : {}),
    onFile: (e) => out.progress(`verifying ${e.runId}/${e.path}`),
  });
  out.done();
  const recorded = s3
    ? opts.findingsTable
      ? await tableHead(opts.findingsTable, opts.region, report.head)
      : undefined
    : await checkRecordedHead(target, report.head);
  if (recorded) {
    report.problems.push({ code: 'chain-head-missing', ...recorded });
    if (recorded.severity === 'error') report.ok = false;
  }
  out.line(formatVerifyReport(report));
  return report.ok ? EXIT.ok : EXIT.failed;
}

/**
 * A chain cannot show that its newest pack was deleted. On one machine the findings store beside
 * the evidence (`<dir>/../state`) records the head the last run sealed: the chain must reach it.
 */
async function checkRecordedHead(
  target: string,
  head: ChainHead | undefined,
): Promise<RecordedHeadResult | undefined> {
  const db = findingsDbFile(localPaths(undefined, target).state);
  if (!existsSync(db)) return undefined;
  const repo = SqliteFindingsRepository.open({ file: db });
  try {
    const recorded = await repo.getChainHead();
    const message = recorded ? recordedHeadProblem(head, recorded, `the findings store (${db})`) : undefined;
    return message ? { severity: 'error', message } : undefined;
  } finally {
    await repo.close();
  }
}

interface RecordedHeadResult {
  severity: 'error' | 'warning';
  message: string;
}

/**
 * In AWS the findings table records the head each seal committed. Reading it needs
 * dynamodb:GetItem, which an auditor may not hold: then say the comparison was not made.
 */
async function tableHead(
  table: string,
  region: string | undefined,
  head: ChainHead | undefined,
): Promise<RecordedHeadResult | undefined> {
  const { DynamoDbFindingsRepository } = await import(
    '../../stores/dynamodb-findings/dynamodb-findings-repository'
  );
  const repo = new DynamoDbFindingsRepository({ tableName: table, clientConfig: region ? { region } : {} });
  let recorded: ChainHead | null;
  try {
    recorded = await repo.getChainHead();
  } catch (err) {
    return {
      severity: 'warning',
      message: `could not read the chain head recorded in findings table ${table} (${(err as Error).name}): the chain's end was not compared with it`,
    };
  } finally {
    await repo.close();
  }
  const message = recorded ? recordedHeadProblem(head, recorded, `findings table ${table}`) : undefined;
  return message ? { severity: 'error', message } : undefined;
}

/**
 * The S3 client for an s3:// target: `AWS_ENDPOINT_URL_S3` (or `AWS_ENDPOINT_URL`) selects another
 * S3 implementation, addressed path-style as such servers expect; otherwise AWS in `region`.
 */
export function s3ClientConfig(region: string | undefined, env: NodeJS.ProcessEnv = process.env) {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL;
  if (endpoint && !/^https?:\/\/[^\s/]+(\/.*)?$/.test(endpoint))
    throw new InputError(`"${endpoint}" is not an http(s) URL`, { field: 'AWS_ENDPOINT_URL_S3' });
  return {
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
  };
}

/**
 * `verify accessproof-out` (the folder `findings` and `review` take): it holds no `packs/` of its
 * own but an `evidence/` folder that does, so say so and verify that.
 */
function evidenceFolderOf(target: string, out: Output): string {
  const inner = join(target, 'evidence');
  if (!existsSync(join(target, 'packs')) && existsSync(join(inner, 'packs'))) {
    out.line(`${target} holds an evidence folder: verifying ${inner}`);
    return inner;
  }
  return target;
}

function readPin(file: string, field: string): string {
  // `--key` takes the fingerprint itself too (docs/auditor.md), as long as no file has that name.
  const direct = parsePinnedKey(file);
  if (field === '--key' && direct.ok && !existsSync(file)) return direct.value;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new InputError('file not found', { file, field });
  }
  const parsed = parsePinnedKey(text);
  if (!parsed.ok) throw new InputError(parsed.error, { file, field });
  return parsed.value;
}
