/**
 * One authenticated jsforce connection plus the guards every call goes through: the daily API
 * budget (`Sforce-Limit-Info`), `REQUEST_LIMIT_EXCEEDED` back-off, one re-authentication when the
 * session expires, and the call log. Secrets live only inside the jsforce connection, never in
 * connector state, messages or logs.
 */
import { createSign } from 'node:crypto';
import type { Connection, HttpRequest } from 'jsforce';
import type { SalesforceSource } from '../../core/config';
import type { CollectContext } from '../../core/connector';
import { InputError, SourceError } from '../../core/errors';
import { noAnswerMessage, readTimeoutMs } from '../shared/read-timeout';
import type { SalesforceCredentials } from './credentials';
import { type QueryResultPage, queryResult } from './records';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** An upstream error with Salesforce's `errorCode` kept, so callers can tell access errors apart. */
export class SalesforceApiError extends SourceError {
  readonly errorCode: string;
  constructor(
    message: string,
    errorCode: string,
    context: { operation: string; page?: number; cause?: unknown },
  ) {
    super(message, context);
    this.errorCode = errorCode;
  }
}

export interface SessionOptions {
  /** Waits between `REQUEST_LIMIT_EXCEEDED` retries and Bulk job polls. */
  sleep: (ms: number) => Promise<void>;
  /** Back-off before each retry of a `REQUEST_LIMIT_EXCEEDED` answer; its length bounds the retries. */
  retryDelaysMs: readonly number[];
}

export interface ApiUsage {
  used: number;
  limit: number;
}

interface RawResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}
interface HttpTransport {
  httpRequest(req: HttpRequest, options?: object): Promise<RawResponse>;
}

/**
 * @example
 * const session = await SalesforceSession.open(ctx, credentials, options);
 * const first = await session.queryPage(ctx, 'SOQL User', { soql }, soql, undefined, 1);
 */
export class SalesforceSession {
  private usage: ApiUsage | undefined;

  private constructor(
    private conn: Connection,
    private readonly source: SalesforceSource,
    private readonly credentials: SalesforceCredentials,
    private readonly options: SessionOptions,
  ) {}

  get instanceUrl(): string {
    return this.conn.instanceUrl;
  }

  get apiUsage(): ApiUsage | undefined {
    return this.usage;
  }

  /** Authenticate, then read `/limits` so the budget is known before the first query. */
  static async open(
    ctx: CollectContext<SalesforceSource>,
    credentials: SalesforceCredentials,
    options: SessionOptions,
  ): Promise<SalesforceSession> {
    const conn = await connect(ctx, credentials);
    // The session token is a secret as much as the credential that obtained it.
    if (conn.accessToken) ctx.secret?.(conn.accessToken);
    const session = new SalesforceSession(conn, ctx.source, credentials, options);
    session.observe();
    await session.readLimits(ctx);
    return session;
  }

  /** Track `Sforce-Limit-Info: api-usage=N/M` on every response, Bulk API included. */
  private observe(): void {
    const conn = this.conn as unknown as { _transport: HttpTransport };
    const inner = conn._transport;
    const wrapped: HttpTransport = Object.create(inner);
    const timeout = readTimeoutMs();
    wrapped.httpRequest = (req, opts) => {
      const pending = inner.httpRequest(req, { ...opts, timeout });
      pending.then(
        (res) => this.noteUsage(res?.headers?.['sforce-limit-info']),
        () => undefined,
      );
      return pending;
    };
    conn._transport = wrapped;
  }

  private noteUsage(header: string | undefined): void {
    const m = header?.match(/api-usage=(\d+)\/(\d+)/);
    if (m?.[1] && m[2]) this.usage = { used: Number(m[1]), limit: Number(m[2]) };
  }

  private async readLimits(ctx: CollectContext<SalesforceSource>): Promise<void> {
    const limits = (await this.call(ctx, 'GET /limits', undefined, 1, (c) =>
      c.limits(),
    )) as unknown as Record<string, { Max?: number; Remaining?: number } | undefined>;
    const daily = limits.DailyApiRequests;
    if (typeof daily?.Max === 'number' && typeof daily.Remaining === 'number') {
      this.usage = { used: daily.Max - daily.Remaining, limit: daily.Max };
    }
    this.guard('GET /limits');
  }

  /** Stop cleanly before the org's daily API use passes the configured share. */
  private guard(operation: string, page?: number): void {
    const u = this.usage;
    if (!u || u.limit <= 0) return;
    const share = this.source.maxApiUsageShare;
    if (u.used + 1 > share * u.limit) {
      throw new SourceError(
        `stopped before the org's daily API use passes ${pct(share)}: ${u.used} of ${u.limit} requests used ` +
          `(${pct(u.used / u.limit)}); raise maxApiUsageShare or run later`,
        { operation, ...(page !== undefined ? { page } : {}) },
      );
    }
  }

