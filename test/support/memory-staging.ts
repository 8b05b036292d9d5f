/**
 * An in-memory SnapshotStaging for tests that drive connectors through the real collection driver:
 * parts, checkpoints and finalized snapshots kept as strings, inspectable by the test.
 */
import { createHash } from 'node:crypto';
import type { SnapshotRef, SnapshotStaging } from '../../core/ports';

export class MemoryStaging implements SnapshotStaging {
  parts = new Map<string, string[]>();
  checkpoints = new Map<string, string>();
  finals = new Map<string, string>();
  /** Every checkpoint body ever saved, in order. */
  saved: string[] = [];
  async writePart(key: string, seq: number, lines: readonly string[]) {
    this.parts.set(`${key}#${seq}`, [...lines]);
  }
  async saveCheckpoint(key: string, body: string) {
    this.checkpoints.set(key, body);
    this.saved.push(body);
  }
  async loadCheckpoint(key: string) {
    return this.checkpoints.get(key);
  }
  async finalize(key: string, header: string, parts: number): Promise<SnapshotRef> {
    const lines = [header];
    for (let i = 0; i < parts; i++) lines.push(...(this.parts.get(`${key}#${i}`) ?? []));
    const text = lines.join('\n');
    this.finals.set(key, text);
    const sha256 = createHash('sha256').update(text).digest('hex');
    // A part's item may hold several lines (core/ports.ts): count the lines of the text.
    return { location: key, sha256, bytes: text.length, records: text.split('\n').length - 1 };
  }
}
