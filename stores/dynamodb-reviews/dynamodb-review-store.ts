/**
 * ReviewStore (core/reviews/repository.ts) on one DynamoDB table, for the reviewer app in AWS.
 *
 * DynamoDB writes one item atomically, a campaign is many items (a large one is megabytes), and
 * dynalite (the test server) has no transactions; so a campaign is stored copy-on-write behind one
 * pointer item that is the only thing ever overwritten:
 *
 * - `pk = CAMPAIGNS, sk = <campaignId>` (the head): `version`, `status`, `createdAt`, and the row
 *   ids of the campaign's current content: `header` and `segments` (in item order).
 * - `pk = CAMPAIGN#<campaignId>, sk = H#<rowId>`: the campaign without its items, gzipped JSON.
 * - `pk = CAMPAIGN#<campaignId>, sk = S#<rowId>`: a run of consecutive items, gzipped JSON array.
 *
 * Content rows are written once under fresh ids and never changed. `update` reads the head and its
 * rows, applies the change, writes new rows for what changed, then moves the head with a condition
 * on the version it read. If another writer moved it first, nothing it wrote is visible: its rows
 * are removed and the change is applied again to the newer campaign. So a decision is never lost
 * (no blind overwrite) and never applied twice (a failed commit changed nothing). Rows the head no
 * longer names are deleted after the commit; a reader that races with that deletion reads again.
 */
import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { InputError } from '../../core/errors';
import type { Campaign, ReviewItem } from '../../core/reviews/model';
import type { ReviewStore } from '../../core/reviews/repository';
import { campaignHeaderSchema, reviewItemSchema } from '../../core/reviews/schema';

const HEADS_PK = 'CAMPAIGNS';
/** Raw JSON per segment before it is cut (gzip makes it ~10× smaller). */
const SEGMENT_RAW_BYTES = 512 * 1024;
const SEGMENT_MAX_ITEMS = 500;
/** Gzipped bytes per row: under DynamoDB's 400 KB item limit with room for keys. */
export const MAX_ROW_BYTES = 350 * 1024;
const BATCH_GET = 100;
const BATCH_WRITE = 25;

export interface DynamoDbReviewStoreOptions {
  tableName: string;
  /** A document client, a plain DynamoDB client (wrapped), or a config to build one from. */
  client?: DynamoDBDocumentClient | DynamoDBClient;
  clientConfig?: DynamoDBClientConfig;
  /** Times `update` re-applies a change after losing a race to another writer (default 20). */
  maxAttempts?: number;
}

const headSchema = z.object({
  pk: z.literal(HEADS_PK),
  sk: z.string().min(1),
  version: z.number().int().nonnegative(),
  status: z.string(),
  createdAt: z.string(),
  header: z.string().min(1),
  segments: z.array(z.string().min(1)),
});
type Head = z.output<typeof headSchema>;

/** A segment as read: its row id and the items it holds, in order. */
interface Segment {
  id: string;
  items: ReviewItem[];
}

interface Loaded {
  head: Head;
  header: Omit<Campaign, 'items'>;
  segments: Segment[];
}

/** Raised inside a read when a row the head named is gone: a newer commit removed it. */
class StaleRead extends Error {}

/**
 * @example
 * const store = new DynamoDbReviewStore({ tableName: process.env.REVIEWS_TABLE! });
 * await store.update(id, (c) => decide(c, ids, { outcome: 'keep', by, note }, new Date()));
 */