  /**
   * Make one guarded, logged upstream call. `REQUEST_LIMIT_EXCEEDED` (concurrency limits) is retried
   * after the configured back-off; an exhausted daily limit (`TotalRequests`) is not. Error messages
   * are stripped of URLs and of the `sensitive` literals (query locators), see {@link redactUrls}.
   */
  async call<T>(
    ctx: CollectContext<SalesforceSource>,
    operation: string,
    params: Record<string, string> | undefined,
    page: number,
    fn: (conn: Connection) => Promise<T>,
    sensitive: readonly string[] = [],
  ): Promise<T> {
    let reauthorized = false;
    for (let attempt = 0; ; attempt++) {
      this.guard(operation, page);
      ctx.calls.record(operation, { calls: 1 }, params);
      try {
        return await fn(this.conn);
      } catch (err) {
        const described = describe(err, readTimeoutMs());
        const code = described.code;
        // Network errors (FetchError) quote the request URL: the instance and the query locator. The
        // errors below carry no `cause` for the same reason: the raw error holds the URL unredacted.
        const message = redactUrls(described.message, [this.conn.instanceUrl, ...sensitive]);
        if (code === 'REQUEST_LIMIT_EXCEEDED') {
          if (/TotalRequests/i.test(message)) {
            throw new SalesforceApiError(
              `the org's daily API request limit is exhausted (REQUEST_LIMIT_EXCEEDED: ${message})`,
              code,
              { operation, page },
            );
          }
          const delay = this.options.retryDelaysMs[attempt];
          if (delay === undefined) {
            throw new SalesforceApiError(
              `REQUEST_LIMIT_EXCEEDED after ${attempt + 1} attempts: ${message}`,
              code,
              { operation, page },
            );
          }
          ctx.logger.warn('salesforce: REQUEST_LIMIT_EXCEEDED, backing off', {
            operation,
            page,
            attempt: attempt + 1,
            delayMs: delay,
          });
          await this.options.sleep(delay);
          continue;
        }
        if (code === 'INVALID_SESSION_ID' && !reauthorized && this.credentials.kind !== 'access-token') {
          reauthorized = true;
          ctx.logger.info('salesforce: session expired, authenticating again', { operation, page });
          this.conn = await connect(ctx, this.credentials);
          if (this.conn.accessToken) ctx.secret?.(this.conn.accessToken);
          this.observe();
          continue;
        }
        throw new SalesforceApiError(`${code}: ${message}`, code, { operation, page });
      }
    }
  }

  /** One page of a SOQL answer: the first (`/query`) or the next (`nextRecordsUrl`). */
  async queryPage(
    ctx: CollectContext<SalesforceSource>,
    operation: string,
    params: Record<string, string>,
    soql: string,
    nextRecordsUrl: string | undefined,
    page: number,
  ): Promise<QueryResultPage> {
    // One page per call: autoFetch would keep nextRecordsUrl inside jsforce, out of reach of a checkpoint.
    const options = {
      autoFetch: false,
      maxFetch: Number.MAX_SAFE_INTEGER,
      scanAll: false,
      headers: { 'Sforce-Query-Options': 'batchSize=2000' },
      responseTarget: 'QueryResult' as const,
    };
    const raw = await this.call(
      ctx,
      operation,
      params,
      page,
      async (c) =>
        nextRecordsUrl ? await c.queryMore(nextRecordsUrl, options) : await c.query(soql, options),
      nextRecordsUrl ? [nextRecordsUrl, locatorOf(nextRecordsUrl)] : [],
    );
    const parsed = queryResult.safeParse(raw);
    if (!parsed.success) {
      throw new SourceError(`unexpected query answer: ${parsed.error.issues[0]?.message ?? 'invalid'}`, {
        operation,
        page,
      });
    }
    return parsed.data;
  }

  /** Bulk API 2.0: create a query job. */
  async createQueryJob(
    ctx: CollectContext<SalesforceSource>,
    operation: string,
    params: Record<string, string>,
    soql: string,
  ): Promise<string> {
    const job = (await this.call(ctx, operation, params, 1, (c) =>
      c.requestPost('/jobs/query', { operation: 'query', query: soql }),
    )) as { id?: unknown };
    if (typeof job?.id !== 'string') throw new SourceError('Bulk API 2.0 job has no id', { operation });
    return job.id;
  }

