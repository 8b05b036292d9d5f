/**
 * The inventory a campaign reviews, read back from a sealed pack's `inventory/*.jsonl.gz`: the
 * population under review is then exactly what the pack proves was collected. Pure over the
 * `PackReader` port; gunzip arrives as a function because core does no I/O (and no zlib).
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { InputError } from '../errors';
import { MANIFEST_FILE, type Manifest, parseManifest, sha256Hex } from '../evidence/manifest';
import type { PackReader, PackRef } from '../evidence/ports';
import { findChainHead } from '../evidence/verify';
import { type Inventory, InventoryBuilder } from '../inventory';
import {
  type Entitlement,
  type Grant,
  type Person,
  type PersonLink,
  type Principal,
  SYSTEMS,
} from '../model';
import type { SnapshotHeader } from '../snapshot';

/** Turns a gzip byte stream into its text lines (`\n`-separated, empty lines skipped). */
export type GzipLineDecoder = (chunks: AsyncIterable<Uint8Array>) => AsyncIterable<string>;

export interface PackInventory {
  inventory: Inventory;
  runId: string;
  sequence: number;
  /** SHA-256 of the pack's `manifest.json`. */
  manifestSha256: string;
  asOf: string;
  finishedAt: string;
  /** The pack folder (path or URL). */
  location: string;
  /** Sources the pack's `policy.json` marks financially significant; undefined when it has none. */
  financialSources?: string[];
}

const system = z.enum(SYSTEMS);
const headerSchema = z.looseObject({
  type: z.literal('snapshot'),
  system,
  tenant: z.string(),
  sourceId: z.string().min(1),
  collectedAt: z.string(),
  complete: z.boolean(),
  counts: z.looseObject({ principals: z.number(), entitlements: z.number(), grants: z.number() }),
  warnings: z.array(z.string()),
});
const principalSchema = z.looseObject({
  uid: z.string().min(1),
  system,
  sourceId: z.string().min(1),
  name: z.string(),
  kind: z.enum(['human', 'nonhuman']),
  type: z.string(),
  status: z.enum(['active', 'disabled']),
  email: z.string().optional(),
  owners: z.array(z.string()),
  credentials: z.array(z.unknown()),
});
const entitlementSchema = z.looseObject({
  uid: z.string().min(1),
  system,
  sourceId: z.string().min(1),
  nativeId: z.string(),
  type: z.string(),
  name: z.string(),
  privileged: z.boolean(),
});
const grantSchema = z.looseObject({
  principal: z.string().min(1),
  entitlement: z.string().min(1),
  path: z.array(z.string()),
});
const recordSchema = z.union([
  z.object({ principal: principalSchema }).strict(),
  z.object({ entitlement: entitlementSchema }).strict(),
  z.object({ grant: grantSchema }).strict(),
  // HR sources (issue 12): people of the system of record and manual links, kept for correlation.
  z.object({ person: z.looseObject({ uid: z.string().min(1), employeeId: z.string() }) }).strict(),
  z.object({ link: z.looseObject({ principal: z.string().min(1) }) }).strict(),
]);

const INVENTORY_FILE = /^inventory\/[^/]+\.jsonl\.gz$/;

/**
 * Read the inventory of the chain's newest pack (or of `runId`'s pack). Each inventory file is
 * hashed as it is read and must match the manifest; failed sources come from the manifest.
 *
 * Throws `InputError` when there is no pack, the run is not found, a file changed since sealing
 * or a line is not a snapshot record (naming the file and line).
 *
 * @example
 * const { inventory, runId, manifestSha256 } = await loadPackInventory(new LocalPackReader(dir), gunzipLines);
 */
