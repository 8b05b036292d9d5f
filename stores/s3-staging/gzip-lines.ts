/**
 * Lines of a gzipped UTF-8 byte stream, split on `\n` without readline's per-line overhead.
 */

import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

/**
 * Yields every non-empty line (as `LocalSnapshotStaging` does). Breaking out of the loop early
 * destroys the source stream, which closes its HTTP connection.
 *
 * @example
 * for await (const line of gzipLines(body)) JSON.parse(line);
 */
export async function* gzipLines(source: Readable): AsyncGenerator<string> {
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  // Decode as a stream so a multi-byte character split across chunks stays whole.
  gunzip.setEncoding('utf8');
  // An error on either side destroys both, and the loop below rethrows it.
  const done = pipeline(source, gunzip);
  done.catch(() => undefined);
  let rest = '';
  for await (const chunk of gunzip) {
    const text = rest + (chunk as string);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      if (nl > start) yield text.slice(start, nl);
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  await done;
  if (rest) yield rest;
}
