/**
 * The local delivery of reminders and escalations (issue 17): one email-ready file per message in
 * `<state>/outbox/` (RFC 5322 headers, plain text), written whole (temporary file, then rename)
 * so a mail relay or a person can pick up each file as it appears. In AWS the same port is SNS.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NoticeDelivery, NoticeMessage } from '../../core/reviews/reminders';

export function outboxDir(stateDir: string): string {
  return join(stateDir, 'outbox');
}

/** A header value on one line: no CR/LF can smuggle another header in. */
function headerValue(v: string): string {
  return v.replace(/[\r\n]+/g, ' ').trim();
}

/**
 * @example
 * const outbox = new OutboxDelivery('./accessproof-out/state', () => new Date());
 * await outbox.deliver(noticeMessage(campaign, event, link));
 */
export class OutboxDelivery implements NoticeDelivery {
  readonly via = 'outbox';
  /** Files written, in order. */
  readonly written: string[] = [];

  constructor(
    private readonly stateDir: string,
    private readonly now: () => Date,
  ) {}

  async deliver(message: NoticeMessage): Promise<void> {
    const dir = outboxDir(this.stateDir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const at = this.now();
    const e = message.event;
    const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
    const name = `${at.toISOString().replace(/[:.]/g, '')}-${safe(e.campaignId)}-${e.kind}-${safe(e.reviewer)}.eml`;
    const text = [
      `To: ${headerValue(message.to)}`,
      `Subject: ${headerValue(message.subject)}`,
      `Date: ${at.toUTCString()}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      `X-AccessProof-Campaign: ${headerValue(e.campaignId)}`,
      `X-AccessProof-Notice: ${e.kind}; reviewer=${headerValue(e.reviewer)}`,
      '',
      message.text,
    ].join('\r\n');
    const file = join(dir, name);
    const tmp = `${file}.tmp`;
    // 0600: the reminder carries the reviewer's sign-in link.
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, file);
    this.written.push(file);
  }
}
