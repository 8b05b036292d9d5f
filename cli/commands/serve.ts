/**
 * `accessproof serve --out DIR [--port N]`: the reviewer web app on 127.0.0.1 (docs/reviews.md).
 * node:http is adapted to the app's plain request object; the handlers are core/reviews/web.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InputError } from '../../core/errors';
import { createReviewApp, maxBodyBytesFor } from '../../core/reviews/web/app';
import type { AppRequest } from '../../core/reviews/web/http';
import { reviewerLink } from '../../core/reviews/web/links';
import { localCampaignBase, readOwnersCatalog } from '../../stores/sqlite-reviews/local-campaign-base';
import { OutboxDelivery } from '../../stores/sqlite-reviews/notice-outbox';
import { loadOrCreateReviewLinkKey, reviewAuditAppender } from '../../stores/sqlite-reviews/review-app-files';
import { reviewsDbFile, SqliteReviewStore } from '../../stores/sqlite-reviews/sqlite-review-store';
import { EXIT } from '../exit-codes';
import type { Output } from '../output';
import { localPaths } from '../paths';

export const DEFAULT_SERVE_PORT = 8417;

export interface ServeOptions {
  out: string;
  /** 0: any free port. */
  port?: number | string;
  /** The entitlement-owner catalog (owners.yaml) the owner's "Start a campaign" form may apply. */
  owners?: string;
}

export interface ReviewServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Start the app; resolves once it listens.
 *
 * @example
 * const server = await startReviewServer({ out: 'accessproof-out', port: 0 });
 * console.log(server.url); await server.close();
 */
export async function startReviewServer(opts: ServeOptions): Promise<ReviewServer> {
  const port = Number(opts.port ?? DEFAULT_SERVE_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InputError(`port ${opts.port}: a whole number from 0 to 65535`, { field: '--port' });
  }
  const paths = localPaths(opts.out, undefined);
  // Campaigns can start in the owner's screens, over a sealed pack: one of the two must be here.
  if (!existsSync(reviewsDbFile(paths.state)) && !existsSync(paths.evidence)) {
    throw new InputError(
      'no review campaigns here yet, and no sealed evidence pack to start one from: run `accessproof scan --out DIR` first',
      { file: paths.out, field: '--out' },
    );
  }
  const catalog = opts.owners !== undefined ? await readOwnersCatalog(opts.owners) : undefined;
  const store = SqliteReviewStore.open({ file: reviewsDbFile(paths.state) });
  const key = await loadOrCreateReviewLinkKey(paths.state);
  const now = () => new Date();
  // Links name the origin the server answers on, known once it listens.
  let origin = '';
  const app = createReviewApp({
    store,
    key,
    now,
    newId: () => randomBytes(18).toString('base64url'),
    audit: reviewAuditAppender(paths.state),
    // Owner screens: campaigns start over the newest sealed pack, as `review start` does;
    // reminders go to the same outbox as `review remind`.
    campaignBase: localCampaignBase(paths),
    ...(catalog ? { ownersCatalog: catalog } : {}),
    notices: new OutboxDelivery(paths.state, now),
    reviewerLink: (campaign, reviewer) =>
      origin ? reviewerLink(key, origin, campaign, reviewer) : undefined,
  });
  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const body = await readBody(req, maxBodyBytesFor(url.pathname));
        if (body === undefined) {
          res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' }).end('request too large');
          req.destroy();
          return;
        }
        // Forms arrive as text; anything else (a multipart upload) as base64, as in Lambda.
        const type = String(req.headers['content-type'] ?? '').toLowerCase();
        const text = type.startsWith('application/x-www-form-urlencoded') || body.length === 0;
        const request: AppRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: Object.fromEntries(
            Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]),
          ),
          body: text ? body.toString('utf8') : body.toString('base64'),
          ...(text ? {} : { isBase64Encoded: true }),
          ...(req.socket.remoteAddress ? { remote: req.socket.remoteAddress } : {}),
        };
        const out = await app(request);
        res.statusCode = out.status;
        for (const [k, v] of Object.entries(out.headers)) res.setHeader(k, v);
        if (out.cookies.length) res.setHeader('set-cookie', out.cookies);
        res.end(out.isBase64Encoded ? Buffer.from(out.body, 'base64') : out.body);
      } catch (err) {
        // The reason goes to the operator's terminal, never to the browser.
        process.stderr.write(`serve: ${(err as Error).message}\n`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error');
      }
    })();
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    // 127.0.0.1 only: the app is for this machine; nothing listens on other interfaces.
    server.listen(port, '127.0.0.1', () => done());
  });
  const address = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${address.port}`;
  return {
    url: origin,
    close: async () => {
      const closed = new Promise<void>((done) => server.close(() => done()));
      // Idle keep-alive connections (a reviewer's open tab) would hold close() for seconds.
      server.closeAllConnections();
      await closed;
      await store.close();
    },
  };
}

/** The body's bytes, or undefined once it passes `limit` bytes (declared or streamed). */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** `accessproof serve`: runs until interrupted. */
export async function runServe(opts: ServeOptions, out: Output): Promise<number> {
  const server = await startReviewServer(opts);
  out.line(
    `Reviewer app on ${server.url} (127.0.0.1 only). Reviewers sign in with the links of \`review start\` / \`review links\`.`,
  );
  out.line('Campaign owners sign in with the link of `review start` / `review owner-link`.');
  out.line('Stop with Ctrl-C.');
  await new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return EXIT.ok;
}
