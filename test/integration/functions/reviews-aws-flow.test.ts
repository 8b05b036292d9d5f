/**
 * Issue 17's flow through the deployed Lambda handlers, in process, on the demo tenant: dynalite
 * (findings and reviews tables), s3rver (staging and evidence buckets); KMS, EventBridge and SNS
 * mocked as in run-on-demo.test.ts (test/support/lambda-harness.ts: the KMS mock signs with a real
 * local key, so verify checks real signatures).
 *
 * 1. A run (plan → collect → scan → seal) seals the base pack.
 * 2. The owner starts a campaign through review-start — the owner screens `/o` of `accessproof
 *    serve`, same router and pages — (verified owner email, CSRF): its population is the sealed
 *    pack's inventory, read back from the evidence bucket.
 * 3. Reviewers A and B through reviews-api (verified identities): A keeps two, revokes one with a
 *    note, delegates one; B cannot open A's items; A uploads an edited XLSX and a tampered one.
 * 4. The owner closes (forced, with a rationale). The next run seals the campaign with the
 *    revocation checked against its inventory, and the request audit log; verify passes but for
 *    what s3rver cannot keep. A run after the SLA raises REVIEW-REVOKE-NOT-DONE.
 * 5. The same past the SLA through the sharded scan (plan-shards → scan-shard → reconcile): the
 *    revocation is proven still present and REVIEW-REVOKE-NOT-DONE stays open.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../../core/evidence/verify';
import type { Campaign } from '../../../core/reviews/model';
import type { HttpApiEvent, HttpApiResult } from '../../../functions/shared/reviews-http';
import { DynamoDbFindingsRepository } from '../../../stores/dynamodb-findings';
import { DynamoDbReviewStore } from '../../../stores/dynamodb-reviews';
import { kmsKeyFingerprints } from '../../../stores/kms-signer/kms-key-fingerprint';
import { openPackReader } from '../../../stores/s3-evidence/open-pack-reader';
import {
  createFindingsTable,
  createReviewsTable,
  type RunningDynalite,
  startDynalite,
} from '../../support/dynalite';
import {
  answerSigningKey,
  demoRunConfig,
  handlerEnvironment,
  type Json,
  lambdaContext,
  loadHandlers,
  sfn,
  signingKeyPair,
} from '../../support/lambda-harness';
import { type LocalS3, startLocalS3 } from '../../support/s3rver';

const OWNER_ACCOUNT = '111122223333';
const STAGING = 'flow-staging';
const EVIDENCE = 'flow-evidence';
const FINDINGS = 'flow-findings';
const REVIEWS = 'flow-reviews';
const KEY_ARN = `arn:aws:kms:us-east-1:${OWNER_ACCOUNT}:key/manifest-signing`;
const IDP = 'EntraID';
const OWNER = 'controller@example.com';
const A = 'reviewer.a@example.com';
const B = 'reviewer.b@example.com';
const CFO = 'cfo@example.com';
const DAY = 86_400_000;

type Step = (event: unknown, context: Context) => Promise<unknown>;
type Http = (event: HttpApiEvent, context: Context) => Promise<HttpApiResult>;

const context = lambdaContext(undefined, { functionName: 'flow', account: OWNER_ACCOUNT });

const kms = mockClient(KMSClient);
const events = mockClient(EventBridgeClient);
const sns = mockClient(SNSClient);
const signingKey = signingKeyPair();

let ddb: RunningDynalite;
let s3: LocalS3;
let savedEnv: NodeJS.ProcessEnv;
let steps: Record<
  | 'plan'
  | 'collect-aws'
  | 'collect-entra'
  | 'collect-salesforce'
  | 'scan'
  | 'seal'
  | 'plan-shards'
  | 'scan-shard'
  | 'reconcile',
  Step
>;
let api: Http;
let start: Http;
let store: DynamoDbReviewStore;

/** The demo's Lambda-collectable sources (no ERP/HR/SAP files), absolute paths, shipped ruleset. */
const runConfig = () => demoRunConfig();

