/**
 * The evidence pack manifest (docs/evidence-format.md): its type, the zod schema that
 * reads it back, and the canonical serialization whose exact bytes are hashed, chained and signed.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';

/** Names the format so a future reader can tell versions apart; bump only with a migration note. */
export const MANIFEST_FORMAT = 'accessproof.evidence/1';
export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';

export type SignatureAlgorithm = 'Ed25519' | 'ECDSA_SHA_256';
export type SourceStatus = 'complete' | 'incomplete' | 'failed';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'lowercase hex SHA-256');
const isoTime = z.iso.datetime({ offset: true });
const count = z.number().int().nonnegative();
const runIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A run id is also a folder / key name: keep it to safe characters. */
export const runIdSchema = z
  .string()
  .regex(runIdPattern, 'letters, digits, ".", "_" or "-" (at most 128), starting alphanumeric');

/**
 * A path inside a pack: relative, `/`-separated, no `.`/`..` segments, no backslash or control
 * characters, so `sha256sum -c` and S3 keys see the same name.
 */
export function isSafePackPath(path: string): boolean {
  if (path.length === 0 || path.length > 512) return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  if (/[\\\u0000-\u001f\u007f]/.test(path)) return false;
  return path.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

const packPath = z.string().refine(isSafePackPath, 'a relative path without "." or ".." segments');

export const sourceEntrySchema = z
  .object({
    id: z.string().min(1),
    system: z.string().min(1),
    tenant: z.string(),
    status: z.enum(['complete', 'incomplete', 'failed']),
    error: z.string().optional(),
    counts: z
      .object({ principals: count, entitlements: count, grants: count, people: count.optional() })
      .strict(),
    collectedAt: isoTime.optional(),
    snapshotSha256: hex64.optional(),
  })
  .strict();

export const fileEntrySchema = z
  .object({
    path: packPath,
    sha256: hex64,
    bytes: count,
    /** Records (lines) the file holds; 0 for files that are not record streams (report.html). */
    records: count,
  })
  .strict();

export const chainLinkSchema = z.object({ runId: runIdSchema, manifestSha256: hex64 }).strict();

export const retentionSchema = z
  .object({ mode: z.enum(['COMPLIANCE', 'none']), until: isoTime.optional() })
  .strict()
  .refine((r) => r.mode === 'none' || r.until !== undefined, 'COMPLIANCE retention needs "until"');

export const signingSchema = z
  .object({
    algorithm: z.enum(['Ed25519', 'ECDSA_SHA_256']),
    keyFingerprint: hex64,
    /** KMS key ARN (or another stable key name); absent for a local key. */
    keyId: z.string().optional(),
  })
  .strict();

/**
 * The run's findings in numbers (issue 16): lets a reader (the report's trend) follow a chain from
 * manifests alone. Optional: packs sealed before it existed do not carry it.
 */
export const findingCountsSchema = z
  .object({
    /** Every finding of the table after the run, whatever its status. */
    total: count,
    /** Open and reopened. */
    open: count,
    /** Open or reopened and past due at `asOf`. */
    overdue: count,
    riskAccepted: count,
    /** Open and reopened, by severity. */
    bySeverity: z.object({ critical: count, high: count, medium: count, low: count }).strict(),
  })
  .strict();

export const manifestSchema = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    runId: runIdSchema,
    sequence: z.number().int().positive(),
    previous: chainLinkSchema.nullable(),
    startedAt: isoTime,
    finishedAt: isoTime,
    asOf: isoTime,
    toolVersion: z.string().min(1),
    organization: z.string(),
    configSha256: hex64,
    sources: z.array(sourceEntrySchema),
    findings: findingCountsSchema.optional(),
    files: z.array(fileEntrySchema),
    retention: retentionSchema,
    signing: signingSchema,
  })
  .strict()
  .superRefine((m, ctx) => {
    if ((m.previous === null) !== (m.sequence === 1))
      ctx.addIssue({
        code: 'custom',
        path: ['sequence'],
        message: 'sequence is 1 exactly when previous is null',
      });
    const seen = new Set<string>();
    m.files.forEach((f, i) => {
      if (seen.has(f.path) || f.path === MANIFEST_FILE || f.path === SIGNATURE_FILE)
        ctx.addIssue({
          code: 'custom',
          path: ['files', i, 'path'],
          message: `duplicate or reserved ${f.path}`,
        });
      seen.add(f.path);
    });
  });

export type SourceEntry = z.infer<typeof sourceEntrySchema>;
export type FindingCounts = z.infer<typeof findingCountsSchema>;
export type FileEntry = z.infer<typeof fileEntrySchema>;
export type ChainLink = z.infer<typeof chainLinkSchema>;
export type Retention = z.infer<typeof retentionSchema>;
export type SigningInfo = z.infer<typeof signingSchema>;
export type Manifest = z.infer<typeof manifestSchema>;

/**
 * What the caller hands to `EvidenceWriter.seal`: everything the run knows. The writer adds
 * `files` (as written), `retention` (as applied) and `signing` (from the signer).
 */
export type ManifestDraft = Omit<Manifest, 'format' | 'files' | 'retention' | 'signing'>;

/** The newest pack of a chain, as the next pack links to it. */
export interface ChainHead extends ChainLink {
  sequence: number;
}

/**
 * `previous` and `sequence` for the pack that follows `head` (`null`: the first pack).
 *
 * @example
 * const draft = { runId, ...nextLink(await reader.head()), startedAt, … };
 */
export function nextLink(head: ChainHead | null): Pick<Manifest, 'previous' | 'sequence'> {
  return head
    ? { previous: { runId: head.runId, manifestSha256: head.manifestSha256 }, sequence: head.sequence + 1 }
    : { previous: null, sequence: 1 };
}

/**
 * Canonical JSON: object keys sorted by UTF-16 code unit, arrays in order, 2-space indentation,
 * `undefined` members dropped, a trailing newline. Readable by a person and by `jq`, and the
 * same value always gives the same bytes. Refuses values JSON cannot carry exactly.
 */
export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value, '$'), null, 2)}\n`;
}

function sortKeys(value: unknown, where: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${where}: ${value} is not a JSON number`);
    return value;
  }
  if (Array.isArray(value))
    return value.map((v, i) => sortKeys(v === undefined ? null : v, `${where}[${i}]`));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v, `${where}.${key}`);
    }
    return out;
  }
  throw new TypeError(`${where}: ${typeof value} cannot be written to a manifest`);
}

/** The exact bytes of `manifest.json`. */
export function serializeManifest(manifest: Manifest): Uint8Array {
  return new TextEncoder().encode(canonicalJson(manifest));
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Parse `manifest.json` bytes; errors name the field (`files[3].sha256: …`). */
export function parseManifest(bytes: Uint8Array): ParseResult<Manifest> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    return { ok: false, error: `not UTF-8 JSON: ${(err as Error).message}` };
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: describeZodError(parsed.error) };
  return { ok: true, value: parsed.data };
}

export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? `${formatPath(i.path)}: ` : ''}${i.message}`)
    .join('; ');
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

/** `packs/YYYY/MM/DD/<runId>` for a run that started at `startedAt` (UTC date). */
export function packRelativeDir(runId: string, startedAt: Date | string): string {
  const d = typeof startedAt === 'string' ? new Date(startedAt) : startedAt;
  if (Number.isNaN(d.getTime())) throw new TypeError(`invalid pack date ${String(startedAt)}`);
  const iso = d.toISOString();
  return `packs/${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${runId}`;
}
