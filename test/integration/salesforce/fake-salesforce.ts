/**
 * A local imitation of the Salesforce REST API, enough for real jsforce to collect an org:
 * the OAuth token endpoint (JWT bearer with signature check, client credentials), `/limits`,
 * `/query` + `/query/<locator>` with `nextRecordsUrl` paging at a small batch size, the
 * `Sforce-Limit-Info` header on every API answer, injectable `REQUEST_LIMIT_EXCEEDED` and access
 * errors, and the Bulk API 2.0 query job endpoints (create, poll, CSV results with
 * `Sforce-Locator`, delete). Response shapes start from test/fixtures/salesforce/public.
 */
import { createVerify, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const FIXTURES = join(import.meta.dirname, '../../fixtures/salesforce/public');
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

export type SfRecord = Record<string, unknown>;

export interface FakeSalesforceOptions {
  orgId: string;
  /** sObject name → records (relationship objects nested where the data has them). */
  tables: Record<string, SfRecord[]>;
  apiVersion?: string;
  /** Records per `/query` page. */
  batchSize?: number;
  /** Daily API requests used before the first call, and the org's limit. */
  apiUsage?: { used: number; limit: number };
  clientId?: string;
  username?: string;
  /** PEM public key that verifies JWT assertions. */
  publicKey?: string;
  clientSecret?: string;
  /** Add to the `totalSize` reported for an object (a non-zero value imitates a count mismatch). */
  totalSizeDelta?: Record<string, number>;
  /** Answer the next `times` queries of an object with 403 REQUEST_LIMIT_EXCEEDED. */
  limitExceeded?: Record<string, { times: number; message: string }>;
  /** Answer every query of an object with this error. */
  deny?: Record<string, { status: number; errorCode: string; message: string }>;
  /** Bulk jobs answer InProgress this many times before JobComplete. */
  bulkPollsBeforeComplete?: number;
  /** Expire every session once, after this many API requests (a token that times out mid-run). */
  expireSessionsAfter?: number;
  /** Objects whose `/query/<locator>` (queryMore) requests get the connection dropped, no answer. */
  dropQueryMore?: string[];
}

export interface SeenRequest {
  method: string;
  path: string;
  authorization?: string;
  body: string;
}

interface BulkJob {
  id: string;
  object: string;
  fields: string[];
  rows: SfRecord[];
  polls: number;
  deleted: boolean;
}

export class FakeSalesforce {
  readonly requests: SeenRequest[] = [];
  readonly issuedTokens: string[] = [];
  readonly jobs = new Map<string, BulkJob>();
  /** Locators whose queryMore request had its connection dropped (`dropQueryMore`). */
  readonly droppedLocators: string[] = [];
  used: number;
  readonly limit: number;
  /** Highest usage the org saw: a guard that works never lets it pass its threshold. */
  maxUsed: number;
  private server: Server | undefined;
  private base = '';
  private readonly version: string;
  private readonly cursors = new Map<
    string,
    { object: string; rows: SfRecord[]; offset: number; total: number }
  >();
  private seq = 0;
  private apiRequests = 0;

  constructor(private readonly opts: FakeSalesforceOptions) {
    this.version = opts.apiVersion ?? '62.0';
    this.used = opts.apiUsage?.used ?? 100;
    this.limit = opts.apiUsage?.limit ?? 15_000;
    this.maxUsed = this.used;
  }

  get url(): string {
    return this.base;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify([{ message: String(err), errorCode: 'UNKNOWN_EXCEPTION' }]));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.base = `http://127.0.0.1:${port}`;
    return this.base;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** A session as if obtained elsewhere (the injected access-token case). */
  issueToken(): string {
    const token = `${this.opts.orgId}!AR${randomBytes(24).toString('base64url')}`;
    this.issuedTokens.push(token);
    return token;
  }

  /** Expire every session: the next API call answers 401 INVALID_SESSION_ID. */
  expireSessions(): void {
    this.issuedTokens.length = 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', this.base);
    this.requests.push({
      method: req.method ?? 'GET',
      path: url.pathname + url.search,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      body,
    });
    if (url.pathname === '/services/oauth2/token' && req.method === 'POST') return this.token(body, res);

    const prefix = `/services/data/v${this.version}`;
    if (!url.pathname.startsWith(prefix))
      return json(res, 404, [{ message: 'not found', errorCode: 'NOT_FOUND' }]);
    const auth = req.headers.authorization?.replace(/^Bearer /, '');
    if (!auth || !this.issuedTokens.includes(auth)) {
      return json(res, 401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    }
    this.apiRequests += 1;
    if (this.apiRequests === this.opts.expireSessionsAfter) {
      this.expireSessions();
      return json(res, 401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    }
    this.used += 1;
    this.maxUsed = Math.max(this.maxUsed, this.used);
    res.setHeader('Sforce-Limit-Info', `api-usage=${this.used}/${this.limit}`);
    const path = url.pathname.slice(prefix.length);

    if (path === '/limits') {
      const limits = fixture('limits-response.json') as Record<string, unknown>;
      limits.DailyApiRequests = { Max: this.limit, Remaining: this.limit - this.used };
      return json(res, 200, limits);
    }
    if (path === '/query') return this.query(url.searchParams.get('q') ?? '', res);
    const more = path.match(/^\/query\/([\w-]+)$/);
    if (more?.[1]) return this.queryMore(more[1], res);
    if (path === '/jobs/query' && req.method === 'POST') return this.createJob(body, res);
    const job = path.match(/^\/jobs\/query\/(\w+)(\/results)?$/);
    if (job?.[1]) return this.jobRequest(job[1], Boolean(job[2]), req.method ?? 'GET', url, res);
    return json(res, 404, [{ message: `no resource ${path}`, errorCode: 'NOT_FOUND' }]);
  }

  private token(body: string, res: ServerResponse): undefined {
    const form = new URLSearchParams(body);
    const grant = form.get('grant_type');
    let ok = false;
    if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      ok = this.verifyAssertion(form.get('assertion') ?? '');
    } else if (grant === 'client_credentials') {
      ok =
        form.get('client_id') === this.opts.clientId &&
        this.opts.clientSecret !== undefined &&
        form.get('client_secret') === this.opts.clientSecret;
    }
    if (!ok) return json(res, 400, fixture('oauth-token-error-response.json'));
    const answer = fixture('oauth-token-response.json') as Record<string, unknown>;
    answer.access_token = this.issueToken();
    answer.instance_url = this.base;
    answer.id = `${this.base}/id/${this.opts.orgId}/005TS0000000001AAA`;
    answer.token_type = 'Bearer';
    answer.scope = 'api';
    json(res, 200, answer);
  }

  private verifyAssertion(assertion: string): boolean {
    const [h, c, s] = assertion.split('.');
    if (!h || !c || !s || !this.opts.publicKey) return false;
    const valid = createVerify('RSA-SHA256').update(`${h}.${c}`).verify(this.opts.publicKey, s, 'base64url');
    const claims = JSON.parse(Buffer.from(c, 'base64url').toString()) as Record<string, unknown>;
    return (
      valid &&
      claims.iss === this.opts.clientId &&
      claims.sub === this.opts.username &&
      claims.aud === this.base &&
      typeof claims.exp === 'number'
    );
  }

  private query(soql: string, res: ServerResponse): undefined {
    const parsed = parseSoql(soql);
    if (!parsed) return json(res, 400, [{ message: `cannot parse ${soql}`, errorCode: 'MALFORMED_QUERY' }]);
    const { object, fields } = parsed;
    const denied = this.opts.deny?.[object];
    if (denied) return json(res, denied.status, [{ message: denied.message, errorCode: denied.errorCode }]);
    const limited = this.opts.limitExceeded?.[object];
    if (limited && limited.times > 0) {
      limited.times -= 1;
      return json(res, 403, [{ message: limited.message, errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
    }
    const rows = this.select(parsed).map((r) => this.project(object, r, fields));
    const total = rows.length + (this.opts.totalSizeDelta?.[object] ?? 0);
    this.page(object, rows, 0, total, res);
  }

  private queryMore(locator: string, res: ServerResponse): undefined {
    const cursor = this.cursors.get(locator);
    if (!cursor)
      return json(res, 400, [{ message: 'invalid query locator', errorCode: 'INVALID_QUERY_LOCATOR' }]);
    if (this.opts.dropQueryMore?.includes(cursor.object)) {
      this.droppedLocators.push(locator);
      res.socket?.destroy();
      return;
    }
    const limited = this.opts.limitExceeded?.[cursor.object];
    if (limited && limited.times > 0) {
      limited.times -= 1;
      return json(res, 403, [{ message: limited.message, errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
    }
    this.page(cursor.object, cursor.rows, cursor.offset, cursor.total, res);
  }

  private page(
    object: string,
    rows: SfRecord[],
    offset: number,
    total: number,
    res: ServerResponse,
  ): undefined {
    const size = this.opts.batchSize ?? 1;
    const records = rows.slice(offset, offset + size);
    const next = offset + size;
    const done = next >= rows.length;
    const answer: Record<string, unknown> = { totalSize: total, done, records };
    if (!done) {
      const locator = `01gTS${String(++this.seq).padStart(10, '0')}-${next}`;
      this.cursors.set(locator, { object, rows, offset: next, total });
      answer.nextRecordsUrl = `/services/data/v${this.version}/query/${locator}`;
    }
    json(res, 200, answer);
  }

  private select(q: ParsedSoql): SfRecord[] {
    const rows = this.opts.tables[q.object] ?? [];
    if (!q.where) return rows;
    const w = q.where;
    return rows.filter((r) => {
      const v = this.valueAt(r, w.path);
      return w.values.some((x) => x === v);
    });
  }

  /** Follow `Parent.Field` through a nested object or, failing that, `<Parent>Id` into that table. */
  private valueAt(record: SfRecord, path: string[]): unknown {
    let cur: unknown = record;
    for (const seg of path) {
      if (cur === null || cur === undefined) return null;
      const rec = cur as SfRecord;
      if (seg in rec) cur = rec[seg];
      else if (typeof rec[`${seg}Id`] === 'string') {
        cur = (this.opts.tables[seg] ?? []).find((t) => t.Id === rec[`${seg}Id`]) ?? null;
      } else cur = null;
    }
    return cur ?? null;
  }

  private project(object: string, record: SfRecord, fields: string[]): SfRecord {
    const out: SfRecord = {
      attributes: {
        type: object,
        url: `/services/data/v${this.version}/sobjects/${object}/${String(record.Id)}`,
      },
    };
    for (const field of fields) {
      const path = field.split('.');
      let target = out;
      let src: unknown = record;
      for (const [i, seg] of path.entries()) {
        if (i === path.length - 1) {
          target[seg] = src === null ? undefined : this.valueAt(src as SfRecord, [seg]);
          break;
        }
        src = src === null ? null : this.valueAt(src as SfRecord, [seg]);
        if (src === null) {
          target[seg] = null;
          break;
        }
        const existing = target[seg];
        if (existing && typeof existing === 'object') target = existing as SfRecord;
        else {
          const child: SfRecord = {
            attributes: { type: seg, url: `/services/data/v${this.version}/sobjects/${seg}` },
          };
          target[seg] = child;
          target = child;
        }
      }
    }
    return out;
  }

  private createJob(body: string, res: ServerResponse): undefined {
    const { query } = JSON.parse(body) as { query: string };
    const parsed = parseSoql(query);
    if (!parsed) return json(res, 400, [{ message: 'bad query', errorCode: 'INVALIDJOB' }]);
    const id = `750TS${String(++this.seq).padStart(13, '0')}`;
    const rows = this.select(parsed).map((r) => this.project(parsed.object, r, parsed.fields));
    this.jobs.set(id, { id, object: parsed.object, fields: parsed.fields, rows, polls: 0, deleted: false });
    const shape = fixture('bulk2-ingest-job-create-response.json') as Record<string, unknown>;
    delete shape.contentUrl;
    json(res, 200, {
      ...shape,
      id,
      operation: 'query',
      object: parsed.object,
      state: 'UploadComplete',
      apiVersion: Number(this.version),
    });
  }

  private jobRequest(id: string, results: boolean, method: string, url: URL, res: ServerResponse): undefined {
    const job = this.jobs.get(id);
    if (!job || job.deleted) return json(res, 404, [{ message: 'no such job', errorCode: 'NOT_FOUND' }]);
    if (method === 'DELETE') {
      job.deleted = true;
      res.writeHead(204).end();
      return;
    }
    if (!results) {
      job.polls += 1;
      const complete = job.polls > (this.opts.bulkPollsBeforeComplete ?? 1);
      return json(res, 200, {
        id,
        operation: 'query',
        object: job.object,
        state: complete ? 'JobComplete' : 'InProgress',
        ...(complete ? { numberRecordsProcessed: job.rows.length } : {}),
      });
    }
    const max = Number(url.searchParams.get('maxRecords') ?? '50000');
    const offset = Number(url.searchParams.get('locator') ?? '0');
    const slice = job.rows.slice(offset, offset + max);
    const next = offset + max < job.rows.length ? String(offset + max) : 'null';
    const lines = [job.fields.map(quote).join(',')];
    for (const row of slice) lines.push(job.fields.map((f) => quote(csvValue(row, f.split('.')))).join(','));
    res.writeHead(200, {
      'content-type': 'text/csv',
      'Sforce-Locator': next,
      'Sforce-NumberOfRecords': String(slice.length),
    });
    res.end(`${lines.join('\n')}\n`);
  }
}

interface ParsedSoql {
  object: string;
  fields: string[];
  where?: { path: string[]; values: unknown[] };
}

/** The SOQL the connector sends: SELECT list FROM object [WHERE path IN (…) | path = literal]. */
function parseSoql(soql: string): ParsedSoql | undefined {
  const m = soql.match(/^SELECT (.+?) FROM (\w+)(?: WHERE (.+))?$/is);
  if (!m?.[1] || !m[2]) return undefined;
  const fields = m[1].split(',').map((f) => f.trim());
  const out: ParsedSoql = { object: m[2], fields };
  if (m[3]) {
    const inList = m[3].match(/^([\w.]+) IN \((.+)\)$/);
    const eq = m[3].match(/^([\w.]+) = (.+)$/);
    if (inList?.[1] && inList[2]) {
      out.where = { path: inList[1].split('.'), values: inList[2].split(',').map((v) => literal(v.trim())) };
    } else if (eq?.[1] && eq[2]) {
      out.where = { path: eq[1].split('.'), values: [literal(eq[2].trim())] };
    } else return undefined;
  }
  return out;
}

function literal(v: string): unknown {
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (v === 'null') return null;
  return v.replace(/^'|'$/g, '');
}

function csvValue(row: SfRecord, path: string[]): string {
  let cur: unknown = row;
  for (const seg of path) cur = cur && typeof cur === 'object' ? (cur as SfRecord)[seg] : undefined;
  return cur === null || cur === undefined ? '' : String(cur);
}

function quote(v: string): string {
  return `"${v.replace(/"/g, '""')}"`;
}

function json(res: ServerResponse, status: number, body: unknown): undefined {
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' });
  res.end(JSON.stringify(body));
  return undefined;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
