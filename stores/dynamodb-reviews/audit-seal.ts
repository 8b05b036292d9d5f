/**
 * Sealing the reviewer app's request audit log (`AUDIT#<campaign>` rows of the reviews table) into
 * the AWS packs, each entry exactly once, as `accessproof scan` seals `state/reviews-audit.jsonl`.
 *
 * A run seals the entries whose time is in `[from, cutoff)`: `from` is where the previous sealed
 * pack stopped, `cutoff` is the seal's clock minus `settleMs`. An entry's time is taken just before
 * its row is written (one PutItem, within the API function's timeout), so no entry older than the
 * cutoff can still appear once `settleMs` has passed: later rows all land in the next range.
 *
 * The marker item (`pk = AUDIT-SEALED, sk = MARKER`) keeps `upTo` (everything before it is in a pack)
 * and, while a seal is under way, `pending = { runId, cutoff }`:
 * - `begin` records the pending range before the pack is built; a retried seal of the same run
 *   reuses that cutoff, so it seals the same entries (rows never change).
 * - `commit`, called only after the pack is committed, moves `upTo` to the cutoff.
 * - If a seal committed its pack but died before `commit`, the next run finds that run's pending
 *   range, sees its pack sealed in the bucket (`isSealed`), and starts after it: nothing sealed twice.
 *   If the pack was never sealed, the range is simply sealed by the next run: nothing lost.
 *
 * Which logs exist: every append also puts `pk = AUDIT-LOGS, sk = <campaign>` (idempotent), so a
 * seal reads each campaign's log (and `-`, requests naming no campaign) without scanning the table.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { docClient } from './doc-client';

export const AUDIT_LOGS_PK = 'AUDIT-LOGS';
/** The marker's own partition: the seal role may write only this one (IAM dynamodb:LeadingKeys). */
export const AUDIT_MARKER_PK = 'AUDIT-SEALED';
const MARKER_KEY = { pk: AUDIT_MARKER_PK, sk: 'MARKER' } as const;
/** The pack file, the same path as the local log's. */
export const REQUESTS_AUDIT_PATH = 'reviews/requests-audit.jsonl';
/** Default wait before an entry is sealed: far above the API function's 15 s timeout. */
export const DEFAULT_SETTLE_MS = 5 * 60_000;

const markerSchema = z.object({
  version: z.number().int().nonnegative(),
  upTo: z.string().optional(),
  pending: z.object({ runId: z.string().min(1), cutoff: z.string().min(1) }).optional(),
  sealedIn: z.string().optional(),
});
type Marker = z.output<typeof markerSchema>;

/** The entries of one range, as the pack's file, and how to mark them sealed. */
export interface TableAuditRange {
  /** `undefined` when no entry fell in the range (nothing to add to the pack). */
  artefact?: { path: typeof REQUESTS_AUDIT_PATH; content: Uint8Array; records: number };
  from?: string;
  cutoff: string;
  entries: number;
  /** Moves the marker past the range; call only once the pack holding `artefact` is committed. */
  commit: () => Promise<void>;
}

export interface AuditSealOptions {
  runId: string;
  now: Date;
  /** Whether `runId`'s pack is sealed in the evidence store (a seal that died before `commit`). */
  isSealed: (runId: string) => Promise<boolean>;
  settleMs?: number;
}

/**
 * Begin sealing the audit entries not yet in a pack (see the file comment).
 *
 * @example
 * const audit = await beginAuditSeal(ddb, table, { runId, now: new Date(), isSealed });
 * await sealStep({ …, extraArtefacts: [...(audit.artefact ? [audit.artefact] : [])] });
 * await audit.commit();
 */
