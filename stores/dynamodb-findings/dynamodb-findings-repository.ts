/**
 * FindingsRepository on one DynamoDB table (single-table design; schema in docs/findings.md).
 *
 * - `pk = FINDING#<id>, sk = FINDING`: one finding (JSON text in `data`, gzip in `dataGz` when
 *   large) plus plain `status`, `rule`, `severity`, `lastSeenRun` attributes for filters.
 * - `pk = CHAIN, sk = HEAD`: the chain head, and the run's reservation on the same item, so
 *   "the head is still what I read and nobody else holds it" is one conditional write.
 * - `pk = CHAIN, sk = RUN#<runId>`: one per committed pack, so a late re-delivery of an older
 *   run is recognised as already committed.
 * - `pk = RUNRECORD, sk = <recordId>`: one per failed or released run (core/run/run-record.ts),
 *   JSON in `data`, `sealedIn` once a pack carries it.
 *
 * `commitRun` writes findings with BatchWriteItem first and moves the head last with a condition
 * on the reserved sequence. Until the head moves, the reservation blocks every other run; a crash
 * in between is finished by re-delivering the same commit (it rewrites the same items).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { Finding } from '../../core/findings/model';
import {
  ChainConflictError,
  type ChainHead,
  type ChainReservation,
  checkNextHead,
  describeHead,
  type FindingsRepository,
  FindingTooLargeError,
  type ReserveOutcome,
  sameHead,
} from '../../core/findings/repository';
import { chainHeadSchema, findingSchema } from '../../core/findings/schema';
import { compareRecords, type RunRecord, runRecordSchema } from '../../core/run/run-record';

/** DynamoDB's item limit (400 KB, names and values counted). */
export const MAX_ITEM_BYTES = 400 * 1024;
/** Findings whose JSON is larger than this are stored gzipped (SoD evidence compresses ~10×). */
const GZIP_ABOVE_BYTES = 32 * 1024;
/** Headroom for keys and the small attributes beside the payload. */
const ITEM_OVERHEAD_BYTES = 2 * 1024;
const BATCH_SIZE = 25;
const HEAD_KEY = { pk: 'CHAIN', sk: 'HEAD' } as const;
const RUN_RECORD_PK = 'RUNRECORD';

export interface DynamoDbFindingsOptions {
  tableName: string;
  /** A document client, a plain DynamoDB client (wrapped), or a config to build one from. */
  client?: DynamoDBDocumentClient | DynamoDBClient;
  clientConfig?: DynamoDBClientConfig;
  /** Parallel Scan segments for `loadAll` (default 4). */
  scanSegments?: number;
  /** BatchWriteItem calls in flight during `commitRun` (default 8). */
  writeConcurrency?: number;
  /** Attempts per batch while DynamoDB returns UnprocessedItems (default 10). */
  maxBatchAttempts?: number;
}

const headItemSchema = z.looseObject({
  pk: z.literal('CHAIN'),
  sk: z.literal('HEAD'),
  sequence: z.number().int().positive().optional(),
  runId: z.string().optional(),
  manifestSha256: z.string().optional(),
  location: z.string().optional(),
  sealedAt: z.string().optional(),
  reservedBy: z.string().optional(),
  reservedAt: z.string().optional(),
  reservedExpected: z.string().optional(),
});
type HeadItem = z.infer<typeof headItemSchema>;

const findingItemSchema = z.looseObject({
  pk: z.string(),
  id: z.string(),
  data: z.string().optional(),
  dataGz: z.instanceof(Uint8Array).optional(),
});

/**
 * @example
 * const repo = new DynamoDbFindingsRepository({
 *   tableName: process.env.FINDINGS_TABLE!,
 *   client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
 * });
 */
export class DynamoDbFindingsRepository implements FindingsRepository {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly owned?: DynamoDBClient;
  private readonly scanSegments: number;
  private readonly writeConcurrency: number;
  private readonly maxBatchAttempts: number;

  constructor(options: DynamoDbFindingsOptions) {
    this.table = options.tableName;
    const translate = { marshallOptions: { removeUndefinedValues: true } };
    if (options.client instanceof DynamoDBDocumentClient) {
      this.doc = options.client;
    } else if (options.client) {
      this.doc = DynamoDBDocumentClient.from(options.client, translate);
    } else if (options.clientConfig) {
      this.owned = new DynamoDBClient(options.clientConfig);
      this.doc = DynamoDBDocumentClient.from(this.owned, translate);
    } else {
      throw new Error('DynamoDbFindingsRepository needs a client or a clientConfig');
    }
    this.scanSegments = Math.max(1, options.scanSegments ?? 4);
    this.writeConcurrency = Math.max(1, options.writeConcurrency ?? 8);
    this.maxBatchAttempts = Math.max(1, options.maxBatchAttempts ?? 10);
  }

