import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { singleLineBatches, splitLineBatches, splitLines } from '../../../core/lines';

async function* chunksOf(text: string, cuts: number[]): AsyncGenerator<string> {
  let from = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    if (cut <= from || cut >= text.length) continue;
    yield text.slice(from, cut);
    from = cut;
  }
  yield text.slice(from);
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('splitLineBatches', () => {
  it('gives the lines splitLines gives, in order, however the text is cut into chunks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.constant(''),
            fc.string({ maxLength: 12 }).map((s) => s.replace(/\n/g, '')),
          ),
          {
            maxLength: 40,
          },
        ),
        fc.boolean(),
        fc.array(fc.nat(400), { maxLength: 8 }),
        async (lines, lastNewline, cuts) => {
          const text = lines.join('\n') + (lastNewline ? '\n' : '');
          const expected = await collect(splitLines(chunksOf(text, cuts)));
          const batches = await collect(splitLineBatches(chunksOf(text, cuts)));
          expect(batches.flat()).toEqual(expected);
          // No empty batch: a consumer never wakes up for nothing.
          for (const b of batches) expect(b.length).toBeGreaterThan(0);
        },
      ),
    );
  });

  it('hands out every line a chunk completes in one batch', async () => {
    const batches = await collect(splitLineBatches(chunksOf('a\nb\nc\nd', [3])));
    expect(batches).toEqual([['a'], ['b', 'c'], ['d']]);
  });

  it('singleLineBatches wraps each line of a line source', async () => {
    const batches = await collect(singleLineBatches(splitLines(chunksOf('x\ny\n', []))));
    expect(batches).toEqual([['x'], ['y']]);
  });
});