beforeAll(async () => {
  ddb = await startDynalite();
  await createFindingsTable(ddb.client, FINDINGS);
  await createReviewsTable(ddb.client, REVIEWS);
  s3 = await startLocalS3();
  await s3.createBucket(STAGING);
  await s3.createBucket(EVIDENCE);
  answerSigningKey(kms, KEY_ARN, signingKey);
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  savedEnv = { ...process.env };
  Object.assign(
    process.env,
    handlerEnvironment({
      s3,
      ddb,
      owner: OWNER_ACCOUNT,
      staging: STAGING,
      evidence: EVIDENCE,
      findingsTable: FINDINGS,
      keyArn: KEY_ARN,
      anchorTopicArn: `arn:aws:sns:us-east-1:${OWNER_ACCOUNT}:anchors`,
      serviceName: 'flow',
      extra: {
        REVIEWS_TABLE: REVIEWS,
        // Entries are sealed as soon as they are written (the default waits 5 minutes).
        REVIEW_AUDIT_SETTLE_SECONDS: '0',
        REVIEW_OWNERS: `${OWNER.toUpperCase()}, other.owner@example.com`,
        COGNITO_DOMAIN: 'https://auth.example.com',
        COGNITO_CLIENT_ID: 'client-123',
        APP_BASE_URL: 'https://reviews.example.com',
        IDENTITY_PROVIDER: IDP,
        // Key indexes beside the snapshots: what plan-shards reads (the single scan ignores them).
        KEY_INDEX: 'true',
      },
    }),
  );
  const handlers = await loadHandlers([
    'plan',
    'collect-aws',
    'collect-entra',
    'collect-salesforce',
    'scan',
    'seal',
    'plan-shards',
    'scan-shard',
    'reconcile',
    'reviews-api',
    'review-start',
  ] as const);
  const { 'reviews-api': reviewsApi, 'review-start': reviewStart, ...runSteps } = handlers;
  steps = runSteps;
  api = reviewsApi as unknown as Http;
  start = reviewStart as unknown as Http;
  store = new DynamoDbReviewStore({ tableName: REVIEWS, client: ddb.newClient() });
}, 300_000);

afterAll(async () => {
  process.env = savedEnv;
  kms.restore();
  events.restore();
  sns.restore();
  await s3?.stop();
  await ddb?.stop();
});

/**
 * plan → collect (each source to completion) → scan → seal, as the state machine passes JSON;
 * `sharded`: plan-shards → scan-shard per shard → reconcile in place of scan (`sharding` on).
 */
async function run(startedAt: Date, options: { sharded?: boolean } = {}) {
  const rc = runConfig();
  const plan = sfn<Json & { runId: string; sources: Json[] }>(
    await steps.plan(
      sfn({ execution: { name: `run-${startedAt.getTime()}`, startedAt }, runConfig: rc }),
      context,
    ),
  );
  const collected: Json[] = [];
  for (const source of plan.sources) {
    let state: Json = sfn({ runId: plan.runId, source, resumes: 0 });
    for (;;) {
      const step = steps[`collect-${(source as { system: string }).system}` as keyof typeof steps];
      const out = sfn<{ cursor?: string; result?: Json }>(await step(sfn(state), context));
      if (out.cursor === undefined) {
        collected.push(out.result!);
        break;
      }
      state = sfn({ runId: plan.runId, source, cursor: out.cursor, resumes: (state.resumes as number) + 1 });
    }
  }
  const input = { plan, runConfig: rc, collected };
  let shards: { count: number; shards: Json[] } | undefined;
  const lifecycles: boolean[] = [];
  if (options.sharded) {
    const list = sfn<{ count: number; shards: Json[] }>(
      await steps['plan-shards'](sfn({ plan, collected }), context),
    );
    shards = list;
    for (const shard of list.shards) {
      const done = sfn<{ lifecycle: boolean }>(await steps['scan-shard'](sfn({ ...input, shard }), context));
      lifecycles.push(done.lifecycle);
    }
  }
  const scan = sfn<Json & { byRule: Record<string, number> }>(
    shards
      ? await steps.reconcile(sfn({ ...input, shards }), context)
      : await steps.scan(sfn(input), context),
  );
  const seal = sfn<Json & { location: string; sequence: number }>(
    await steps.seal(sfn({ plan, runConfig: rc, collected, scan }), context),
  );
  return { plan, scan, seal, shards: shards?.count, lifecycles };
}

function claims(email: string) {
  return {
    email,
    email_verified: 'false',
    identities: JSON.stringify([{ providerName: IDP, providerType: 'OIDC', userId: email }]),
    origin_jti: `jti-of-${email}`,
    sub: `sub-${email}`,
  };
}

