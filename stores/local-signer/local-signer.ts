/**
 * The manifest signer on one machine: an Ed25519 key in `<state>/keys/manifest-signing.pem`
 * (PKCS#8 PEM, mode 0600, folder 0700), created on first use. The public key is written beside
 * it as `manifest-signing.pub.pem` so it can be handed to the auditor to keep on record.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { chmod, mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../core/errors';
import type { Signer } from '../../core/evidence/ports';
import { keyFingerprint } from '../../core/evidence/signature';

export const KEY_FILE = 'manifest-signing.pem';
export const PUBLIC_KEY_FILE = 'manifest-signing.pub.pem';

/**
 * @example
 * const signer = await LocalSigner.open('./out/state');
 * console.log(signer.fingerprint); // hex SHA-256 of the DER public key
 */
export class LocalSigner implements Signer {
  readonly algorithm = 'Ed25519' as const;
  readonly fingerprint: string;
  private readonly publicPem: string;

  private constructor(
    private readonly key: KeyObject,
    /** Path of the private key file (never its content). */
    readonly keyPath: string,
  ) {
    const pub = createPublicKey(key);
    this.publicPem = pub.export({ type: 'spki', format: 'pem' }).toString();
    this.fingerprint = keyFingerprint(pub);
  }

  /** Load `<stateDir>/keys/manifest-signing.pem`, creating the key (and folder) when absent. */
  static async open(stateDir: string): Promise<LocalSigner> {
    const dir = join(stateDir, 'keys');
    const keyPath = join(dir, KEY_FILE);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    let pem = await readIfExists(keyPath);
    if (pem === undefined) {
      const { privateKey } = generateKeyPairSync('ed25519');
      const created = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      try {
        // `wx`: two first runs racing must not overwrite each other's key.
        const fh = await open(keyPath, 'wx', 0o600);
        try {
          await fh.writeFile(created);
          await fh.sync();
        } finally {
          await fh.close();
        }
        await chmod(dir, 0o700);
        pem = created;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        pem = (await readIfExists(keyPath)) ?? '';
      }
    } else if (process.platform !== 'win32') {
      const mode = (await stat(keyPath)).mode & 0o777;
      if (mode & 0o077)
        throw new InputError(
          `private key is readable by others (mode ${mode.toString(8)}); run chmod 600 on it`,
          { file: keyPath },
        );
    }
    let key: KeyObject;
    try {
      key = createPrivateKey(pem);
    } catch {
      // The parser's message could quote key material: say only what is wrong.
      throw new InputError('not a PEM private key', { file: keyPath });
    }
    if (key.asymmetricKeyType !== 'ed25519')
      throw new InputError(`expected an Ed25519 key, found ${key.asymmetricKeyType ?? 'unknown'}`, {
        file: keyPath,
      });
    const signer = new LocalSigner(key, keyPath);
    const pubPath = join(dir, PUBLIC_KEY_FILE);
    if ((await readIfExists(pubPath)) !== signer.publicPem)
      await writeFile(pubPath, signer.publicPem, { mode: 0o644 });
    return signer;
  }

  async publicKeyPem(): Promise<string> {
    return this.publicPem;
  }

  async sign(bytes: Uint8Array): Promise<Uint8Array> {
    return sign(null, bytes, this.key);
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