  async loadAll(): Promise<Finding[]> {
    const segments = await Promise.all(
      Array.from({ length: this.scanSegments }, (_, segment) => this.scanSegment(segment)),
    );
    return segments.flat().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async get(id: string): Promise<Finding | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: findingKey(id), ConsistentRead: true }),
    );
    return out.Item ? decodeFinding(out.Item) : undefined;
  }

  async getChainHead(): Promise<ChainHead | null> {
    return headOf(await this.readHeadItem());
  }

  async reserve(runId: string, expected: ChainHead | null, at: string): Promise<ReserveOutcome> {
    if (expected) chainHeadSchema.parse(expected);
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.reserveOnce(runId, expected, at);
      if (outcome !== 'retry') return outcome;
      // The condition failed on a state that has since gone away (a reservation just cleared).
      if (attempt >= 3) {
        throw new ChainConflictError(`run ${runId} could not reserve the evidence chain: it kept changing`, {
          runId,
        });
      }
    }
  }

  private async reserveOnce(
    runId: string,
    expected: ChainHead | null,
    at: string,
  ): Promise<ReserveOutcome | 'retry'> {
    // A run that reads its own commit as the head is a re-delivery, not a new sequence.
    if (expected?.runId === runId || (await this.committedRun(runId))) return 'already-committed';
    const names: Record<string, string> = {
      '#by': 'reservedBy',
      '#at': 'reservedAt',
      '#ex': 'reservedExpected',
    };
    const values: Record<string, unknown> = {
      ':by': runId,
      ':at': at,
      ':ex': expected ? JSON.stringify(expected) : 'null',
    };
    let headMatches: string;
    if (expected) {
      Object.assign(names, { '#seq': 'sequence', '#run': 'runId', '#sha': 'manifestSha256' });
      Object.assign(values, {
        ':seq': expected.sequence,
        ':run': expected.runId,
        ':sha': expected.manifestSha256,
      });
      headMatches = '#seq = :seq AND #run = :run AND #sha = :sha';
    } else {
      names['#seq'] = 'sequence';
      headMatches = 'attribute_not_exists(#seq)';
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: HEAD_KEY,
          UpdateExpression: 'SET #by = :by, #at = if_not_exists(#at, :at), #ex = :ex',
          ConditionExpression: `(${headMatches}) AND (attribute_not_exists(#by) OR #by = :by)`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return 'reserved';
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    const item = await this.readHeadItem();
    const head = headOf(item);
    if (head?.runId === runId || (await this.committedRun(runId))) return 'already-committed';
    if (item?.reservedBy && item.reservedBy !== runId) {
      throw new ChainConflictError(
        `run ${runId} cannot reserve the evidence chain: run ${item.reservedBy} reserved it at ${item.reservedAt} ` +
          `(after ${describeHead(head)}). If that run crashed, clear its reservation first.`,
        { runId, heldBy: item.reservedBy },
      );
    }
    if (!sameHead(head, expected)) {
      throw new ChainConflictError(
        `run ${runId} expected the evidence chain to end at ${describeHead(expected)}, ` +
          `but it ends at ${describeHead(head)}: another run sealed a pack first. Start again from the new head.`,
        { runId },
      );
    }
    return 'retry';
  }

  async commitRun(runId: string, changed: readonly Finding[], next: ChainHead): Promise<void> {
    const head = chainHeadSchema.parse(next);
    const item = await this.readHeadItem();
    const current = headOf(item);
    if (current?.runId === runId || (await this.committedRun(runId))) {
      if (current?.runId === runId) await this.putRunLog(current); // a crash may have skipped it
      return;
    }
    if (item?.reservedBy !== runId) {
      throw new ChainConflictError(
        `run ${runId} cannot commit: it holds no reservation of the evidence chain` +
          (item?.reservedBy ? ` (run ${item.reservedBy} does)` : ''),
        item?.reservedBy ? { runId, heldBy: item.reservedBy } : { runId },
      );
    }
    const expected = parseExpected(item.reservedExpected);
    checkNextHead(runId, expected, head);
    if (!sameHead(current, expected)) {
      throw new ChainConflictError(
        `run ${runId} reserved after ${describeHead(expected)} but the chain ends at ${describeHead(current)}`,
        { runId },
      );
    }

    // Encode everything before the first write: a finding too large fails the commit with nothing written.
    const byId = new Map<string, Record<string, unknown>>();
    for (const f of changed) byId.set(f.id, encodeFinding(f, runId));
    await this.batchPut([...byId.values()]);
    if (current) await this.putRunLog(current);

    const names = {
      '#by': 'reservedBy',
      '#at': 'reservedAt',
      '#ex': 'reservedExpected',
      '#seq': 'sequence',
      '#run': 'runId',
      '#sha': 'manifestSha256',
      '#loc': 'location',
      '#sealed': 'sealedAt',
    };
    const values: Record<string, unknown> = {
      ':by': runId,
      ':seq': head.sequence,
      ':run': head.runId,
      ':sha': head.manifestSha256,
      ':loc': head.location,
      ':sealed': head.sealedAt,
    };
    let sequenceStill = 'attribute_not_exists(#seq)';
    if (current) {
      values[':prev'] = current.sequence;
      sequenceStill = '#seq = :prev';
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: HEAD_KEY,
          UpdateExpression:
            'SET #seq = :seq, #run = :run, #sha = :sha, #loc = :loc, #sealed = :sealed REMOVE #by, #at, #ex',
          ConditionExpression: `#by = :by AND ${sequenceStill}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const now = headOf(await this.readHeadItem());
      if (now?.runId !== runId) {
        throw new ChainConflictError(
          `run ${runId} lost its reservation before moving the head; the chain ends at ${describeHead(now)}`,
          { runId },
        );
      }
      // A concurrent re-delivery of this same commit moved the head first.
    }
    await this.putRunLog(head);
  }

  async putFinding(f: Finding): Promise<void> {
    const item = await this.readHeadItem();
    // Check-then-put: DynamoDB cannot condition one item on another without transactions.
    if (item?.reservedBy) {
      throw new ChainConflictError(
        `finding ${f.id} not saved: run ${item.reservedBy} is in progress (reserved at ${item.reservedAt}) and ` +
          'its commit would overwrite the change. Retry when it has finished, or clear its reservation if it crashed.',
        { runId: item.reservedBy, heldBy: item.reservedBy },
      );
    }
    await this.doc.send(new PutCommand({ TableName: this.table, Item: encodeFinding(f, undefined) }));
  }

  async pendingReservation(): Promise<ChainReservation | null> {
    const item = await this.readHeadItem();
    if (!item?.reservedBy) return null;
    return {
      runId: item.reservedBy,
      expected: parseExpected(item.reservedExpected),
      reservedAt: item.reservedAt ?? '',
    };
  }

  async clearReservation(runId: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: HEAD_KEY,
          UpdateExpression: 'REMOVE #by, #at, #ex',
          ConditionExpression: '#by = :by',
          ExpressionAttributeNames: { '#by': 'reservedBy', '#at': 'reservedAt', '#ex': 'reservedExpected' },
          ExpressionAttributeValues: { ':by': runId },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const item = await this.readHeadItem();
      if (item?.reservedBy && item.reservedBy !== runId) {
        throw new ChainConflictError(
          `cannot clear run ${runId}'s reservation: the chain is reserved by run ${item.reservedBy}`,
          { runId, heldBy: item.reservedBy },
        );
      }
    }
  }

  async putRunRecord(record: RunRecord): Promise<void> {
    const r = runRecordSchema.parse(record);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            pk: RUN_RECORD_PK,
            sk: r.id,
            data: JSON.stringify(r),
            ...(r.sealedIn ? { sealedIn: r.sealedIn } : {}),
          },
          // A record a pack already carries is never rewritten.
          ConditionExpression: 'attribute_not_exists(sealedIn)',
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  async listRunRecords(): Promise<RunRecord[]> {
    const out: RunRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': RUN_RECORD_PK },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const parsed = runRecordSchema.safeParse(JSON.parse(String(item.data)));
        if (!parsed.success) {
          throw new Error(
            `${this.table} run record ${String(item.sk)} is malformed: ${parsed.error.issues[0]?.message}`,
          );
        }
        out.push({
          ...parsed.data,
          ...(typeof item.sealedIn === 'string' ? { sealedIn: item.sealedIn } : {}),
        });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out.sort(compareRecords);
  }

  async markRunRecordsSealed(ids: readonly string[], runId: string): Promise<void> {
    for (const id of ids) {
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { pk: RUN_RECORD_PK, sk: id },
            UpdateExpression: 'SET sealedIn = :run',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(sealedIn)',
            ExpressionAttributeValues: { ':run': runId },
          }),
        );
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
    }
  }

  async close(): Promise<void> {
    this.owned?.destroy();
  }

  private async readHeadItem(): Promise<HeadItem | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: HEAD_KEY, ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    const parsed = headItemSchema.safeParse(out.Item);
    if (!parsed.success) {
      throw new Error(
        `${this.table} CHAIN/HEAD item is malformed: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
    }
    return parsed.data;
  }

  private async committedRun(runId: string): Promise<boolean> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: 'CHAIN', sk: `RUN#${runId}` },
        ConsistentRead: true,
      }),
    );
    return out.Item !== undefined;
  }

  /** One item per committed pack: idempotent (same content on every write). */
  private async putRunLog(h: ChainHead): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.table, Item: { pk: 'CHAIN', sk: `RUN#${h.runId}`, ...h } }),
    );
  }

  private async scanSegment(segment: number): Promise<Finding[]> {
    const out: Finding[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new ScanCommand({
          TableName: this.table,
          Segment: segment,
          TotalSegments: this.scanSegments,
          ConsistentRead: true,
          FilterExpression: 'sk = :f',
          ExpressionAttributeValues: { ':f': 'FINDING' },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) out.push(decodeFinding(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  private async batchPut(items: Record<string, unknown>[]): Promise<void> {
    const batches: Record<string, unknown>[][] = [];
    for (let i = 0; i < items.length; i += BATCH_SIZE) batches.push(items.slice(i, i + BATCH_SIZE));
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        if (batch) await this.writeBatch(batch);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.writeConcurrency, batches.length) }, worker));
  }

  private async writeBatch(batch: Record<string, unknown>[]): Promise<void> {
    let requests = batch.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; requests.length > 0; attempt++) {
      if (attempt > this.maxBatchAttempts) {
        throw new Error(
          `BatchWriteItem on ${this.table}: ${requests.length} findings still unprocessed after ${this.maxBatchAttempts} attempts`,
        );
      }
      if (attempt > 1) await sleep(Math.min(2000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2));
      const out = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.table]: requests } }));
      requests = (out.UnprocessedItems?.[this.table] ?? []) as typeof requests;
    }
  }
}

