/** An in-memory PackReader and a tiny sealer for verify's unit tests (no files, no S3). */
import { generateKeyPairSync, sign } from 'node:crypto';
import type { ManifestDraft } from '../../../../core/evidence/manifest';
import { sha256Hex } from '../../../../core/evidence/manifest';
import type {
  PackReader,
  PackRef,
  Signer,
  StoredFile,
  StoredObjectFacts,
} from '../../../../core/evidence/ports';
import { signManifest } from '../../../../core/evidence/seal';

export class MemoryPacks implements PackReader {
  readonly location = 'mem://evidence';
  readonly packs = new Map<string, Map<string, Uint8Array>>();
  readonly facts = new Map<string, StoredObjectFacts>();
  /** Version history a versioned store would list, by `<dir>/<path>`. */
  readonly versions = new Map<
    string,
    Pick<StoredFile, 'key' | 'version' | 'laterVersions' | 'deleteMarkers'>
  >();
  unsealed: string[] = [];
  constructor(readonly objectStore = false) {}

  async listPacks(): Promise<PackRef[]> {
    return [...this.packs.keys()].map((dir) => ({
      runId: dir.split('/').at(-1)!,
      dir,
      location: `mem://${dir}`,
    }));
  }
  async listUnsealed(): Promise<string[]> {
    return this.unsealed;
  }
  async listFiles(pack: PackRef): Promise<StoredFile[]> {
    return [...(this.packs.get(pack.dir)?.entries() ?? [])].map(([path, b]) => ({
      path,
      bytes: b.byteLength,
      ...this.versions.get(`${pack.dir}/${path}`),
    }));
  }
  async readFile(pack: PackRef, path: string): Promise<Uint8Array | undefined> {
    return this.packs.get(pack.dir)?.get(path);
  }
  async *openFile(pack: PackRef, path: string): AsyncIterable<Uint8Array> {
    const b = this.packs.get(pack.dir)?.get(path);
    if (!b) throw new Error(`ENOENT ${path}`);
    // Odd-sized chunks exercise part boundaries.
    for (let i = 0; i < b.byteLength; i += 7) yield b.subarray(i, i + 7);
  }
  async objectFacts(pack: PackRef, path: string): Promise<StoredObjectFacts> {
    return this.facts.get(`${pack.dir}/${path}`) ?? {};
  }
}

export function ed25519Signer(): Signer {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    algorithm: 'Ed25519',
    publicKeyPem: async () => publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: async (bytes) => sign(null, bytes, privateKey),
  };
}

export function makeDraft(overrides: Partial<ManifestDraft> = {}): ManifestDraft {
  return {
    runId: 'run-1',
    sequence: 1,
    previous: null,
    startedAt: '2026-10-01T06:00:00.000Z',
    finishedAt: '2026-10-01T06:05:00.000Z',
    asOf: '2026-10-01T00:00:00.000Z',
    toolVersion: '0.1.0',
    organization: 'Halvorsen Industrial',
    configSha256: 'c'.repeat(64),
    sources: [],
    ...overrides,
  };
}

/** Seal a pack into `mem` the way a vault would; returns the manifest hash. */
export async function sealInto(
  mem: MemoryPacks,
  draft: ManifestDraft,
  files: Record<string, string>,
  signer: Signer,
  retention: { mode: 'COMPLIANCE' | 'none'; until?: string } = { mode: 'none' },
): Promise<string> {
  const content = new Map<string, Uint8Array>();
  const written = Object.entries(files).map(([path, text]) => {
    const bytes = new TextEncoder().encode(text);
    content.set(path, bytes);
    return { path, sha256: sha256Hex(bytes), bytes: bytes.byteLength, records: 1 };
  });
  const signed = await signManifest(draft, written, retention, signer);
  content.set('manifest.json', signed.manifestBytes);
  content.set('manifest.sig', signed.signatureBytes);
  mem.packs.set(`packs/2026/10/01/${draft.runId}`, content);
  return signed.manifestSha256;
}
