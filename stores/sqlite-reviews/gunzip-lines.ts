/**
 * The `GzipLineDecoder` core's `loadPackInventory` needs: gzip chunks in, UTF-8 lines out.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { InputError } from '../../core/errors';

/**
 * Yields every non-empty line of a gzipped stream, split on `\n`.
 *
 * @example
 * for await (const line of gunzipLines(reader.openFile(pack, 'inventory/erp.jsonl.gz'))) JSON.parse(line);
 */
export async function* gunzipLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  // Decoding as a stream keeps a multi-byte character split across chunks whole.
  gunzip.setEncoding('utf8');
  // An error on either side destroys both (a bare pipe() would leave the loop waiting forever).
  const done = pipeline(Readable.from(chunks, { objectMode: false }), gunzip);
  done.catch(() => undefined);
  let rest = '';
  try {
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
  } catch (err) {
    // zlib's codes (Z_DATA_ERROR, Z_BUF_ERROR): the bytes are not the gzip a pack holds.
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new InputError(`not valid gzip data (${(err as Error).message})`);
    }
    throw err;
  }
  if (rest) yield rest;
}
