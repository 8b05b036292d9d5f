/**
 * Where a command's machine output goes: stdout, or `--output FILE`. A file is written beside its
 * final name and renamed into place when complete, so a failed or interrupted command never
 * leaves a half-written file (nor clobbers the previous one).
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../core/errors';
import type { Output } from './output';

export interface Sink {
  line(text: string): void;
  /** Publish the output (rename the file into place). */
  finish(): void;
  /** Throw away what was written (an error happened). */
  abort(): void;
}

/** Lines are buffered up to this many characters before a write, so 100k findings are not 100k syscalls. */
const CHUNK = 1 << 16;

export function openSink(output: string | undefined, out: Output): Sink {
  if (!output) return { line: (t) => out.line(t), finish() {}, abort() {} };
  const temp = join(dirname(output), `.${basename(output)}.${process.pid}.partial`);
  let fd: number;
  try {
    fd = openSync(temp, 'wx', 0o644);
  } catch (err) {
    throw new InputError(
      `cannot write here: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      {
        file: output,
        field: '--output',
      },
    );
  }
  let buffer = '';
  const flush = () => {
    if (buffer) writeSync(fd, buffer);
    buffer = '';
  };
  let open = true;
  return {
    line(text) {
      buffer += `${text}\n`;
      if (buffer.length >= CHUNK) flush();
    },
    finish() {
      flush();
      closeSync(fd);
      open = false;
      renameSync(temp, output);
    },
    abort() {
      if (open) closeSync(fd);
      open = false;
      rmSync(temp, { force: true });
    },
  };
}

/**
 * Write `items` as one JSON array (one element per line, so `jq` and a person can both read it) or
 * as JSON lines.
 */
export function writeJson<T>(
  sink: Sink,
  items: Iterable<T>,
  as: 'array' | 'lines',
  map: (item: T) => unknown,
): void {
  if (as === 'lines') {
    for (const item of items) sink.line(JSON.stringify(map(item)));
    return;
  }
  let previous: string | undefined;
  sink.line('[');
  for (const item of items) {
    if (previous !== undefined) sink.line(`${previous},`);
    previous = JSON.stringify(map(item));
  }
  if (previous !== undefined) sink.line(previous);
  sink.line(']');
}
