/**
 * One local HTTP server on 127.0.0.1 (free port) answering for several AWS services. It routes by
 * the service named in the SigV4 credential scope, as AWS front ends do, and knows the caller by
 * the access key id the request was signed with.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AwsRequest {
  service: string;
  accessKeyId: string;
  /** Form fields (Query protocol) or the parsed JSON body (JSON protocols). */
  form: URLSearchParams;
  json: unknown;
  /** `X-Amz-Target`, for JSON protocols. */
  target: string | undefined;
  requestId: string;
  /** HTTP method and path (with query), for REST protocols that route by them (Security Hub). */
  method: string;
  path: string;
}

export interface AwsResponse {
  status: number;
  contentType: string;
  body: string;
}

export type ServiceHandler = (req: AwsRequest) => AwsResponse | Promise<AwsResponse>;

export interface LoggedRequest {
  service: string;
  operation: string;
  accessKeyId: string;
  status: number;
  /** Query fields or JSON body as text, for assertions about what was asked. */
  params: string;
}

export interface RunningServer {
  endpoint: string;
  requests: LoggedRequest[];
  close(): Promise<void>;
}

const SCOPE = /Credential=([^/]+)\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/;

export async function startAwsServer(handlers: Record<string, ServiceHandler>): Promise<RunningServer> {
  const requests: LoggedRequest[] = [];
  const server: Server = createServer((req, res) => {
    void handle(req).then(
      ({ response, logged }) => {
        if (logged) requests.push(logged);
        res.writeHead(response.status, {
          'content-type': response.contentType,
          'x-amzn-requestid': randomUUID(),
        });
        res.end(response.body);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      },
    );
  });

  async function handle(req: IncomingMessage): Promise<{ response: AwsResponse; logged?: LoggedRequest }> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const m = SCOPE.exec(String(req.headers.authorization ?? ''));
    if (!m) return { response: { status: 403, contentType: 'text/plain', body: 'unsigned request' } };
    const [, accessKeyId = '', service = ''] = m;
    const handler = handlers[service];
    if (!handler) return { response: { status: 404, contentType: 'text/plain', body: `no ${service}` } };
    const target = req.headers['x-amz-target'] as string | undefined;
    const isJson = String(req.headers['content-type'] ?? '').includes('json');
    const form = isJson ? new URLSearchParams() : new URLSearchParams(text);
    const json = isJson && text ? (JSON.parse(text) as unknown) : undefined;
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const response = await handler({
      service,
      accessKeyId,
      form,
      json,
      target,
      requestId: randomUUID(),
      method,
      path,
    });
    const operation = target?.split('.').pop() ?? form.get('Action') ?? `${method} ${path}`;
    return {
      response,
      logged: {
        service,
        operation,
        accessKeyId,
        status: response.status,
        params: isJson ? text : form.toString(),
      },
    };
  }

  // Node closes an idle keep-alive socket after 5 s; under load the SDK can write into one the
  // server is closing, get ECONNRESET and retry, so a test counting attempts saw 2 AssumeRole calls
  // where AWS (which keeps connections far longer) would see 1.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
