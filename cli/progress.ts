/**
 * `scan` progress on a terminal: per source the pages and records read so far, per stage the time it
 * took. Written to stderr, and only when stderr is a terminal outside CI and `--quiet` was not
 * given, so pipes, files and CI logs see none of it.
 */
export interface ScanProgress {
  sourcePage(sourceId: string, pages: number, records: number): void;
  /** A stage (or one source's collection) finished. */
  stage(name: string, records: number, sourceId?: string): void;
  /** Clear the live line before the summary is printed. */
  finish(): void;
}

export function scanProgress(
  enabled: boolean,
  err: NodeJS.WriteStream = process.stderr,
  clock: () => number = () => performance.now(),
): ScanProgress {
  if (!enabled) return { sourcePage() {}, stage() {}, finish() {} };
  let last = clock();
  let live = false;
  const show = (text: string) => {
    err.write(`\r\x1b[2K${text.slice(0, terminalWidth(err) - 1)}`);
    live = true;
  };
  const settle = (text: string) => {
    err.write(`\r\x1b[2K${text}\n`);
    live = false;
  };
  return {
    sourcePage(sourceId, pages, records) {
      show(`collecting ${sourceId}: ${pages} page(s), ${records} record(s), ${seconds(clock() - last)}`);
    },
    stage(name, records, sourceId) {
      const now = clock();
      const label = sourceId ? `collect ${sourceId}` : name;
      settle(`  ${label.padEnd(28)} ${String(records).padStart(8)} record(s)  ${seconds(now - last)}`);
      last = now;
    },
    finish() {
      if (live) err.write('\r\x1b[2K');
      live = false;
    },
  };
}

/** A pseudo-terminal may report 0 columns (no size set): then assume 100, never cut to nothing. */
export function terminalWidth(stream: NodeJS.WriteStream): number {
  return stream.columns && stream.columns > 1 ? stream.columns : 100;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
