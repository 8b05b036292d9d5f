import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestChunks, digestStream } from '../../../core/evidence/hashing';
import type { PackRef } from '../../../core/evidence/ports';
import { LocalPackReader } from '../../../stores/local-vault/local-pack-reader';

// readChunks reuses two 4 MiB buffers: files around and across that size exercise the hand-over.
const MIB = 1024 * 1024;
const SIZES = { empty: 0, small: 1_000, exact: 8 * MIB, odd: 9 * MIB + 123 };

let root: string;
const pack: PackRef = { runId: 'r1', dir: 'packs/2026/10/01/r1', location: 'r1' };
const contents = new Map<string, Buffer>();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'accessproof-reader-'));
  const dir = join(root, ...pack.dir.split('/'));
  await mkdir(dir, { recursive: true });
  for (const [name, size] of Object.entries(SIZES)) {
    const bytes = randomBytes(size);
    contents.set(name, bytes);
    await writeFile(join(dir, name), bytes);
  }
  await symlink(join(dir, 'small'), join(dir, 'link'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('LocalPackReader.readChunks', () => {
  it.each(Object.keys(SIZES))('hands over every byte of the %s file in order', async (name) => {
    const reader = new LocalPackReader(root);
    const seen: Buffer[] = [];
    // Chunks live in reused buffers: copy each during its call, as the port says.
    await reader.readChunks(pack, name, (chunk) => seen.push(Buffer.from(chunk)));
    expect(Buffer.concat(seen).equals(contents.get(name)!)).toBe(true);
    expect(seen.every((c) => c.length > 0)).toBe(true);
  });

  it('gives the digest openFile gives, with S3 part checksums too', async () => {
    const reader = new LocalPackReader(root);
    const parts = [5 * MIB, 4 * MIB + 123];
    const viaChunks = await digestChunks((consume) => reader.readChunks(pack, 'odd', consume), parts);
    const viaStream = await digestStream(reader.openFile(pack, 'odd'), parts);
    expect(viaChunks).toEqual(viaStream);
    expect(viaChunks.sha256).toBe(createHash('sha256').update(contents.get('odd')!).digest('hex'));
    expect(viaChunks.partChecksums).toHaveLength(2);
  });

  it('refuses what openFile refuses (a symlink) and closes its file when the consumer throws', async () => {
    const reader = new LocalPackReader(root);
    await expect(reader.readChunks(pack, 'link', () => undefined)).rejects.toThrow();
    const fds = async () => (await readdir('/proc/self/fd')).length;
    const before = await fds();
    await expect(
      reader.readChunks(pack, 'odd', () => {
        throw new Error('stop');
      }),
    ).rejects.toThrow('stop');
    expect(await fds()).toBe(before);
  });
});