  /** Bulk API 2.0: the job's state and the rows it processed. */
  async queryJobInfo(
    ctx: CollectContext<SalesforceSource>,
    operation: string,
    params: Record<string, string>,
    jobId: string,
  ): Promise<{ state: string; numberRecordsProcessed?: number; errorMessage?: string }> {
    const info = (await this.call(ctx, operation, params, 1, (c) =>
      c.request(`/jobs/query/${encodeURIComponent(jobId)}`),
    )) as { state?: unknown; numberRecordsProcessed?: unknown; errorMessage?: unknown };
    return {
      state: String(info?.state ?? 'unknown'),
      ...(typeof info?.numberRecordsProcessed === 'number'
        ? { numberRecordsProcessed: info.numberRecordsProcessed }
        : {}),
      ...(typeof info?.errorMessage === 'string' ? { errorMessage: info.errorMessage } : {}),
    };
  }

  /** Bulk API 2.0: one page of results (CSV text) and the locator of the next page. */
  async queryJobResults(
    ctx: CollectContext<SalesforceSource>,
    operation: string,
    params: Record<string, string>,
    jobId: string,
    locator: string | undefined,
    maxRecords: number,
    page: number,
  ): Promise<{ csv: string; locator: string | undefined }> {
    let headers: Record<string, string> = {};
    const url =
      `/jobs/query/${encodeURIComponent(jobId)}/results?maxRecords=${maxRecords}` +
      (locator ? `&locator=${encodeURIComponent(locator)}` : '');
    const csv = await this.call(
      ctx,
      operation,
      params,
      page,
      (c) => {
        const inner = (c as unknown as { _transport: HttpTransport })._transport;
        // The next locator is a response header, which jsforce's request() does not return.
        const capture: HttpTransport = {
          httpRequest: (req, opts) => {
            const pending = inner.httpRequest(req, opts);
            pending.then(
              (res) => {
                headers = res?.headers ?? {};
              },
              () => undefined,
            );
            return pending;
          },
        };
        return c.request<string>(
          { method: 'GET', url, headers: { Accept: 'text/csv' } },
          { responseType: 'text/plain', transport: capture },
        );
      },
      locator ? [url, locator] : [url],
    );
    const next = headers['sforce-locator'];
    return { csv: String(csv ?? ''), locator: next && next !== 'null' ? next : undefined };
  }

  /** Bulk API 2.0: delete a finished job (best effort: a leftover job expires on its own). */
  async deleteQueryJob(
    ctx: CollectContext<SalesforceSource>,
    operation: string,
    params: Record<string, string>,
    jobId: string,
  ): Promise<void> {
    try {
      await this.call(ctx, operation, params, 1, (c) =>
        c.request({ method: 'DELETE', url: `/jobs/query/${encodeURIComponent(jobId)}` }),
      );
    } catch (err) {
      ctx.logger.warn('salesforce: Bulk API 2.0 job not deleted', {
        operation,
        error: describe(err).message,
      });
    }
  }

  /** Wait (between Bulk job polls). */
  sleep(ms: number): Promise<void> {
    return this.options.sleep(ms);
  }
}

/** Run the configured OAuth flow (or adopt an injected session) and return a ready connection. */
async function connect(
  ctx: CollectContext<SalesforceSource>,
  credentials: SalesforceCredentials,
): Promise<Connection> {
  // jsforce is large: loaded when a live session opens, not by every run that loads the connector.
  const { Connection } = await import('jsforce');
  const source = ctx.source;
  const base = { version: source.apiVersion, logLevel: 'NONE' as const };
  if (credentials.kind === 'access-token') {
    return new Connection({
      ...base,
      instanceUrl: credentials.instanceUrl,
      accessToken: credentials.accessToken,
    });
  }
  const loginUrl = source.loginUrl.replace(/\/+$/, '');
  if (!source.clientId) {
    throw new InputError('clientId (the connected app consumer key) is required for the live API', {
      field: `sources.${source.id}.clientId`,
    });
  }
  let conn: Connection;
  let params: { grant_type: string; [name: string]: string };
  const flow = credentials.kind === 'jwt' ? 'jwt-bearer' : 'client-credentials';
  if (credentials.kind === 'jwt') {
    if (!source.username) {
      throw new InputError('username (the user the JWT names) is required for the JWT bearer flow', {
        field: `sources.${source.id}.username`,
      });
    }
    // The consumer key travels inside the signed assertion, not as a client_id parameter.
    conn = new Connection({ ...base, loginUrl, oauth2: { loginUrl } });
    params = {
      grant_type: JWT_BEARER,
      assertion: jwtAssertion(source.clientId, source.username, loginUrl, credentials.privateKey, ctx.now()),
    };
  } else {
    conn = new Connection({
      ...base,
      loginUrl,
      oauth2: { loginUrl, clientId: source.clientId, clientSecret: credentials.clientSecret },
    });
    params = { grant_type: 'client_credentials' };
  }
  ctx.calls.record('OAuth token', { calls: 1 }, { flow });
  boundTokenRequests(conn);
  try {
    await conn.authorize(params);
  } catch (err) {
    // jsforce puts the token endpoint's error_description in the message; the request body is never echoed.
    const { code, message } = describe(err, readTimeoutMs());
    throw new SalesforceApiError(`${code}: ${message}`, code, {
      operation: `OAuth token (${flow})`,
      cause: err,
    });
  }
  return conn;
}

