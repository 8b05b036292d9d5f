/**
 * `findings.ocsf.json` made from `findings.jsonl`'s lines instead of from the findings in memory,
 * so a worker thread can make it beside the seal (issue 11: the OCSF events are ~1.1 GB of JSON at
 * 200k findings, the largest single piece of the seal's CPU time). Each line is parsed back into
 * the finding it was written from; findings are plain JSON data, so `toOcsf` of the parsed finding
 * is the same event, and the output bytes are those of `jsonArray(findings, toOcsf)` (a property
 * test compares them). The lines come as the strings the seal made (a thread receives them as
 * copies of the strings: no UTF-8 to decode again).
 */
import type { Finding } from '../findings/model';
import { JsonArrayWriter } from './json-chunks';
import { type OcsfContext, toOcsf } from './ocsf';

/**
 * @example
 * const events = new OcsfFromLines(ctx);
 * for (const batch of lineBatches) write(events.push(batch));
 * write(events.end());
 */
export class OcsfFromLines {
  private readonly array = new JsonArrayWriter();
  private lineNo = 0;
  private ended = false;

  constructor(private readonly ctx: OcsfContext) {}

  /** Takes the next lines of `findings.jsonl` (each without its newline); returns the output chunks completed. */
  push(lines: readonly string[]): Uint8Array[] {
    if (this.ended) throw new Error('findings.ocsf.json: input after its end');
    for (const json of lines) this.line(json);
    return this.array.out.take();
  }

  /** No more input: returns the last output chunks. */
  end(): Uint8Array[] {
    this.ended = true;
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
