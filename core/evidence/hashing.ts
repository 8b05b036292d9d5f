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
  const whole = createHash('sha256');
  let bytes = 0;
  if (!partSizes) {
    for await (const chunk of chunks) {
      whole.update(chunk);
      bytes += chunk.byteLength;
    }
    return { sha256: whole.digest('hex'), bytes };
  }
  const partDigests: Buffer[] = [];
  let part: Hash | undefined;
  let partIndex = 0;
  let partLeft = partSizes[0] ?? Number.POSITIVE_INFINITY;
  for await (const chunk of chunks) {
    whole.update(chunk);
    bytes += chunk.byteLength;
    let offset = 0;
    while (offset < chunk.byteLength) {
      part ??= createHash('sha256');
      const take = Math.min(partLeft, chunk.byteLength - offset);
      part.update(chunk.subarray(offset, offset + take));
      offset += take;
      partLeft -= take;
      if (partLeft === 0) {
        partDigests.push(part.digest());
        part = undefined;
        partIndex += 1;
        partLeft = partSizes[partIndex] ?? Number.POSITIVE_INFINITY;
      }
    }
  }
  // Bytes beyond the declared parts land in an extra part, which makes the composite differ.
  if (part) partDigests.push(part.digest());
  const composite = createHash('sha256');
  for (const d of partDigests) composite.update(d);
  return {
    sha256: whole.digest('hex'),
    bytes,
    partChecksums: partDigests.map((d) => d.toString('base64')),
    compositeChecksum: `${composite.digest('base64')}-${partDigests.length}`,
  };
}

export function hexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}
