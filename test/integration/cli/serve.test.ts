/**
 * `accessproof serve`'s node:http adapter on a real socket: 127.0.0.1 only, oversized bodies
 * refused before the app, the link key created private, the app's answers passed through.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReviewServer, startReviewServer } from '../../../cli/commands/serve';
import { reviewLinkKeyFile } from '../../../stores/sqlite-reviews/review-app-files';
import { reviewsDbFile, SqliteReviewStore } from '../../../stores/sqlite-reviews/sqlite-review-store';
import { startedCampaign } from '../../unit/core/reviews/review-fixture';

describe('accessproof serve (local adapter)', () => {
  const out = mkdtempSync(join(tmpdir(), 'accessproof-serve-'));
  let server: ReviewServer;

  beforeAll(async () => {
    const store = SqliteReviewStore.open({ file: reviewsDbFile(join(out, 'state')) });
    await store.create(startedCampaign());
    await store.close();
    server = await startReviewServer({ out, port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 with a private link key, and answers with the security headers', async () => {
    // Act
    const res = await fetch(`${server.url}/`);
    // Assert
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(statSync(reviewLinkKeyFile(join(out, 'state'))).mode & 0o777).toBe(0o600);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('refuses a body above 64 KiB with 413', async () => {
    // Act
    const res = await fetch(`${server.url}/c/x/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `a=${'b'.repeat(70_000)}`,
    });
    // Assert
    expect(res.status).toBe(413);
  });

  it('refuses to start without campaigns or a sealed pack, and on a bad port', async () => {
    // Arrange
    const empty = mkdtempSync(join(tmpdir(), 'accessproof-serve-empty-'));
    // Act + Assert
    await expect(startReviewServer({ out: empty, port: 0 })).rejects.toThrow(/no review campaigns here yet/);
    await expect(startReviewServer({ out, port: 'eighty' })).rejects.toThrow(/port eighty/);
    // With a sealed pack (an evidence folder) and no campaign yet, the owner may start the first one.
    mkdirSync(join(empty, 'evidence'));
    const first = await startReviewServer({ out: empty, port: 0 });
    const owner = await fetch(`${first.url}/o`);
    await first.close();
    expect(owner.status).toBe(401);
    rmSync(empty, { recursive: true, force: true });
  });
});