export async function loadPackInventory(
  reader: PackReader,
  gunzipLines: GzipLineDecoder,
  options: { runId?: string } = {},
): Promise<PackInventory> {
  const { ref, manifest, manifestSha256 } = await choosePack(reader, options.runId);
  // The pack's as-of judges validity windows (SAP), as the scan that sealed it did.
  const builder = new InventoryBuilder({ asOf: new Date(manifest.asOf) });
  for (const file of manifest.files) {
    if (!INVENTORY_FILE.test(file.path)) continue;
    const where = `${ref.location}/${file.path}`;
    const hash = createHash('sha256');
    const hashed = async function* () {
      for await (const chunk of reader.openFile(ref, file.path)) {
        hash.update(chunk);
        yield chunk;
      }
    };
    let line = 0;
    try {
      for await (const text of gunzipLines(hashed())) {
        line++;
        const json = parseJson(text, where, line);
        if (line === 1) {
          builder.addSnapshotHeader(check(headerSchema, json, where, line) as unknown as SnapshotHeader);
          continue;
        }
        const rec = check(recordSchema, json, where, line);
        if ('grant' in rec) builder.addGrant(rec.grant as Grant);
        else if ('principal' in rec) builder.addPrincipal(rec.principal as unknown as Principal);
        else if ('person' in rec) builder.addPerson(rec.person as unknown as Person);
        else if ('link' in rec) builder.addLink(rec.link as unknown as PersonLink);
        else builder.addEntitlement(rec.entitlement as unknown as Entitlement);
      }
    } catch (err) {
      // The decoder knows the bytes are bad, not which file they came from.
      if (err instanceof InputError && err.location.file === undefined) {
        throw new InputError(err.message, { file: where });
      }
      throw err;
    }
    const digest = hash.digest('hex');
    if (digest !== file.sha256) {
      throw new InputError(
        `changed since the pack was sealed (sha256 ${digest}, manifest says ${file.sha256}): run \`accessproof verify\``,
        { file: where },
      );
    }
  }
  for (const s of manifest.sources) {
    const known = system.safeParse(s.system);
    // A source of a system this version does not know cannot be reviewed either way.
    if (s.status !== 'failed' || !known.success) continue;
    builder.addFailedSource({
      sourceId: s.id,
      system: known.data,
      error: s.error ?? 'failed',
      tenant: s.tenant,
    });
  }
  const financialSources = await readFinancialSources(reader, ref, manifest);
  return {
    ...(financialSources ? { financialSources } : {}),
    inventory: builder.finish(),
    runId: manifest.runId,
    sequence: manifest.sequence,
    manifestSha256,
    asOf: manifest.asOf,
    finishedAt: manifest.finishedAt,
    location: ref.location,
  };
}

const policySources = z.looseObject({
  sources: z.array(z.looseObject({ id: z.string(), financiallySignificant: z.boolean() })),
});

/** The financially significant sources of the pack's policy.json, hash-checked; undefined without one. */
async function readFinancialSources(
  reader: PackReader,
  ref: PackRef,
  manifest: Manifest,
): Promise<string[] | undefined> {
  const entry = manifest.files.find((f) => f.path === 'policy.json');
  if (!entry) return undefined;
  const where = `${ref.location}/policy.json`;
  const bytes = await reader.readFile(ref, 'policy.json');
  if (!bytes || sha256Hex(bytes) !== entry.sha256) {
    throw new InputError('missing or changed since the pack was sealed: run `accessproof verify`', {
      file: where,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new InputError('not JSON', { file: where });
  }
  const parsed = policySources.safeParse(json);
  if (!parsed.success) return undefined;
  return parsed.data.sources.filter((s) => s.financiallySignificant).map((s) => s.id);
}

async function choosePack(
  reader: PackReader,
  runId: string | undefined,
): Promise<{ ref: PackRef; manifest: Manifest; manifestSha256: string }> {
  const refs = await reader.listPacks();
  const head = runId === undefined ? await findChainHead(reader) : null;
  const wanted = runId ?? head?.runId;
  if (wanted === undefined) {
    throw new InputError('no sealed evidence pack here: run `accessproof scan` first', {
      file: reader.location,
    });
  }
  for (const ref of refs.filter((r) => r.runId === wanted)) {
    const bytes = await reader.readFile(ref, MANIFEST_FILE);
    if (!bytes) continue;
    const parsed = parseManifest(bytes);
    if (!parsed.ok) {
      throw new InputError(`manifest is not valid: ${parsed.error}`, {
        file: `${ref.location}/${MANIFEST_FILE}`,
      });
    }
    const sha = sha256Hex(bytes);
    if (head && sha !== head.manifestSha256) continue;
    return { ref, manifest: parsed.value, manifestSha256: sha };
  }
  throw new InputError(`no sealed pack for run ${wanted}`, { file: reader.location });
}

function parseJson(text: string, file: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InputError('not a JSON line', { file, line });
  }
}

function check<S extends z.ZodType>(schema: S, value: unknown, file: string, line: number): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new InputError(`not a snapshot ${line === 1 ? 'header' : 'record'}: ${issue?.message ?? 'invalid'}`, {
    file,
    line,
    ...(issue?.path.length ? { field: issue.path.join('.') } : {}),
  });
}
