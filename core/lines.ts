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

/**
 * `splitLines`, but every line a chunk completes comes in one array: one promise per chunk instead
 * of one per line. A sharded scan reads tens of millions of lines inside the CLI's
 * AsyncLocalStorage, which runs Node's promise hooks on every promise of the process (~15 % of
 * plan-shards' CPU when it awaited each line, issue 18).
 */
export async function* splitLineBatches(chunks: AsyncIterable<string>): AsyncGenerator<string[]> {
  let rest = '';
  for await (const chunk of chunks) {
    const text = rest + chunk;
    const batch: string[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      if (nl > start) batch.push(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
    if (batch.length > 0) yield batch;
  }
  if (rest) yield [rest];
}

/** Lines from a source that has no batched reader: one line a batch (same lines, same order). */
export async function* singleLineBatches(lines: AsyncIterable<string>): AsyncGenerator<string[]> {
  for await (const line of lines) yield [line];
}
