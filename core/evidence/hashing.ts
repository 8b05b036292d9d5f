/**
 * Streaming SHA-256 of a file, optionally also per S3 multipart part so a `COMPOSITE` object
 * checksum (`base64(sha256(part digests))-N`) can be checked in the same single read.
 */
import { createHash, type Hash } from 'node:crypto';

export interface StreamDigest {
  sha256: string;
  bytes: number;
  /** Base64 SHA-256 of each part, when part sizes were given. */
  partChecksums?: string[];
  /** `<base64>-<N>`, when part sizes were given. */
  compositeChecksum?: string;
}

/**
 * @example
 * const { sha256, bytes } = await digestStream(reader.openFile(pack, 'findings.jsonl'));
 */
export async function digestStream(
  chunks: AsyncIterable<Uint8Array>,
  partSizes?: readonly number[],
): Promise<StreamDigest> {
  const digester = new Digester(partSizes);
  for await (const chunk of chunks) digester.update(chunk);
  return digester.result();
}

/**
 * The same digest from a reader that hands out chunks in reused buffers (`readChunks`): each
 * chunk is hashed during its call, never kept.
 *
 * @example
 * const digest = await digestChunks((consume) => reader.readChunks!(pack, 'findings.jsonl', consume));
 */
export async function digestChunks(
  read: (consume: (chunk: Uint8Array) => void) => Promise<void>,
  partSizes?: readonly number[],
): Promise<StreamDigest> {
  const digester = new Digester(partSizes);
  await read((chunk) => digester.update(chunk));
  return digester.result();
}

/** SHA-256 of the whole and, when part sizes are given, of each part, fed chunk by chunk. */
class Digester {
  private readonly whole = createHash('sha256');
  private bytes = 0;
  private readonly partDigests: Buffer[] = [];
  private part: Hash | undefined;
  private partIndex = 0;
  private partLeft: number;

  constructor(private readonly partSizes: readonly number[] | undefined) {
    this.partLeft = partSizes?.[0] ?? Number.POSITIVE_INFINITY;
  }

  update(chunk: Uint8Array): void {
    this.whole.update(chunk);
    this.bytes += chunk.byteLength;
    if (!this.partSizes) return;
    let offset = 0;
    while (offset < chunk.byteLength) {
      this.part ??= createHash('sha256');
      const take = Math.min(this.partLeft, chunk.byteLength - offset);
      this.part.update(chunk.subarray(offset, offset + take));
      offset += take;
      this.partLeft -= take;
      if (this.partLeft === 0) {
        this.partDigests.push(this.part.digest());
        this.part = undefined;
        this.partIndex += 1;
        this.partLeft = this.partSizes[this.partIndex] ?? Number.POSITIVE_INFINITY;
      }
    }
  }

  result(): StreamDigest {
    const sha256 = this.whole.digest('hex');
    if (!this.partSizes) return { sha256, bytes: this.bytes };
    // Bytes beyond the declared parts land in an extra part, which makes the composite differ.
    if (this.part) this.partDigests.push(this.part.digest());
    const composite = createHash('sha256');
    for (const d of this.partDigests) composite.update(d);
    return {
      sha256,
      bytes: this.bytes,
      partChecksums: this.partDigests.map((d) => d.toString('base64')),
      compositeChecksum: `${composite.digest('base64')}-${this.partDigests.length}`,
    };
  }
}

export function hexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}
