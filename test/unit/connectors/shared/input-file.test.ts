import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeInputText } from '../../../../connectors/shared/decode-text';
import { describeHeader } from '../../../../connectors/shared/file-errors';
import { readInputFile, readInputFileSync } from '../../../../connectors/shared/input-file';
import { InputError } from '../../../../core/errors';

const dir = mkdtempSync(join(tmpdir(), 'accessproof-input-'));
const fifo = join(dir, 'pipe');
const hasFifo = spawnSync('mkfifo', [fifo]).status === 0;

describe('input files are regular, bounded and valid UTF-8 (issue 11)', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(!hasFifo)('a FIFO is refused at once instead of hanging the scan', async () => {
    expect(() => readInputFileSync(fifo, 'ruleset')).toThrow(
      /pipe: is a FIFO \(named pipe\), not a regular file/,
    );
    await expect(readInputFile(fifo, 'export')).rejects.toThrow(/is a FIFO/);
  });

  it('/dev/zero is refused instead of read forever', () => {
    expect(() => readInputFileSync('/dev/zero', 'ruleset')).toThrow(
      /\/dev\/zero: is a device, not a regular file/,
    );
  });

  it('a file over the limit of its kind is refused, naming the setting', () => {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, Buffer.alloc(2 * 1024 * 1024, 0x20));
    process.env.ACCESSPROOF_MAX_RULESET_MB = '1';
    try {
      expect(() => readInputFileSync(big, 'ruleset')).toThrow(
        /more than the 1 MB limit .*ACCESSPROOF_MAX_RULESET_MB/,
      );
    } finally {
      delete process.env.ACCESSPROOF_MAX_RULESET_MB;
    }
  });

  it('latin-1 bytes are an InputError naming file and line, and decode with the encoding option', () => {
    const bytes = Buffer.from('user_id,user_name\nU1,Anna\nU2,M\xfcller\n', 'latin1');
    let err: unknown;
    try {
      decodeInputText(bytes, 'users.csv');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/^users\.csv:3: not valid UTF-8/);
    expect(decodeInputText(bytes, 'users.csv', 'latin1')).toContain('Müller');
    expect(decodeInputText(bytes, 'users.csv', 'windows-1252')).toContain('Müller');
  });

  it('a header that is not one (say /etc/shadow) is described, never quoted', () => {
    expect(describeHeader(['root:$6$salt$hash:19000:0:99999:7:::'])).not.toContain('root');
    expect(describeHeader(['user_id', 'user_name'])).toBe('user_id, user_name');
  });
});