export class DynamoDbReviewStore implements ReviewStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly maxAttempts: number;
  private readonly ownsClient: boolean;

  constructor(options: DynamoDbReviewStoreOptions) {
    this.table = options.tableName;
    this.maxAttempts = options.maxAttempts ?? 20;
    const c = options.client;
    this.ownsClient = c === undefined;
    this.doc =
      c instanceof DynamoDBDocumentClient
        ? c
        : DynamoDBDocumentClient.from(c ?? new DynamoDBClient(options.clientConfig ?? {}), {
            marshallOptions: { removeUndefinedValues: true },
          });
  }

  async list(): Promise<Campaign[]> {
    const heads: Head[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': HEADS_PK },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const raw of page.Items ?? []) heads.push(this.parseHead(raw));
      start = page.LastEvaluatedKey;
    } while (start);
    // Sort keys are ordered by UTF-8 bytes; campaign ids are ASCII, so this is the id order.
    const out: Campaign[] = [];
    for (const head of heads) {
      const c = await this.get(head.sk, head);
      if (c) out.push(c);
    }
    return out;
  }

  async get(id: string, known?: Head): Promise<Campaign | undefined> {
    const loaded = await this.load(id, known);
    return loaded ? assemble(loaded) : undefined;
  }

  async create(campaign: Campaign): Promise<void> {
    const rows = [this.headerRow(campaign), ...this.segmentRows(campaign.id, campaign.items, 0)];
    await this.writeRows(rows);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            pk: HEADS_PK,
            sk: campaign.id,
            version: 0,
            status: campaign.status,
            createdAt: campaign.createdAt,
            header: rows[0]!.sk,
            segments: rows.slice(1).map((r) => r.sk),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      await this.deleteRows(
        campaign.id,
        rows.map((r) => r.sk),
      );
      if (err instanceof ConditionalCheckFailedException) {
        throw new InputError(`a review campaign with id ${campaign.id} exists already: choose another name`, {
          field: '--name',
        });
      }
      throw err;
    }
  }

  async update(id: string, change: (campaign: Campaign) => Campaign): Promise<Campaign> {
    for (let attempt = 1; ; attempt++) {
      const loaded = await this.load(id);
      if (!loaded) throw new InputError(`no review campaign ${id}`, { field: 'CAMPAIGN' });
      const before = assemble(loaded);
      const after = change(before);
      if (after.id !== id) throw new Error(`review store: an update may not change the campaign id (${id})`);
      const { rows, segments, dropped } = this.plan(loaded, before, after);
      await this.writeRows(rows);
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.table,
            Item: {
              pk: HEADS_PK,
              sk: id,
              version: loaded.head.version + 1,
              status: after.status,
              createdAt: after.createdAt,
              header: rows[0]!.sk,
              segments,
            },
            ConditionExpression: 'version = :v',
            ExpressionAttributeValues: { ':v': loaded.head.version },
          }),
        );
      } catch (err) {
        // Our rows were never visible: remove them whatever happened to the head.
        await this.deleteRows(
          id,
          rows.map((r) => r.sk),
        ).catch(() => undefined);
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
        if (attempt >= this.maxAttempts) {
          throw new Error(
            `review store: campaign ${id} changed under ${attempt} attempts in a row; nothing was written, try again`,
          );
        }
        await sleep(Math.min(200, 5 * 2 ** attempt) * Math.random());
        continue;
      }
      // Garbage only: a failure leaves unreferenced rows, never a wrong campaign.
      await this.deleteRows(id, dropped).catch(() => undefined);
      return after;
    }
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.doc.destroy();
  }

  /** New rows for what changed, the head's new segment list, and the rows it no longer names. */
  private plan(
    loaded: Loaded,
    before: Campaign,
    after: Campaign,
  ): { rows: ContentRow[]; segments: string[]; dropped: string[] } {
    const header = this.headerRow(after);
    const sameShape =
      after.items.length === before.items.length &&
      after.items.every((it, i) => it.id === before.items[i]!.id);
    if (!sameShape) {
      const rows = [header, ...this.segmentRows(after.id, after.items, 0)];
      return {
        rows,
        segments: rows.slice(1).map((r) => r.sk),
        dropped: [loaded.head.header, ...loaded.head.segments],
      };
    }
    const rows = [header];
    const segments: string[] = [];
    const dropped = [loaded.head.header];
    let offset = 0;
    for (const seg of loaded.segments) {
      const now = after.items.slice(offset, offset + seg.items.length);
      // Pure changes keep untouched items as the same objects: only changed segments are rewritten.
      const changed = now.some((item, i) => item !== before.items[offset + i]);
      if (changed) {
        const fresh = this.segmentRows(after.id, now, rows.length);
        for (const r of fresh) {
          rows.push(r);
          segments.push(r.sk);
        }
        dropped.push(seg.id);
      } else {
        segments.push(seg.id);
      }
      offset += seg.items.length;
    }
    return { rows, segments, dropped };
  }

  private headerRow(campaign: Campaign): ContentRow {
    const { items: _items, ...header } = campaign;
    const gz = gzipSync(JSON.stringify(header));
    if (gz.byteLength > MAX_ROW_BYTES) {
      throw new InputError(
        `campaign ${campaign.id}: its history is too large to store (${gz.byteLength} bytes gzipped)`,
        { field: 'CAMPAIGN' },
      );
    }
    return { pk: campaignPk(campaign.id), sk: `H#${rowId()}`, gz };
  }

  /** Items cut into runs that fit one row each; a run too large gzipped is halved. */
  private segmentRows(campaignId: string, items: readonly ReviewItem[], salt: number): ContentRow[] {
    const out: ContentRow[] = [];
    const emit = (run: readonly ReviewItem[]) => {
      const gz = gzipSync(JSON.stringify(run));
      if (gz.byteLength <= MAX_ROW_BYTES) {
        out.push({ pk: campaignPk(campaignId), sk: `S#${rowId()}.${salt + out.length}`, gz });
        return;
      }
      if (run.length === 1) {
        throw new InputError(`item ${run[0]!.id} is too large to store (${gz.byteLength} bytes gzipped)`, {
          field: 'ITEM',
        });
      }
      const half = Math.ceil(run.length / 2);
      emit(run.slice(0, half));
      emit(run.slice(half));
    };
    let run: ReviewItem[] = [];
    let bytes = 0;
    for (const item of items) {
      const size = JSON.stringify(item).length;
      if (run.length > 0 && (bytes + size > SEGMENT_RAW_BYTES || run.length >= SEGMENT_MAX_ITEMS)) {
        emit(run);
        run = [];
        bytes = 0;
      }
      run.push(item);
      bytes += size;
    }
    if (run.length > 0) emit(run);
    return out;
  }

  private async load(id: string, known?: Head): Promise<Loaded | undefined> {
    let head = known;
    for (let attempt = 1; ; attempt++) {
      if (!head) {
        const got = await this.doc.send(
          new GetCommand({ TableName: this.table, Key: { pk: HEADS_PK, sk: id }, ConsistentRead: true }),
        );
        if (!got.Item) return undefined;
        head = this.parseHead(got.Item);
      }
      try {
        return await this.loadRows(head);
      } catch (err) {
        if (!(err instanceof StaleRead) || attempt >= this.maxAttempts) {
          if (err instanceof StaleRead) {
            throw new InputError(`stored review data is missing: ${err.message}`, {
              file: this.where(),
              field: `${campaignPk(id)}`,
            });
          }
          throw err;
        }
        head = undefined;
      }
    }
  }

  private async loadRows(head: Head): Promise<Loaded> {
    const id = head.sk;
    const keys = [head.header, ...head.segments];
    const rows = await this.batchGet(campaignPk(id), keys);
    const text = (sk: string) => {
      const gz = rows.get(sk);
      if (!gz) throw new StaleRead(`row ${sk} of campaign ${id}`);
      try {
        return JSON.parse(gunzipSync(gz).toString('utf8')) as unknown;
      } catch {
        throw new InputError('stored review data is not valid gzipped JSON', {
          file: this.where(),
          field: `${campaignPk(id)}/${sk}`,
        });
      }
    };
    const header = this.decode(campaignHeaderSchema, text(head.header), `${campaignPk(id)}/${head.header}`);
    const segments = head.segments.map((sk) => {
      const list = text(sk);
      if (!Array.isArray(list)) {
        throw new InputError('stored review segment is not a list', {
          file: this.where(),
          field: `${campaignPk(id)}/${sk}`,
        });
      }
      return {
        id: sk,
        items: list.map(
          (item, i) => this.decode(reviewItemSchema, item, `${campaignPk(id)}/${sk}[${i}]`) as ReviewItem,
        ),
      };
    });
    return { head, header: header as Omit<Campaign, 'items'>, segments };
  }

  private async batchGet(pk: string, sks: readonly string[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    for (let i = 0; i < sks.length; i += BATCH_GET) {
      let keys: Record<string, unknown>[] = sks.slice(i, i + BATCH_GET).map((sk) => ({ pk, sk }));
      for (let round = 0; keys.length > 0; round++) {
        if (round > 0) await sleep(Math.min(1000, 20 * 2 ** round));
        const res = await this.doc.send(
          new BatchGetCommand({
            RequestItems: {
              [this.table]: { Keys: keys, ConsistentRead: true, ProjectionExpression: 'sk, gz' },
            },
          }),
        );
        for (const item of res.Responses?.[this.table] ?? []) {
          const gz = item.gz as unknown;
          if (typeof item.sk === 'string' && gz instanceof Uint8Array) out.set(item.sk, gz);
        }
        keys = (res.UnprocessedKeys?.[this.table]?.Keys ?? []) as Record<string, unknown>[];
        if (round > 20 && keys.length > 0) throw new Error('review store: DynamoDB kept keys unprocessed');
      }
    }
    return out;
  }

  private async writeRows(rows: readonly ContentRow[]): Promise<void> {
    await this.batchWrite(rows.map((r) => ({ PutRequest: { Item: { pk: r.pk, sk: r.sk, gz: r.gz } } })));
  }

  private async deleteRows(campaignId: string, sks: readonly string[]): Promise<void> {
    await this.batchWrite(sks.map((sk) => ({ DeleteRequest: { Key: { pk: campaignPk(campaignId), sk } } })));
  }

  private async batchWrite(requests: Record<string, unknown>[]): Promise<void> {
    // One row can be ~350 KB and a BatchWriteItem carries at most 16 MB: keep batches well under.
    const perBatch = Math.min(BATCH_WRITE, 16);
    for (let i = 0; i < requests.length; i += perBatch) {
      let pending = requests.slice(i, i + perBatch);
      for (let round = 0; pending.length > 0; round++) {
        if (round > 0) await sleep(Math.min(1000, 20 * 2 ** round));
        const res = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.table]: pending } }));
        pending = (res.UnprocessedItems?.[this.table] ?? []) as Record<string, unknown>[];
        if (round > 20 && pending.length > 0)
          throw new Error('review store: DynamoDB kept writes unprocessed');
      }
    }
  }

  private parseHead(raw: Record<string, unknown>): Head {
    const parsed = headSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InputError(`stored campaign head is malformed: ${issue?.message ?? 'invalid'}`, {
        file: this.where(),
        field: `${HEADS_PK}/${String(raw.sk)}.${issue?.path.join('.') ?? ''}`,
      });
    }
    return parsed.data;
  }

  private decode<S extends z.ZodType>(schema: S, json: unknown, field: string): z.output<S> {
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InputError(`stored review data is malformed: ${issue?.message ?? 'invalid'}`, {
        file: this.where(),
        field: `${field}.${issue?.path.join('.') ?? ''}`,
      });
    }
    return parsed.data;
  }

  private where(): string {
    return `dynamodb:${this.table}`;
  }
}

interface ContentRow {
  pk: string;
  sk: string;
  gz: Uint8Array;
}

function assemble(loaded: Loaded): Campaign {
  return { ...loaded.header, items: loaded.segments.flatMap((s) => s.items) } as Campaign;
}

function campaignPk(id: string): string {
  return `CAMPAIGN#${id}`;
}

/** Unique per write: two racing writers never name the same row. */
function rowId(): string {
  return randomBytes(12).toString('hex');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
