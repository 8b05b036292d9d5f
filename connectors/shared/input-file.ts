/**
 * Opening a file the user (or an export) named: a regular file (symlinks resolved) inside the
 * allowed input roots (input-roots.ts), of a bounded size, never a FIFO or a device. `open` of a FIFO blocks until a writer comes (a scan then hangs
 * holding its lock) and `/dev/zero` never ends (a ruleset pointing at it passed 2.5 GB in 6 s).
 * The file is opened non-blocking and checked with `fstat` on the open descriptor, so it cannot be
 * swapped for something else between the check and the read.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { InputError } from '../../core/errors';
import { describeFileError } from './file-errors';
import { checkOpenedInsideRoots } from './input-roots';

const MiB = 1024 * 1024;

/**
 * Largest file read per kind. An environment variable raises or lowers each one
 * (`ACCESSPROOF_MAX_EXPORT_MB=8192` for an 8 GB export).
 */
export const INPUT_LIMITS = {
  config: { mb: 4, env: 'ACCESSPROOF_MAX_CONFIG_MB' },
  ruleset: { mb: 16, env: 'ACCESSPROOF_MAX_RULESET_MB' },
  export: { mb: 4096, env: 'ACCESSPROOF_MAX_EXPORT_MB' },
  key: { mb: 1, env: 'ACCESSPROOF_MAX_KEY_MB' },
} as const;

export type InputKind = keyof typeof INPUT_LIMITS;

export function maxBytes(kind: InputKind): number {
  const { mb, env } = INPUT_LIMITS[kind];
  const override = Number(process.env[env]);
  return (Number.isFinite(override) && override > 0 ? override : mb) * MiB;
}

/** The InputError for a failed open, remembering whether the file was simply not there. */
function openError(err: unknown, label: string): InputError {
  const e = new InputError(describeFileError(err), { file: label });
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') missing.add(e);
  return e;
}

const missing = new WeakSet<InputError>();

/** Whether `err` says the file does not exist (a connector may treat that as "none exported"). */
export function isMissingFile(err: unknown): boolean {
  return err instanceof InputError && missing.has(err);
}

const FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

function notRegular(mode: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (mode.isDirectory()) return 'is a folder, not a file';
  if (mode.isFIFO()) return 'is a FIFO (named pipe), not a regular file';
  if (mode.isCharacterDevice() || mode.isBlockDevice()) return 'is a device, not a regular file';
  if (mode.isSocket()) return 'is a socket, not a regular file';
  return 'is not a regular file';
}

function tooLarge(size: number, kind: InputKind): string {
  return `is ${(size / MiB).toFixed(1)} MB, more than the ${maxBytes(kind) / MiB} MB limit for a ${kind} file (set ${INPUT_LIMITS[kind].env} to change it)`;
}

/** The whole file, checked to be regular and within the size limit of its kind. */
export function readInputFileSync(path: string, kind: InputKind, label = path): Buffer {
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch (err) {
    throw openError(err, label);
  }
  try {
    checkOpenedInsideRoots(fd, path, label);
    const st = fstatSync(fd);
    if (!st.isFile()) throw new InputError(notRegular(st), { file: label });
    const limit = maxBytes(kind);
    if (st.size > limit) throw new InputError(tooLarge(st.size, kind), { file: label });
    const buf = Buffer.allocUnsafe(st.size);
    let at = 0;
    while (at < st.size) {
      const n = readSync(fd, buf, at, st.size - at, at);
      if (n === 0) break;
      at += n;
    }
    return at === st.size ? buf : buf.subarray(0, at);
  } finally {
    closeSync(fd);
  }
}

/** The same checks, async, returning the open handle (for streaming large exports). */
export async function openInputFile(path: string, kind: InputKind, label = path): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(path, FLAGS);
  } catch (err) {
    throw openError(err, label);
  }
  try {
    checkOpenedInsideRoots(fh.fd, path, label);
    const st = await fh.stat();
    if (!st.isFile()) throw new InputError(notRegular(st), { file: label });
    if (st.size > maxBytes(kind)) throw new InputError(tooLarge(st.size, kind), { file: label });
    return fh;
  } catch (err) {
    await fh.close();
    throw err;
  }
}

export async function readInputFile(path: string, kind: InputKind, label = path): Promise<Buffer> {
  const fh = await openInputFile(path, kind, label);
  try {
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}