function findingKey(id: string) {
  return { pk: `FINDING#${id}`, sk: 'FINDING' };
}

/** The stored item for a finding; throws FindingTooLargeError if it cannot fit in one item. */
export function encodeFinding(f: Finding, writtenByRun: string | undefined): Record<string, unknown> {
  const item: Record<string, unknown> = {
    ...findingKey(f.id),
    id: f.id,
    status: f.status,
    rule: f.rule,
    severity: f.severity,
    lastSeenRun: f.lastSeenRun,
  };
  if (writtenByRun) item.writtenByRun = writtenByRun;
  const json = JSON.stringify(f);
  const bytes = Buffer.byteLength(json);
  const limit = MAX_ITEM_BYTES - ITEM_OVERHEAD_BYTES;
  if (bytes <= GZIP_ABOVE_BYTES) {
    item.data = json;
    return item;
  }
  const gz = gzipSync(json);
  if (gz.byteLength > limit) {
    throw new FindingTooLargeError(
      f.id,
      gz.byteLength,
      limit,
      `rule ${f.rule}, ${f.evidence.length} evidence items, ${bytes} bytes of JSON before gzip; ` +
        'the rule must summarise its evidence (the full inventory is in the pack)',
    );
  }
  item.dataGz = new Uint8Array(gz.buffer, gz.byteOffset, gz.byteLength);
  return item;
}

