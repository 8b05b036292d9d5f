/**
 * The evidence vault on one machine (docs/evidence-format.md): packs under `<dir>/packs/YYYY/MM/DD/<runId>/`.
 *
 * A pack is written into `<dir>/.staging/<runId>/`, each file to a temporary name, fsynced and
 * renamed; `seal` writes `manifest.json` then `manifest.sig`, fsyncs, and renames the whole folder
 * into place, so a crash leaves only `.staging` debris that `verify` reports and never accepts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InputError } from '../../core/errors';
import type { ManifestDraft } from '../../core/evidence/manifest';
import { packRelativeDir, type Retention, runIdSchema } from '../../core/evidence/manifest';
import {
  type ArtefactContent,
  type EvidenceWriter,
  PackExistsError,
  type PackWriter,
  type SealedPack,
  type Signer,
  type WrittenFile,
} from '../../core/evidence/ports';
import { artefactPathProblem, signManifest } from '../../core/evidence/seal';
import { LocalPackReader, STAGING_DIR } from './local-pack-reader';

/**
 * @example
 * const vault = new LocalVault('./out/evidence');
 * const pack = await vault.begin(runId, startedAt);
 * await pack.add('findings.jsonl', bytes, findings.length);
 * const sealed = await pack.seal({ runId, ...nextLink(await findChainHead(vault.reader())), … }, signer);
 */
export class LocalVault implements EvidenceWriter {
  constructor(readonly dir: string) {}

  get location(): string {
    return this.dir;
  }

  /** The reader `verify` and `findChainHead` use on the same folder. */
  reader(): LocalPackReader {
    return new LocalPackReader(this.dir, { mustExist: false });
  }

  async begin(runId: string, startedAt: Date): Promise<PackWriter> {
    const id = runIdSchema.safeParse(runId);
    if (!id.success)
      throw new InputError(id.error.issues[0]?.message ?? 'invalid run id', { field: 'runId' });
    const finalDir = join(this.dir, packRelativeDir(runId, startedAt));
    const existing = (await this.reader().listPacks()).find((p) => p.runId === runId);
    if (existing) throw new PackExistsError(runId, existing.location);
    const staging = join(this.dir, STAGING_DIR, runId);
    // Left by an earlier attempt of this run that crashed before sealing: never part of a pack.
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    return new LocalPackWriter(runId, staging, finalDir);
  }
}

/** Files are read-only once sealed: a reminder to people, not a security boundary. */
const SEALED_FILE_MODE = 0o444;

class LocalPackWriter implements PackWriter {
  private readonly files: WrittenFile[] = [];
  private readonly paths = new Set<string>();
  private readonly dirs = new Set<string>();
  private state: 'open' | 'sealed' | 'aborted' = 'open';
  /**
   * Files written but still being made durable (fsync, read-only, renamed into their names) while
   * the next ones are written: the disk flushes one file while the CPU makes the next (issue 11: a
   * 200k-finding pack is ~1.7 GB, and waiting for each fsync in turn kept the CPU idle for seconds).
   * `seal` waits for all of them before it writes the manifest.
   */
  private readonly durable: Promise<void>[] = [];
  private failed: unknown;

  constructor(
    readonly runId: string,
    private readonly staging: string,
    private readonly finalDir: string,
  ) {
    this.dirs.add(staging);
  }

  async add(path: string, content: ArtefactContent, records: number): Promise<WrittenFile> {
    this.assertOpen();
    this.throwIfFailed();
    const problem = artefactPathProblem(path, this.paths);
    if (problem) throw new Error(`pack ${this.runId}: ${problem}`);
    if (!Number.isInteger(records) || records < 0)
      throw new Error(`pack ${this.runId}: ${path}: records must be a non-negative integer`);
    this.paths.add(path);
    let written: { sha256: string; bytes: number };
    try {
      written = await this.writeFile(path, content);
    } catch (err) {
      this.paths.delete(path);
      throw err;
    }
    const { sha256, bytes } = written;
    const file = { path, sha256, bytes, records };
    this.files.push(file);
    return file;
  }

