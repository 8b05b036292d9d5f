/**
 * A live upstream that accepts the connection and never answers must fail the source with a clear
 * message, not hold the run (issue 11): Graph, Salesforce (token endpoint and API) and AWS.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsLiveConnector } from '../../connectors/aws-iam/live/live-connector';
import { createEntraConnector } from '../../connectors/entra-id';
import { createSalesforceConnector, staticCredentials } from '../../connectors/salesforce';
import { READ_TIMEOUT_ENV } from '../../connectors/shared/read-timeout';
import { type CollectOutcome, collectSource } from '../../core/collect-driver';
import { awsSourceSchema, entraSourceSchema, salesforceSourceSchema } from '../../core/config';
import { type AnyConnector, silentLogger } from '../../core/connector';
import { testSource } from '../fixtures/entra/test-tenant';
import { MemoryStaging } from '../support/memory-staging';
import { fastRetries } from './aws-iam/live-harness';
import { fakeTokenProvider } from './entra-id/harness';

let silent: Server;
let url = '';
const sockets = new Set<Socket>();
let previous: string | undefined;

beforeAll(async () => {
  previous = process.env[READ_TIMEOUT_ENV];
  process.env[READ_TIMEOUT_ENV] = '0.5';
  // Accepts every connection and request, answers none.
  silent = createServer(() => undefined);
  silent.on('connection', (s) => sockets.add(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
});

afterAll(async () => {
  if (previous === undefined) delete process.env[READ_TIMEOUT_ENV];
  else process.env[READ_TIMEOUT_ENV] = previous;
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
});

async function collect(connector: AnyConnector, source: { id: string }): Promise<CollectOutcome> {
  return collectSource({
    connector,
    source,
    key: `run/${source.id}`,
    staging: new MemoryStaging(),
    now: () => new Date('2026-10-01T00:00:00Z'),
    logger: silentLogger,
  });
}

describe('a live upstream that never answers fails the source after the read timeout', () => {
  it('Microsoft Graph', async () => {
    // Act
    const outcome = await collect(
      createEntraConnector({ authProvider: fakeTokenProvider('silent-token') }) as AnyConnector,
      entraSourceSchema.parse(testSource({ graphBaseUrl: url })),
    );

    // Assert
    expect(outcome).toMatchObject({ status: 'failed' });
    if (outcome.status === 'failed') expect(outcome.error).toContain('no answer within 0.5 s');
  });

  it('the Salesforce token endpoint', async () => {
    // Act
    const outcome = await collect(
      createSalesforceConnector({
        credentials: staticCredentials({ kind: 'client-credentials', clientSecret: 'silent-secret-value' }),
      }) as AnyConnector,
      salesforceSourceSchema.parse({
        id: 'sfdc',
        system: 'salesforce',
        loginUrl: url,
        clientId: '3MVG9SILENT',
        auth: 'client-credentials',
      }),
    );

    // Assert
    expect(outcome).toMatchObject({ status: 'failed' });
    if (outcome.status === 'failed') expect(outcome.error).toContain('no answer within 0.5 s');
  });

  it('the Salesforce REST API', async () => {
    // Act
    const outcome = await collect(
      createSalesforceConnector({
        credentials: staticCredentials({
          kind: 'access-token',
          accessToken: 'silent-token',
          instanceUrl: url,
        }),
      }) as AnyConnector,
      salesforceSourceSchema.parse({ id: 'sfdc', system: 'salesforce', loginUrl: url }),
    );

    // Assert
    expect(outcome).toMatchObject({ status: 'failed' });
    if (outcome.status === 'failed') expect(outcome.error).toContain('no answer within 0.5 s');
  });

  it('AWS IAM', async () => {
    // Act
    const outcome = await collect(
      createAwsLiveConnector({
        client: {
          credentials: { accessKeyId: 'AKIASILENT', secretAccessKey: 'silent-secret' },
          retryStrategy: fastRetries(2).strategy,
        },
        sleep: async () => undefined,
      }) as AnyConnector,
      awsSourceSchema.parse({
        id: 'aws-silent',
        system: 'aws',
        accountId: '012345678901',
        endpoints: { iam: url, sts: url, organizations: url },
      }),
    );

    // Assert
    expect(outcome).toMatchObject({ status: 'failed' });
    if (outcome.status === 'failed') expect(outcome.error).toMatch(/timeout|timed out/i);
  });
});
