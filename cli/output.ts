/**
 * Terminal output: results on stdout, progress on stderr only when it is an interactive terminal
 * (never in CI logs).
 */
export interface Output {
  line(text?: string): void;
  progress(text: string): void;
  done(): void;
}

export function consoleOutput(
  stream: NodeJS.WriteStream = process.stdout,
  err: NodeJS.WriteStream = process.stderr,
): Output {
  const live = Boolean(err.isTTY) && !process.env.CI;
  let shown = false;
  return {
    line(text = '') {
      if (shown) {
        err.write('\r\x1b[2K');
        shown = false;
      }
      stream.write(`${text}\n`);
    },
    progress(text) {
      if (!live) return;
      err.write(`\r\x1b[2K${text.slice(0, (err.columns ?? 100) - 1)}`);
      shown = true;
    },
    done() {
      if (shown) err.write('\r\x1b[2K');
      shown = false;
    },
  };
}
