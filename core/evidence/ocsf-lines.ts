/**
 * `findings.ocsf.json` made from `findings.jsonl`'s bytes instead of from the findings in memory,
 * so a worker thread can make it beside the seal (issue 11: the OCSF events are ~1.1 GB of JSON at
 * 200k findings, the largest single piece of the seal's CPU time). Each line is parsed back into
 * the finding it was written from; findings are plain JSON data, so `toOcsf` of the parsed finding
 * is the same event, and the output bytes are those of `jsonArray(findings, toOcsf)` (a property
 * test compares them).
 */
import type { Finding } from '../findings/model';
import { JsonArrayWriter } from './json-chunks';
import { type OcsfContext, toOcsf } from './ocsf';

/**
 * @example
 * const lines = new OcsfFromLines(ctx);
 * for (const chunk of jsonl) write(lines.push(chunk));
 * write(lines.end());
 */
export class OcsfFromLines {
  private readonly array = new JsonArrayWriter();
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  /** The start of a line whose end is in a later chunk. */
  private partial = '';
  private lineNo = 0;
  private ended = false;

  constructor(private readonly ctx: OcsfContext) {}

  /** Takes the next bytes of `findings.jsonl` (cut anywhere); returns the output chunks completed. */
  push(bytes: Uint8Array): Uint8Array[] {
    if (this.ended) throw new Error('findings.ocsf.json: input after its end');
    const text = this.partial + this.decoder.decode(bytes, { stream: true });
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      this.line(text.slice(start, nl));
      start = nl + 1;
    }
    this.partial = text.slice(start);
    return this.array.out.take();
  }

  /** No more input: returns the last output chunks. */
  end(): Uint8Array[] {
    const rest = this.partial + this.decoder.decode();
    this.ended = true;
    if (rest !== '') throw new Error(`findings.jsonl line ${this.lineNo + 1}: no newline at the end`);
    this.array.end();
    return this.array.out.take(true);
  }

  private line(json: string): void {
    this.lineNo++;
    let finding: Finding;
    try {
      finding = JSON.parse(json) as Finding;
    } catch {
      // V8's message quotes the text: say where instead.
      throw new Error(`findings.jsonl line ${this.lineNo}: not valid JSON`);
    }
    let event: string;
    try {
      event = JSON.stringify(toOcsf(finding, this.ctx));
    } catch (err) {
      throw new Error(`findings.jsonl line ${this.lineNo}: not a finding (${(err as Error).message})`);
    }
    this.array.element(event);
  }
}
