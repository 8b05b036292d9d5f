/**
 * Parsed inputs a file-mode connector keeps between its steps.
 *
 * Connector state must be small JSON (the driver checkpoints it), so what was parsed lives here,
 * keyed by a session id the state carries. When a collection resumes in another process the entry
 * is missing and the connector rebuilds it from the files (they are the same files: same result).
 */
export class SessionCache<T> {
  private readonly entries = new Map<string, T>();

  /** The session's value, rebuilt with `build` when this process has not seen it. */
  async get(id: string, build: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(id);
    if (hit !== undefined) return hit;
    const value = await build();
    this.entries.set(id, value);
    return value;
  }

  set(id: string, value: T): void {
    this.entries.set(id, value);
  }

  delete(id: string): void {
    this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }
}
