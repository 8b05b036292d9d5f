/**
 * Text split into lines as it streams in (no readline: its per-line overhead shows at millions of
 * lines). Pure: the caller opens the stream and decodes it (a multi-byte character may span chunks).
 * Empty lines are skipped; a last line without `\n` still counts.
 */
export async function* splitLines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of chunks) {
    const text = rest + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      if (nl > start) yield text.slice(start, nl);
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  if (rest) yield rest;
}