function event(
  method: string,
  url: string,
  as: string | undefined,
  body?: { form?: [string, string][]; multipart?: { type: string; bytes: Buffer } },
): HttpApiEvent {
  const u = new URL(url, 'https://reviews.example.com');
  const bytes = body?.form
    ? Buffer.from(new URLSearchParams(body.form).toString())
    : body?.multipart
      ? body.multipart.bytes
      : undefined;
  return {
    version: '2.0',
    rawPath: u.pathname,
    rawQueryString: u.search.slice(1),
    headers: {
      ...(body?.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      ...(body?.multipart ? { 'content-type': body.multipart.type } : {}),
    },
    ...(bytes ? { body: bytes.toString('base64'), isBase64Encoded: true } : { isBase64Encoded: false }),
    requestContext: {
      http: { method, sourceIp: '198.51.100.7' },
      ...(as ? { authorizer: { jwt: { claims: claims(as) } } } : {}),
    },
  };
}

const csrfIn = (res: HttpApiResult) => {
  const token = /name="csrf" value="([^"]+)"/.exec(res.body)?.[1];
  if (!token) throw new Error(`no CSRF token in a ${res.statusCode} page`);
  return token;
};

function multipart(fields: [string, string | Buffer][]): { type: string; bytes: Buffer } {
  const boundary = 'flowboundary7MA4YWxkTrZu0gW';
  const parts = fields.map(([name, value]) =>
    Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${typeof value === 'string' ? '' : '; filename="review.xlsx"\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'}\r\n\r\n`,
      ),
      typeof value === 'string' ? Buffer.from(value) : value,
      Buffer.from('\r\n'),
    ]),
  );
  return {
    type: `multipart/form-data; boundary=${boundary}`,
    bytes: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]),
  };
}

async function packText(location: string, file: string): Promise<string> {
  const { pathname } = new URL(location.replace(/^s3:\/\//, 'http://'));
  const out = await s3
    .client()
    .send(new GetObjectCommand({ Bucket: EVIDENCE, Key: `${pathname.replace(/^\/|\/$/g, '')}/${file}` }));
  return out.Body!.transformToString('utf8');
}

const jsonLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Json);

describe('issue 17 through the Lambda handlers (dynalite, s3rver)', () => {
  let campaign: Campaign;
  let revoked = '';
  let base: Awaited<ReturnType<typeof run>>;
  let next: Awaited<ReturnType<typeof run>>;

  it('starts a campaign from the sealed pack through review-start (the local /o screens), for owners only', async () => {
    // Arrange: the base pack.
    base = await run(new Date(Date.now() - DAY));
    const form = await start(event('GET', '/o/new', OWNER), context);
    const due = new Date(Date.now() + 10 * DAY).toISOString().slice(0, 10);
    const fields: [string, string][] = [
      ['name', 'Q4 access review'],
      ['due', due],
      ['privilegedOnly', 'yes'],
      ['reviewer', A],
      ['sourceReviewers', `entra=${B}`],
      ['fallback', CFO],
    ];

    // Act
    const notOwner = await start(event('GET', '/o/new', A), context);
    const anonymous = await start(event('GET', '/o', undefined), context);
    const byLink = await start(event('GET', '/o/some-owner-link-token', OWNER), context);
    const forged = await start(
      event('POST', '/o/new', A, { form: [...fields, ['csrf', csrfIn(form)]] }),
      context,
    );
    const noCsrf = await start(event('POST', '/o/new', OWNER, { form: fields }), context);
    const started = await start(
      event('POST', '/o/new', OWNER, { form: [...fields, ['csrf', csrfIn(form)]] }),
      context,
    );

    // Assert
    expect(form.statusCode).toBe(200);
    // The local owner pages: the pack's sources as checkboxes, the run it draws from.
    expect(form.body).toContain('name="source"');
    expect(form.body).toContain(base.plan.runId);
    expect(notOwner.statusCode).toBe(403);
    expect(anonymous.statusCode).toBe(401);
    expect(byLink.statusCode).toBe(404);
    expect(forged.statusCode).toBe(403);
    expect(noCsrf.statusCode).toBe(403);
    expect(started.statusCode).toBe(303);
    const campaigns = await store.list();
    expect(campaigns).toHaveLength(1);
    campaign = campaigns[0]!;
    expect(started.headers.location).toBe(`/o/c/${campaign.id}?done=created`);
    const manifest = JSON.parse(await packText(base.seal.location, 'manifest.json')) as Json;
    // The population is the sealed pack's: its run, its manifest hash.
    expect(campaign).toMatchObject({
      baseRunId: base.plan.runId,
      createdBy: OWNER,
      status: 'open',
      scope: expect.objectContaining({ privilegedOnly: true }),
    });
    expect(manifest.runId).toBe(base.plan.runId);
    expect(campaign.populationSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(campaign.items.every((i) => i.privileged)).toBe(true);
    expect(campaign.items.filter((i) => i.reviewer === A).length).toBeGreaterThanOrEqual(5);
    expect(campaign.items.filter((i) => i.reviewer === B).length).toBeGreaterThanOrEqual(1);
    const page = await start(event('GET', started.headers.location!, OWNER), context);
    expect(page.body).toContain(base.plan.runId);
    // The owner's home lists it; reviewers' links point at the app's campaign page.
    const home = await start(event('GET', '/o', OWNER), context);
    expect(home.body).toContain(`/o/c/${campaign.id}`);
    expect(page.body).toContain(`https://reviews.example.com/c/${campaign.id}`);
  }, 600_000);

  it('reviewers decide, delegate and upload through reviews-api; B cannot open A’s items', async () => {
    // Arrange
    const mine = campaign.items.filter((i) => i.reviewer === A).map((i) => i.id);
    const [keep1, keep2, revoke, delegate] = mine as [string, string, string, string];
    revoked = revoke;
    const list = await api(event('GET', `/c/${campaign.id}`, A), context);
    const csrf = csrfIn(list);
    const post = (as: string, form: [string, string][]) =>
      api(event('POST', `/c/${campaign.id}/decide`, as, { form }), context);

    // Act
    const kept = await post(A, [
      ['item', keep1],
      ['item', keep2],
      ['action', 'keep'],
      ['note', 'needed for month-end close'],
      ['csrf', csrf],
    ]);
    const revokedRes = await post(A, [
      ['item', revoke],
      ['action', 'revoke'],
      ['note', 'left the payments team'],
      ['csrf', csrf],
    ]);
    const delegated = await post(A, [
      ['item', delegate],
      ['action', 'delegate'],
      ['to', CFO],
      ['reason', 'the CFO owns this role'],
      ['csrf', csrf],
    ]);
    const bList = await api(event('GET', `/c/${campaign.id}`, B), context);
    const bOpens = await Promise.all(
      mine.map((id) => api(event('GET', `/c/${campaign.id}/items/${id}`, B), context)),
    );
    const bDecides = await post(B, [
      ['item', keep1],
      ['action', 'revoke'],
      ['note', 'not mine'],
      ['csrf', csrfIn(bList)],
    ]);
    // XLSX: A downloads, fills one row, and a tampered copy is refused with its row.
    const download = await api(event('GET', `/c/${campaign.id}/download`, A), context);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(download.body, 'base64') as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('Review')!;
    let row = 0;
    for (let r = 2; r <= ws.rowCount && row === 0; r++)
      if (ws.getRow(r).getCell(17).text === '' && ws.getRow(r).getCell(16).text === '') row = r;
    const offline = ws.getRow(row).getCell(1).text;
    ws.getRow(row).getCell(17).value = 'keep';
    ws.getRow(row).getCell(18).value = 'confirmed offline';
    const filled = Buffer.from(await wb.xlsx.writeBuffer());
    ws.getRow(row).getCell(9).value = 'Administrator';
    const tampered = Buffer.from(await wb.xlsx.writeBuffer());
    const upload = (bytes: Buffer) =>
      api(
        event('POST', `/c/${campaign.id}/upload`, A, {
          multipart: multipart([
            ['csrf', csrf],
            ['file', bytes],
          ]),
        }),
        context,
      );
    const refused = await upload(tampered);
    const accepted = await upload(filled);

    // Assert
    expect([kept, revokedRes, delegated].map((r) => r.statusCode)).toEqual([303, 303, 303]);
    for (const id of mine) expect(bList.body).not.toContain(`data-item="${id}"`);
    expect(bOpens.map((r) => r.statusCode)).toEqual(mine.map(() => 404));
    expect([403, 404]).toContain(bDecides.statusCode);
    expect(download.isBase64Encoded).toBe(true);
    expect(row).toBeGreaterThan(1);
    expect(refused.body).toMatch(new RegExp(`Row ${row}`));
    expect(accepted.statusCode).toBeLessThan(400);
    const now = (await store.get(campaign.id))!;
    const item = (id: string) => now.items.find((i) => i.id === id)!;
    expect(item(revoke).decision).toMatchObject({ outcome: 'revoke', by: A, channel: 'web' });
    expect(item(keep1).decision).toMatchObject({ outcome: 'keep', by: A });
    expect(item(delegate)).toMatchObject({
      reviewer: CFO,
      delegations: [expect.objectContaining({ from: A })],
    });
    expect(item(offline).decision).toMatchObject({ outcome: 'keep', channel: 'xlsx' });
  });

  it('the owner closes; the next run seals the campaign with its revocation checked, and the request log; verify passes', async () => {
    // Arrange
    const page = await start(event('GET', `/o/c/${campaign.id}`, OWNER), context);
    const close = (form: [string, string][]) =>
      start(event('POST', `/o/c/${campaign.id}/close`, OWNER, { form }), context);

    // Act
    const unforced = await close([['csrf', csrfIn(page)]]);
    const closed = await close([
      ['csrf', csrfIn(page)],
      ['force', 'yes'],
      ['rationale', 'B is on leave; the rest goes to the next quarter'],
    ]);
    next = await run(new Date(Date.now() + 60_000));
    const report = await verifyChain(
      openPackReader(`s3://${EVIDENCE}`, {
        s3: new S3Client({
          endpoint: s3.endpoint,
          region: 'us-east-1',
          forcePathStyle: true,
          credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
        }),
        expectedBucketOwner: OWNER_ACCOUNT,
      }),
      { resolveKeyFingerprint: kmsKeyFingerprints({ region: 'us-east-1' }) },
    );

    // Assert
    expect(unforced.statusCode).toBe(400);
    expect(closed.statusCode).toBe(303);
    const rows = jsonLines(await packText(next.seal.location, `reviews/${campaign.id}.jsonl`));
    expect(rows[0]).toMatchObject({ record: 'campaign', campaignId: campaign.id, status: 'closed' });
    expect(rows.find((r) => r.itemId === revoked)).toMatchObject({
      decision: { outcome: 'revoke', by: A },
      // Collected after the decision and still granted: not done (nothing claims it is).
      revocation: { status: 'still-present', runId: next.plan.runId },
    });
    const audit = jsonLines(await packText(next.seal.location, 'reviews/requests-audit.jsonl'));
    // The base run sealed an empty range: this one starts where it stopped.
    expect(audit[0]).toMatchObject({
      record: 'range',
      log: `dynamodb:${REVIEWS}`,
      fromAt: expect.any(String),
      continuous: true,
    });
    const actions = audit.slice(1).map((e) => `${e.action}:${e.outcome}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'campaign-create:ok',
        'campaign-create:refused',
        'decide:ok',
        'delegate:ok',
        'upload:refused',
        'upload:ok',
        'close:refused',
        'close:ok',
      ]),
    );
    expect(report.packs.map((p) => [p.sequence, p.signatureValid])).toEqual([
      [1, true],
      [2, true],
    ]);
    expect(new Set(report.problems.map((p) => p.code))).toEqual(
      new Set(['versions-unavailable', 'object-checksum', 'object-lock']),
    );
  }, 600_000);

  it('a run past the SLA raises REVIEW-REVOKE-NOT-DONE, and seals no audit entry twice', async () => {
    // Act
    const late = await run(new Date(Date.now() + 90 * DAY));

    // Assert
    expect(late.scan.byRule['REVIEW-REVOKE-NOT-DONE']).toBe(1);
    const repo = new DynamoDbFindingsRepository({ tableName: FINDINGS, client: ddb.client });
    const finding = (await repo.loadAll()).find((f) => f.rule === 'REVIEW-REVOKE-NOT-DONE');
    expect(finding).toMatchObject({ owner: OWNER, status: 'open' });
    const rows = jsonLines(await packText(late.seal.location, `reviews/${campaign.id}.jsonl`));
    expect(rows.find((r) => r.itemId === revoked)).toMatchObject({
      revocation: { status: 'still-present', overdue: true },
    });
    // Nothing new was requested since the previous pack: no audit file in this one.
    await expect(packText(late.seal.location, 'reviews/requests-audit.jsonl')).rejects.toThrow();
  }, 600_000);

  it('the sharded scan past the SLA proves the revocation still present and keeps REVIEW-REVOKE-NOT-DONE open', async () => {
    // Act
    const late = await run(new Date(Date.now() + 91 * DAY), { sharded: true });

    // Assert
    expect(late.shards).toBeGreaterThanOrEqual(1);
    // Each shard ran the findings lifecycle of its part (reconcile merged them).
    expect(late.lifecycles).toEqual(Array(late.shards).fill(true));
    expect(late.scan.byRule['REVIEW-REVOKE-NOT-DONE']).toBe(1);
    const repo = new DynamoDbFindingsRepository({ tableName: FINDINGS, client: ddb.client });
    const open = (await repo.loadAll()).filter((f) => f.rule === 'REVIEW-REVOKE-NOT-DONE');
    expect(open).toEqual([expect.objectContaining({ owner: OWNER, status: 'open' })]);
    const rows = jsonLines(await packText(late.seal.location, `reviews/${campaign.id}.jsonl`));
    expect(rows.find((r) => r.itemId === revoked)).toMatchObject({
      revocation: { status: 'still-present', overdue: true, runId: late.plan.runId },
    });
  }, 600_000);
});