/** RS256 JWT for the bearer flow: iss = consumer key, sub = username, aud = login URL, 3 minutes. */
export function jwtAssertion(
  clientId: string,
  username: string,
  audience: string,
  privateKey: string,
  now: Date,
): string {
  const enc = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const body = `${enc({ alg: 'RS256' })}.${enc({
    iss: clientId,
    sub: username,
    aud: audience,
    exp: Math.floor(now.getTime() / 1000) + 180,
  })}`;
  let signature: string;
  try {
    signature = createSign('RSA-SHA256').update(body).sign(privateKey, 'base64url');
  } catch {
    // The crypto error can quote key material in some OpenSSL builds: report only that it failed.
    throw new SourceError('the JWT private key cannot sign (is it an RSA key in PEM form?)', {
      operation: 'OAuth token (jwt-bearer)',
    });
  }
  return `${body}.${signature}`;
}

/** The last path segment of a `nextRecordsUrl`: the query locator itself. */
function locatorOf(nextRecordsUrl: string): string {
  return nextRecordsUrl.slice(nextRecordsUrl.lastIndexOf('/') + 1);
}

/**
 * The message with every absolute URL replaced by `<url>`, then each non-empty `literal` (instance
 * URL, `nextRecordsUrl`, locator) likewise: a query locator reads the rest of a result set.
 *
 * @example
 * redactUrls('request to http://h/query/01gX-2000 failed', ['01gX-2000']); // 'request to <url> failed'
 */
export function redactUrls(message: string, literals: readonly string[] = []): string {
  let out = message.replace(/https?:\/\/\S+/gi, '<url>');
  // Longest first, so a locator inside its own nextRecordsUrl does not leave the URL's prefix behind.
  for (const lit of [...literals]
    .filter((l) => typeof l === 'string' && l.length >= 4)
    .sort((a, b) => b.length - a.length)) {
    out = out.split(lit).join('<url>');
  }
  return out;
}

/** The token endpoint's requests end after the read timeout too (jsforce's own default is 30 minutes). */
function boundTokenRequests(conn: Connection): void {
  const oauth2 = conn.oauth2 as unknown as { _transport?: HttpTransport };
  const inner = oauth2._transport;
  if (!inner) return;
  const timeout = readTimeoutMs();
  const wrapped: HttpTransport = Object.create(inner);
  wrapped.httpRequest = (req, opts) => inner.httpRequest(req, { ...opts, timeout });
  oauth2._transport = wrapped;
}

/**
 * Salesforce's error code and message from a jsforce error (JSON bodies and text bodies alike).
 * A request aborted by the read timeout says so (jsforce's text claims "10 minutes" whatever the limit).
 */
export function describe(err: unknown, timeoutMs?: number): { code: string; message: string } {
  const e = err as { errorCode?: unknown; name?: unknown; message?: unknown };
  if (timeoutMs !== undefined && e?.name === 'AbortError')
    return { code: 'TIMEOUT', message: noAnswerMessage(timeoutMs) };
  let code = typeof e?.errorCode === 'string' ? e.errorCode : typeof e?.name === 'string' ? e.name : 'Error';
  let message = typeof e?.message === 'string' ? e.message : String(err);
  // A text-typed request (Bulk results) leaves the JSON error body in the message.
  if (code.startsWith('ERROR_HTTP_')) {
    const m = message.match(/"errorCode"\s*:\s*"([A-Z_]+)"[^}]*?"message"\s*:\s*"([^"]*)"/);
    const m2 = message.match(/"message"\s*:\s*"([^"]*)"[^}]*?"errorCode"\s*:\s*"([A-Z_]+)"/);
    if (m?.[1]) [code, message] = [m[1], m[2] ?? message];
    else if (m2?.[2]) [code, message] = [m2[2], m2[1] ?? message];
  }
  return { code, message: message.length > 500 ? `${message.slice(0, 500)}…` : message };
}

function pct(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