function decodeFinding(raw: Record<string, unknown>): Finding {
  const item = findingItemSchema.safeParse(raw);
  if (!item.success)
    throw new Error(`findings item ${String(raw.pk)} is malformed: ${item.error.issues[0]?.message}`);
  const { id, data, dataGz } = item.data;
  const json = data ?? (dataGz ? gunzipSync(dataGz).toString('utf8') : undefined);
  if (json === undefined) throw new Error(`findings item ${id} has neither data nor dataGz`);
  const parsed = findingSchema.safeParse(JSON.parse(json));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`findings item ${id} is malformed at ${issue?.path.join('.')}: ${issue?.message}`);
  }
  return parsed.data as Finding;
}

function headOf(item: HeadItem | undefined): ChainHead | null {
  if (item?.sequence === undefined) return null;
  return chainHeadSchema.parse({
    sequence: item.sequence,
    runId: item.runId,
    manifestSha256: item.manifestSha256,
    location: item.location,
    sealedAt: item.sealedAt,
  });
}

function parseExpected(raw: string | undefined): ChainHead | null {
  if (raw === undefined || raw === 'null') return null;
  return chainHeadSchema.parse(JSON.parse(raw));
}

function isConditionFailure(err: unknown): boolean {
  return (
    err instanceof ConditionalCheckFailedException ||
    (err instanceof Error && err.name === 'ConditionalCheckFailedException')
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
