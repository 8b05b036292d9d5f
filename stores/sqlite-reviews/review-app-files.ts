/**
 * The reviewer app's files in a local state folder: the HMAC key of review links
 * (`<state>/keys/review-link.key`, 32 random bytes as hex, mode 0600 in a 0700 folder, created on
 * first use) and the audit log of state-changing requests (`<state>/reviews-audit.jsonl`).
 */
import { randomBytes } from 'node:crypto';
import { appendFile, chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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