export async function beginAuditSeal(
  client: DynamoDBDocumentClient | DynamoDBClient,
  tableName: string,
  options: AuditSealOptions,
): Promise<TableAuditRange> {
  const doc = docClient(client);
  const marker = await readMarker(doc, tableName);
  let from = marker?.upTo;
  let cutoff: string;
  let previousRun: string | undefined;
  if (marker?.pending?.runId === options.runId) {
    // A retry of this run's seal: the same range, so the same entries.
    cutoff = marker.pending.cutoff;
  } else {
    if (marker?.pending && (await options.isSealed(marker.pending.runId))) {
      // That run's pack holds its range; only its marker update was lost.
      from = marker.pending.cutoff;
      previousRun = marker.pending.runId;
    }
    cutoff = new Date(options.now.getTime() - (options.settleMs ?? DEFAULT_SETTLE_MS)).toISOString();
    if (from !== undefined && cutoff < from) cutoff = from;
    await writeMarker(doc, tableName, marker, {
      version: (marker?.version ?? 0) + 1,
      ...(from !== undefined ? { upTo: from } : {}),
      pending: { runId: options.runId, cutoff },
      ...(previousRun ? { sealedIn: previousRun } : marker?.sealedIn ? { sealedIn: marker.sealedIn } : {}),
    });
  }

  const logs = await auditLogNames(doc, tableName);
  const rows: { sk: string; pk: string; entry: string }[] = [];
  for (const log of logs) {
    for (const row of await rangeOf(doc, tableName, `AUDIT#${log}`, from, cutoff)) rows.push(row);
  }
  rows.sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : a.pk < b.pk ? -1 : a.pk > b.pk ? 1 : 0));
  const range = {
    record: 'range',
    log: `dynamodb:${tableName}`,
    fromAt: from ?? null,
    toAt: cutoff,
    entries: rows.length,
    // Each range starts where the previous sealed one ended: nothing skipped, nothing repeated.
    continuous: true,
  };
  const commit = async () => {
    const now = await readMarker(doc, tableName);
    if (now?.pending?.runId !== options.runId || now.pending.cutoff !== cutoff) {
      throw new Error(
        `reviews table ${tableName}: the audit seal marker no longer names run ${options.runId}; not moved`,
      );
    }
    await writeMarker(doc, tableName, now, {
      version: now.version + 1,
      upTo: cutoff,
      sealedIn: options.runId,
    });
  };
  return {
    ...(rows.length
      ? {
          artefact: {
            path: REQUESTS_AUDIT_PATH,
            content: new TextEncoder().encode(
              `${[JSON.stringify(range), ...rows.map((r) => r.entry)].join('\n')}\n`,
            ),
            records: rows.length,
          },
        }
      : {}),
    ...(from !== undefined ? { from } : {}),
    cutoff,
    entries: rows.length,
    commit,
  };
}

async function readMarker(doc: DynamoDBDocumentClient, tableName: string): Promise<Marker | undefined> {
  const got = await doc.send(new GetCommand({ TableName: tableName, Key: MARKER_KEY, ConsistentRead: true }));
  if (!got.Item) return undefined;
  const parsed = markerSchema.safeParse(got.Item);
  if (!parsed.success) {
    throw new Error(
      `reviews table ${tableName}: the audit seal marker (AUDIT-SEALED/MARKER) is not valid: ${parsed.error.issues[0]?.message}`,
    );
  }
  return parsed.data;
}

/** Conditional on the version read: two seals never move the marker from the same state. */
async function writeMarker(
  doc: DynamoDBDocumentClient,
  tableName: string,
  read: Marker | undefined,
  next: Marker,
): Promise<void> {
  try {
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...MARKER_KEY, ...next },
        ...(read
          ? { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': read.version } }
          : { ConditionExpression: 'attribute_not_exists(pk)' }),
      }),
    );
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) {
      throw new Error(
        `reviews table ${tableName}: another seal moved the audit seal marker at the same time`,
      );
    }
    throw err;
  }
}

async function auditLogNames(doc: DynamoDBDocumentClient, tableName: string): Promise<string[]> {
  const names = new Set<string>(['-']);
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': AUDIT_LOGS_PK },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) names.add(String(item.sk));
    start = page.LastEvaluatedKey;
  } while (start);
  return [...names].sort();
}

/**
 * Rows with `from <= at < cutoff`. Sort keys are `<at>#<random>` with `at` a fixed-width ISO time,
 * so `sk BETWEEN from AND cutoff` is exactly that range (`<cutoff>#…` sorts after `cutoff`).
 */
async function rangeOf(
  doc: DynamoDBDocumentClient,
  tableName: string,
  pk: string,
  from: string | undefined,
  cutoff: string,
): Promise<{ pk: string; sk: string; entry: string }[]> {
  const out: { pk: string; sk: string; entry: string }[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression:
          from !== undefined ? 'pk = :pk AND sk BETWEEN :from AND :to' : 'pk = :pk AND sk < :to',
        ExpressionAttributeValues: {
          ':pk': pk,
          ':to': cutoff,
          ...(from !== undefined ? { ':from': from } : {}),
        },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      out.push({ pk, sk: String(item.sk), entry: String(item.entry) });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}
