/**
 * The reviewer app's audit log goes into packs in ranges: each pack holds what was appended since
 * the previous one (whole lines only), a range line says which bytes, and a log cut or rewritten
 * since is sealed whole again with `continuous: false` instead of silently skipping entries.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  markAuditSealed,
  reviewAuditFile,
  unsealedAudit,
} from '../../../stores/sqlite-reviews/review-app-files';

const lines = (content: Uint8Array) =>
  new TextDecoder()
    .decode(content)
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

describe('unsealedAudit / markAuditSealed', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const state = () => {
    const d = mkdtempSync(join(tmpdir(), 'ap-audit-'));
    dirs.push(d);
    return d;
  };

  it('seals each entry once, in ranges, and waits for a line being written', async () => {
    // Arrange
    const dir = state();
    const log = reviewAuditFile(dir);
    expect(await unsealedAudit(dir)).toBeUndefined();
    appendFileSync(
      log,
      '{"action":"session-opened","outcome":"ok"}\n{"action":"decide","outcome":"ok"}\n{"action":"dec',
    );
    // Act
    const first = (await unsealedAudit(dir))!;
    await markAuditSealed(dir, first);
    const none = await unsealedAudit(dir);
    appendFileSync(log, 'ide","outcome":"refused"}\n');
    const second = (await unsealedAudit(dir))!;
    // Assert
    expect(first.records).toBe(2);
    expect(lines(first.content)).toEqual([
      expect.objectContaining({ record: 'range', fromByte: 0, entries: 2, continuous: true }),
      { action: 'session-opened', outcome: 'ok' },
      { action: 'decide', outcome: 'ok' },
    ]);
    expect(none).toBeUndefined();
    expect(lines(second.content)).toEqual([
      expect.objectContaining({ record: 'range', fromByte: first.to, entries: 1, continuous: true }),
      { action: 'decide', outcome: 'refused' },
    ]);
  });

  it('says so when the log was rewritten since the last pack, and seals it whole', async () => {
    // Arrange
    const dir = state();
    const log = reviewAuditFile(dir);
    appendFileSync(log, '{"action":"decide","outcome":"ok","items":["a"]}\n');
    await markAuditSealed(dir, (await unsealedAudit(dir))!);
    writeFileSync(log, '{"action":"decide","outcome":"ok","items":["b"]}\n');
    // Act
    const again = (await unsealedAudit(dir))!;
    // Assert
    expect(lines(again.content)[0]).toMatchObject({ record: 'range', fromByte: 0, continuous: false });
    expect(lines(again.content)[1]).toEqual({ action: 'decide', outcome: 'ok', items: ['b'] });
  });
});
