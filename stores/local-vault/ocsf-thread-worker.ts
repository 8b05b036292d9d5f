/**
 * The worker thread of `ocsf-thread.ts`: `findings.jsonl` lines in, `findings.ocsf.json` chunks out.
 *
 * Messages in: `{ lines }` (a batch), `{ end: true }`, `{ ack: n }` (n output chunks taken).
 * Messages out: `{ bytes }` (transferred), `{ consumed: 1 }` per batch, `{ done: true }`,
 * `{ error }`. Input waits while `maxOut` output chunks are not yet taken, so neither side's queue
 * grows past a few MB however the two threads' speeds differ.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { OcsfContext } from '../../core/evidence/ocsf';
import { OcsfFromLines } from '../../core/evidence/ocsf-lines';

type Input = { lines: string[] } | { end: true };
type Message = Input | { ack: number };

const port = parentPort;
if (!port) throw new Error('ocsf-thread-worker runs as a worker thread (stores/local-vault/ocsf-thread.ts)');
const { ctx, maxOut } = workerData as { ctx: OcsfContext; maxOut: number };
const events = new OcsfFromLines(ctx);
const queue: Input[] = [];
let unacked = 0;
let wake: (() => void) | undefined;

port.on('message', (m: Message) => {
  if ('ack' in m) unacked -= m.ack;
  else queue.push(m);
  const w = wake;
  wake = undefined;
  w?.();
});

async function run(out: NonNullable<typeof port>): Promise<void> {
  for (;;) {
    while (queue.length === 0 || unacked >= maxOut) await new Promise<void>((r) => (wake = r));
    const m = queue.shift()!;
    const chunks = 'lines' in m ? events.push(m.lines) : events.end();
    for (const bytes of chunks) {
      unacked++;
      // Each chunk owns its ArrayBuffer (json-chunks.ts allocates 256 KiB outside Node's pool).
      out.postMessage({ bytes }, [bytes.buffer as ArrayBuffer]);
    }
    if (!('lines' in m)) {
      out.postMessage({ done: true });
      return;
    }
    out.postMessage({ consumed: 1 });
  }
}

run(port).catch((err: unknown) => {
  port.postMessage({ error: err instanceof Error ? err.message : String(err) });
});
