/**
 * Terminal output: results on stdout, progress on stderr only when it is an interactive terminal
 * (never in CI logs).
 *
 * Every line is made safe first: data (names, titles, error text quoting an export) may carry
 * control characters, and ESC/OSC sequences would otherwise change the window title, clear the
 * screen or hide text on the operator's terminal. They are shown as visible `\xNN` escapes.
 *
 * Lines are scrubbed of the secret values this process holds (`cli/secrets.ts`): a source error
 * quoting an upstream answer that echoed the request must not print the secret.
 *
 * A reader that goes away (`findings | head`) ends the output quietly: EPIPE on stdout stops
 * writing and the command exits 0, as `cat` does.
 */
import { terminalWidth } from './progress';
import { cliScrubber } from './secrets';
import { renderStyles } from './style';

export interface Output {
  line(text?: string): void;
  progress(text: string): void;
  done(): void;
}

// C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides that reorder
// what a reader sees.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is replaced
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every control character shown as a visible escape (`\x1b`, `\u202e`). */
export function safeText(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * Stop writing to `stream` once its reader is gone; exit 0 when nothing else failed. Any other
 * write failure (stdout redirected to a full disk) is one line on stderr and exit 1, not a stack.
 */
export function endQuietlyOnEpipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') {
      process.stderr.write(
        `accessproof: ${
          err.code === 'ENOSPC'
            ? 'the disk is full (ENOSPC) writing the output: what was written is incomplete'
            : `cannot write the output (${err.code ?? 'error'})`
        }\n`,
      );
      process.exit(1);
    }
    // The reader has what it asked for (`| head`): nothing more to say, and no error.
    process.exit(typeof process.exitCode === 'number' && process.exitCode !== 0 ? process.exitCode : 0);
  });
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
      // Colour markers from style.ts `paint` survive the escaping as text and become codes only here.
      stream.write(`${renderStyles(safeText(cliScrubber.values(text)))}\n`);
    },
    progress(text) {
      if (!live) return;
      err.write(`\r\x1b[2K${safeText(text).slice(0, terminalWidth(err) - 1)}`);
      shown = true;
    },
    done() {
      if (shown) err.write('\r\x1b[2K');
      shown = false;
    },
  };
}
