/**
 * The reviewer app's files in a local state folder: the HMAC key of review links
 * (`<state>/keys/review-link.key`, 32 random bytes as hex, mode 0600 in a 0700 folder, created on
 * first use) and the audit log of state-changing requests (`<state>/reviews-audit.jsonl`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { InputError } from '../../core/errors';
import type { AuditEntry } from '../../core/reviews/web/app';

export function reviewLinkKeyFile(stateDir: string): string {
  return join(stateDir, 'keys', 'review-link.key');
}

export function reviewAuditFile(stateDir: string): string {
  return join(stateDir, 'reviews-audit.jsonl');
}

/**
 * @example
 * const key = await loadOrCreateReviewLinkKey('./accessproof-out/state');
 */
export async function loadOrCreateReviewLinkKey(stateDir: string): Promise<Uint8Array> {
  const file = reviewLinkKeyFile(stateDir);
  await mkdir(join(stateDir, 'keys'), { recursive: true, mode: 0o700 });
  try {
    await writeFile(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const mode = (await stat(file)).mode & 0o777;
  if (mode & 0o077) {
    throw new InputError(
      `review link key is readable by others (mode ${mode.toString(8)}); run chmod 600 on it`,
      {
        file,
      },
    );
  }
  const hex = (await readFile(file, 'utf8')).trim();
  if (!/^[0-9a-f]{64,}$/.test(hex)) throw new InputError('review link key is not 32+ bytes of hex', { file });
  return Buffer.from(hex, 'hex');
}

/** Appends one JSON line per entry; the file is created 0600 (it names reviewers). */
export function reviewAuditAppender(stateDir: string): (entry: AuditEntry) => Promise<void> {
  const file = reviewAuditFile(stateDir);
  return async (entry) => {
    await appendFile(file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    await chmod(file, 0o600).catch(() => undefined);
  };
}

/** Where the audit log's sealed length is kept: `<state>/reviews-audit.sealed.json`. */
export function reviewAuditSealedFile(stateDir: string): string {
  return join(stateDir, 'reviews-audit.sealed.json');
}

/** The audit entries not yet in a pack, as the pack's `reviews/requests-audit.jsonl`. */
export interface UnsealedAudit {
  path: 'reviews/requests-audit.jsonl';
  content: Uint8Array;
  /** Entry lines (the range line not counted). */
  records: number;
  /** Byte offset the entries end at in the log: recorded once the pack is sealed. */
  to: number;
  /** SHA-256 of the log's bytes up to `to`. */
  prefixSha256: string;
}

/**
 * The log's entries appended since the last sealed pack (whole lines only: a line being written
 * waits for the next pack), preceded by a `range` line naming the byte range and whether it
 * continues the previous pack's (`continuous: false` when the log was cut or rewritten since:
 * then the whole log is sealed again, and the gap is said, not hidden). Undefined when nothing is new.
 *
 * @example
 * const audit = await unsealedAudit(paths.state);
 * if (audit) extra.push(audit); … await markAuditSealed(paths.state, audit);
 */
export async function unsealedAudit(stateDir: string): Promise<UnsealedAudit | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(reviewAuditFile(stateDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const end = bytes.lastIndexOf(0x0a) + 1;
  const sealed = await readSealed(stateDir);
  let from = 0;
  let continuous = sealed === undefined;
  if (sealed && sealed.to <= end) {
    const prefix = createHash('sha256').update(bytes.subarray(0, sealed.to)).digest('hex');
    if (prefix === sealed.prefixSha256) {
      from = sealed.to;
      continuous = true;
    }
  }
  if (from >= end && continuous) return undefined;
  const chunk = bytes.subarray(from, end).toString('utf8');
  const lines = chunk.split('\n').filter((l) => l.length > 0);
  const prefixSha256 = createHash('sha256').update(bytes.subarray(0, end)).digest('hex');
  const range = {
    record: 'range',
    log: 'state/reviews-audit.jsonl',
    fromByte: from,
    toByte: end,
    entries: lines.length,
    continuous,
    ...(sealed ? { previousToByte: sealed.to } : {}),
    prefixSha256,
  };
  return {
    path: 'reviews/requests-audit.jsonl',
    content: new TextEncoder().encode(`${[JSON.stringify(range), ...lines].join('\n')}\n`),
    records: lines.length,
    to: end,
    prefixSha256,
  };
}

/** Record that the log up to `audit.to` is in a sealed pack (temporary file, then rename). */
export async function markAuditSealed(stateDir: string, audit: UnsealedAudit): Promise<void> {
  const file = reviewAuditSealedFile(stateDir);
  await writeFile(`${file}.tmp`, `${JSON.stringify({ to: audit.to, prefixSha256: audit.prefixSha256 })}\n`, {
    mode: 0o600,
  });
  await rename(`${file}.tmp`, file);
}

async function readSealed(stateDir: string): Promise<{ to: number; prefixSha256: string } | undefined> {
  let text: string;
  try {
    text = await readFile(reviewAuditSealedFile(stateDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = sealedSchema.safeParse(safeJson(text));
  if (!parsed.success) {
    throw new InputError('not {to, prefixSha256}: delete it to seal the whole audit log again', {
      file: reviewAuditSealedFile(stateDir),
    });
  }
  return parsed.data;
}

const sealedSchema = z.object({
  to: z.number().int().nonnegative(),
  prefixSha256: z.string().regex(/^[0-9a-f]{64}$/),
});

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