  async seal(draft: ManifestDraft, signer: Signer): Promise<SealedPack> {
    this.assertOpen();
    if (draft.runId !== this.runId)
      throw new Error(`pack ${this.runId}: the manifest draft is for run ${draft.runId}`);
    await this.settle();
    this.throwIfFailed();
    const retention: Retention = { mode: 'none' };
    const signed = await signManifest(draft, this.files, retention, signer);
    await this.writeFile('manifest.json', signed.manifestBytes);
    await this.writeFile('manifest.sig', signed.signatureBytes);
    await this.settle();
    this.throwIfFailed();
    for (const d of this.dirs) await fsyncDir(d);

    await mkdir(dirname(this.finalDir), { recursive: true });
    if (await exists(this.finalDir)) throw new PackExistsError(this.runId, this.finalDir);
    // One rename publishes the whole pack: readers see all of it or none of it.
    await rename(this.staging, this.finalDir);
    await fsyncDir(dirname(this.finalDir));
    this.state = 'sealed';
    return {
      runId: this.runId,
      location: this.finalDir,
      manifest: signed.manifest,
      manifestSha256: signed.manifestSha256,
      head: {
        runId: this.runId,
        manifestSha256: signed.manifestSha256,
        sequence: signed.manifest.sequence,
      },
    };
  }

  async abort(): Promise<void> {
    if (this.state === 'sealed') return;
    this.state = 'aborted';
    await this.settle();
    await rm(this.staging, { recursive: true, force: true });
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new Error(`pack ${this.runId} is already ${this.state}`);
  }

  /**
   * Temp name, stream + hash; then (in the background, see `durable`) fsync, read-only, rename: a
   * file is whole under its name or absent.
   */
  private async writeFile(
    path: string,
    content: ArtefactContent,
  ): Promise<{ sha256: string; bytes: number }> {
    const { sha256, bytes, finish } = await this.writeTemp(path, content);
    this.durable.push(
      finish().catch((err: unknown) => {
        this.failed ??= err;
      }),
    );
    return { sha256, bytes };
  }

  /** Waits for every file still being made durable (errors are kept in `failed`). */
  private async settle(): Promise<void> {
    while (this.durable.length > 0) await Promise.all(this.durable.splice(0));
  }

  private throwIfFailed(): void {
    if (this.failed !== undefined) throw this.failed;
  }

  /** Stream + hash into a temp name; `finish` then fsyncs, makes it read-only and renames it. */
  private async writeTemp(
    path: string,
    content: ArtefactContent,
  ): Promise<{ sha256: string; bytes: number; finish: () => Promise<void> }> {
    const target = join(this.staging, ...path.split('/'));
    const dir = dirname(target);
    await mkdir(dir, { recursive: true });
    this.dirs.add(dir);
    const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    const hash = createHash('sha256');
    let bytes = 0;
    const fh = await open(temp, 'wx', 0o600);
    try {
      const chunks = content instanceof Uint8Array ? [content] : content;
      for await (const chunk of chunks) {
        hash.update(chunk);
        bytes += chunk.byteLength;
        let offset = 0;
        while (offset < chunk.byteLength) {
          const { bytesWritten } = await fh.write(chunk, offset, chunk.byteLength - offset);
          offset += bytesWritten;
        }
      }
    } catch (err) {
      await fh.close().catch(() => {});
      await rm(temp, { force: true });
      throw err;
    }
    const finish = async () => {
      try {
        await fh.sync();
      } catch (err) {
        await fh.close().catch(() => {});
        await rm(temp, { force: true });
        throw err;
      }
      await fh.close();
      await chmod(temp, SEALED_FILE_MODE);
      await rename(temp, target);
    };
    return { sha256: hash.digest('hex'), bytes, finish };
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Make renames inside `dir` durable. Windows cannot open a directory for fsync: skip there. */
async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
