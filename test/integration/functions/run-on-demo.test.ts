/**
 * The deployed run, in process: plan → collect → scan → seal → notify through the real Lambda
 * handlers (functions/<step>/handler.ts) on the demo tenant, against dynalite (the findings table)
 * and s3rver (staging and evidence buckets), then `verifyChain` over the sealed packs in S3.
 *
 * - Events pass between steps as JSON, shaped the way the state machine shapes them
 *   (infra/lib/scan-run-state-machine.ts: Plan's payload, the Map's item selector, the Choice on
 *   `$.source.system`, Resume with the cursor, `$.collected` / `$.scan` / `$.seal`).
 * - KMS, EventBridge and SNS have no local server: they go through aws-sdk-client-mock, and the KMS
 *   mock signs with a real local P-256 key, so verify checks real signatures.
 * - Security Hub is on (`securityHub: true` sets SECURITY_HUB_PRODUCT_ARN): notify imports the
 *   demo's findings into the local Security Hub imitation, which checks every ASFF field.
 * - Sources: the demo's AWS, Entra and Salesforce exports in files mode with absolute paths. Synth
 *   refuses files mode (a deployed Lambda has no exports on disk) but the collectors run it, which is
 *   what lets the demo run here; the ERP source is left out because no collector exists for it in
 *   AWS (the state machine's Choice would record it as failed).
 * - s3rver stores bytes and keys only: it lists no versions and keeps no Object Lock retention and
 *   no SHA-256 checksum, so verify must report exactly those three facts and nothing else. This test is NOT proof that the
 *   evidence is immutable; only S3 Object Lock is (see test/infra for the bucket's COMPLIANCE lock).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyFingerprint } from '../../../core/evidence/signature';
import { verifyChain } from '../../../core/evidence/verify';
import { decide } from '../../../core/reviews/decide';
import type { Campaign } from '../../../core/reviews/model';
import { LAMBDA_STEPS } from '../../../infra/lib/lambda-entries';
import { DynamoDbFindingsRepository } from '../../../stores/dynamodb-findings';
import { DynamoDbReviewStore } from '../../../stores/dynamodb-reviews';
import { kmsKeyFingerprints } from '../../../stores/kms-signer/kms-key-fingerprint';
import { openPackReader } from '../../../stores/s3-evidence/open-pack-reader';
import { type RunningServer, startAwsServer } from '../../support/aws-query-server/http-server';
import {
  createFindingsTable,
  createReviewsTable,
  type RunningDynalite,
  startDynalite,
} from '../../support/dynalite';
import {
  answerSigningKey,
  demoRunConfig,
  type Handler,
  handlerEnvironment,
  type Json,
  lambdaContext,
  loadHandlers,
  sfn,
  signingKeyPair,
} from '../../support/lambda-harness';
import { type LocalS3, startLocalS3 } from '../../support/s3rver';
import { securityHubImitation } from '../../support/security-hub-imitation';
import { CONTROLLER, itemOf, LATER, startedCampaign } from '../../unit/core/reviews/review-fixture';

const ROOT = resolve(import.meta.dirname, '../../..');
const DEMO = join(ROOT, 'examples', 'demo');
const OWNER = '111122223333';
const STAGING = 'accessproof-staging-test';
const EVIDENCE = 'accessproof-evidence-test';
const TABLE = 'accessproof-findings';
/** The reviewer app's table (`reviews` on): scan checks its revocations, seal seals its campaigns. */
const REVIEWS_TABLE = 'accessproof-reviews';
const KEY_ARN = `arn:aws:kms:us-east-1:${OWNER}:key/manifest-signing`;

const plenty = () => lambdaContext();

const kms = mockClient(KMSClient);
const events = mockClient(EventBridgeClient);
const ANCHOR_TOPIC = 'arn:aws:sns:us-east-1:111122223333:accessproof-chain-anchors';
const sns = mockClient(SNSClient);
const organizations = mockClient(OrganizationsClient);
const signingKey = signingKeyPair();
const { publicKey } = signingKey;

let ddb: RunningDynalite;
let s3: LocalS3;
const hub = securityHubImitation({ accountId: OWNER, region: 'us-east-1' });
let hubServer: RunningServer;
/** Every step the runtime stack deploys (sharding off). */
let steps: Record<(typeof LAMBDA_STEPS)[number], Handler>;
let savedEnv: NodeJS.ProcessEnv;
/** A campaign decided in the AWS app (stored in the reviews table) before the first run. */
let decided: Campaign;
/** KMS Sign fails while set: the seal step of that run fails. */
let kmsDown = false;

beforeAll(async () => {
  ddb = await startDynalite();
  await createFindingsTable(ddb.client, TABLE);
  await createReviewsTable(ddb.client, REVIEWS_TABLE);
  // What the reviews-api Lambda writes: a campaign, then one decision on it (ReviewStore.update).
  const reviewStore = new DynamoDbReviewStore({ tableName: REVIEWS_TABLE, client: ddb.client });
  const started = startedCampaign();
  await reviewStore.create(started);
  decided = await reviewStore.update(started.id, (c) =>
    decide(
      c,
      [itemOf(c, 'U-BOB', 'R-AP-PAY').id],
      { outcome: 'revoke', by: CONTROLLER, note: 'left AP' },
      LATER,
    ),
  );
  s3 = await startLocalS3();
  await s3.createBucket(STAGING);
  await s3.createBucket(EVIDENCE);
  hubServer = await startAwsServer({ securityhub: (r) => hub.handler(r) });

  answerSigningKey(kms, KEY_ARN, signingKey, () => kmsDown);
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
  sns.on(PublishCommand).resolves({ MessageId: 'digest-1' });

  // The handlers read their environment (what the AppFunction bind helpers set) at module load.
  savedEnv = { ...process.env };
  Object.assign(
    process.env,
    handlerEnvironment({
      s3,
      ddb,
      owner: OWNER,
      staging: STAGING,
      evidence: EVIDENCE,
      findingsTable: TABLE,
      keyArn: KEY_ARN,
      anchorTopicArn: ANCHOR_TOPIC,
      serviceName: 'accessproof-test',
      extra: {
        AWS_ENDPOINT_URL_SECURITYHUB: hubServer.endpoint,
        SECURITY_HUB_PRODUCT_ARN: `arn:aws:securityhub:us-east-1:${OWNER}:product/${OWNER}/default`,
        REVIEWS_TABLE,
      },
    }),
  );
  steps = await loadHandlers(LAMBDA_STEPS);
});

afterAll(async () => {
  process.env = savedEnv;
  kms.restore();
  events.restore();
  sns.restore();
  organizations.restore();
  await s3?.stop();
  await ddb?.stop();
  await hubServer?.close();
});

interface SourceResultJson {
  id: string;
  status: string;
  error?: string;
  counts: { principals: number; entitlements: number; grants: number };
  snapshot?: { location: string };
}

/**
 * One Map iteration as the state machine runs it: the item selector, the Choice on
 * `$.source.system`, the task's result at `$.collect`, Resume while a cursor comes back, then
 * `$.collect.result`. `firstContext` is the context of each source's first call (to force a pause).
 */
async function collectIteration(
  runId: string,
  source: Json,
  firstContext: () => Context,
): Promise<{ result: SourceResultJson; calls: number }> {
  let state: Json = sfn({ runId, source, resumes: 0 });
  for (let calls = 1; ; calls++) {
    const system = (state.source as { system: string }).system;
    const step = steps[`collect-${system}` as keyof typeof steps];
    if (!step) throw new Error(`no collector for ${system}`);
    const collect = sfn<{ done: boolean; cursor?: string; result?: SourceResultJson }>(
      await step(sfn(state), calls === 1 ? firstContext() : plenty()),
    );
    state = { ...state, collect };
    if (collect.cursor === undefined) return { result: collect.result!, calls };
    state = sfn({
      runId: state.runId,
      source: state.source,
      cursor: collect.cursor,
      resumes: (state.resumes as number) + 1,
    });
  }
}

/** Configure → Plan → CollectSources → Scan → Seal → Notify, as the state machine sequences them. */
async function runOnce(
  execution: { name: string; startedAt: string },
  runConfig: ReturnType<typeof demoRunConfig>,
  firstContext: () => Context,
) {
  const input = sfn({ runConfig });
  const plan = sfn<Json & { runId: string; sources: Json[]; failed: SourceResultJson[] }>(
    await steps.plan(sfn({ execution, runConfig: input.runConfig }), plenty()),
  );
  const iterations: Record<string, { result: SourceResultJson; calls: number }> = {};
  for (const source of plan.sources) {
    iterations[source.id as string] = await collectIteration(plan.runId, source, firstContext);
  }
  const collected = sfn<SourceResultJson[]>(Object.values(iterations).map((i) => i.result));
  const scan = sfn<Json & { resultKey: string; findings: number; byRule: Record<string, number> }>(
    await steps.scan(sfn({ plan, runConfig: input.runConfig, collected }), plenty()),
  );
  const seal = sfn<
    Json & { location: string; sequence: number; manifestSha256: string; keyFingerprint: string }
  >(await steps.seal(sfn({ plan, runConfig: input.runConfig, collected, scan }), plenty()));
  const digest = sfn<Json & { sources: SourceResultJson[]; open: number; opened: number }>(
    await steps.notify(sfn({ plan, collected, scan, seal }), plenty()),
  );
  return { plan, iterations, collected, scan, seal, digest };
}

async function readManifest(location: string): Promise<Json & { sources: Json[]; previous: Json | null }> {
  const { pathname } = new URL(location.replace(/^s3:\/\//, 'http://'));
  const out = await s3
    .client()
    .send(
      new GetObjectCommand({ Bucket: EVIDENCE, Key: `${pathname.replace(/^\/|\/$/g, '')}/manifest.json` }),
    );
  return JSON.parse(await out.Body!.transformToString('utf8')) as Json & {
    sources: Json[];
    previous: Json | null;
  };
}

async function readPackFile(location: string, file: string): Promise<string | undefined> {
  const { pathname } = new URL(location.replace(/^s3:\/\//, 'http://'));
  try {
    const out = await s3
      .client()
      .send(new GetObjectCommand({ Bucket: EVIDENCE, Key: `${pathname.replace(/^\/|\/$/g, '')}/${file}` }));
    return await out.Body!.transformToString('utf8');
  } catch (err) {
    if ((err as Error).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

/** verify over the whole bucket, as `accessproof verify s3://…` reads it, with KMS GetPublicKey to confirm the key. */
async function verifyBucket() {
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  return verifyChain(openPackReader(`s3://${EVIDENCE}`, { s3: client, expectedBucketOwner: OWNER }), {
    resolveKeyFingerprint: kmsKeyFingerprints({ region: 'us-east-1' }),
  });
}

describe('the deployed run, in process, on the demo tenant (dynalite, s3rver; KMS/EventBridge/SNS mocked)', () => {
  let first: Awaited<ReturnType<typeof runOnce>>;

  it('runs plan → collect (paused by the deadline and resumed from its cursor) → scan → seal → notify', async () => {
    // Arrange: each source's first collect call sees 100 s left on its first check, then 60 s —
    // under the 90 s margin — so every connector that needs a second page pauses with a cursor.
    const firstContext = () => {
      let checks = 0;
      return lambdaContext(() => (checks++ === 0 ? 100_000 : 60_000));
    };

    // Act
    first = await runOnce(
      { name: 'scheduled-run-1', startedAt: '2026-10-01T00:00:00.000Z' },
      demoRunConfig(),
      firstContext,
    );

    // Assert: the plan, with the objects the ruleset names added to the Salesforce source.
    expect(first.plan.runId).toMatch(/^20261001T000000Z-[0-9a-f]{8}$/);
    expect(first.plan.sources.map((s) => [s.id, s.system])).toEqual([
      ['aws-finance-prod', 'aws'],
      ['entra', 'entra'],
      ['salesforce', 'salesforce'],
    ]);
    expect(first.plan.failed).toEqual([]);
    expect(first.plan.sources.find((s) => s.id === 'salesforce')?.objects).toEqual(
      expect.arrayContaining(['Account', 'Opportunity', 'blng__Invoice__c']),
    );
    // Every source completed, only after a cursor round trip through the router.
    expect(Object.values(first.iterations).map((i) => [i.result.id, i.result.status])).toEqual([
      ['aws-finance-prod', 'complete'],
      ['entra', 'complete'],
      ['salesforce', 'complete'],
    ]);
    // Each paused after its first page (deadline) and finished on the call that carried the cursor.
    expect(Object.values(first.iterations).map((i) => i.calls)).toEqual([2, 2, 2]);
    for (const { result } of Object.values(first.iterations)) {
      expect(result.counts.principals).toBeGreaterThan(0);
      expect(result.snapshot?.location).toMatch(/^s3:\/\/accessproof-staging-test\/snapshots\//);
    }
    // The rules ran on the correlated tenant: SoD across systems and NHI hygiene.
    expect(first.scan.findings).toBeGreaterThan(0);
    expect(Object.keys(first.scan.byRule)).toEqual(expect.arrayContaining(['SOD-CONFLICT', 'NHI-NO-OWNER']));
    // Sealed into the evidence bucket, first of its chain, signed with the KMS key.
    expect(first.seal).toMatchObject({ sequence: 1, previous: null });
    expect(first.seal.location).toMatch(/^s3:\/\/accessproof-evidence-test\/packs\/2026\/10\/01\//);
    expect(first.seal.keyFingerprint).toBe(keyFingerprint(publicKey));
    expect(kms.commandCalls(SignCommand)).toHaveLength(1);
    // The pack seals the effective policy as `accessproof scan` does: configSha256 is its SHA-256, and
    // it holds no absolute path (the staged config names its exports by absolute path) nor a secret.
    const policy = await readPackFile(first.seal.location, 'policy.json');
    expect(policy).toBeDefined();
    const manifest = await readManifest(first.seal.location);
    expect(createHash('sha256').update(policy!).digest('hex')).toBe(manifest.configSha256);
    expect(first.plan.configSha256).toBe(manifest.configSha256);
    const doc = JSON.parse(policy!) as { sources: { id: string; mode: string }[]; rulesets: Json[] };
    expect(doc.sources.map((s) => [s.id, s.mode])).toEqual([
      ['aws-finance-prod', 'files'],
      ['entra', 'files'],
      ['salesforce', 'files'],
    ]);
    expect(doc.rulesets).toEqual([
      expect.objectContaining({
        id: 'sox-core',
        text: readFileSync(join(ROOT, 'rules', 'sox-core.yaml'), 'utf8'),
      }),
    ]);
    expect(policy).not.toContain(ROOT);
    expect(policy).not.toContain(DEMO);
    expect(policy).not.toMatch(/"\/(?:work|tmp|home|Users)\//);
    for (const secret of ['S3RVER', 'accessproof-test-external-id', 'AWS_SECRET'])
      expect(policy).not.toContain(secret);
    // One event per new finding on the bus (≤ 10 per PutEvents), one digest on the topic.
    const sent = events.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(sent).toHaveLength(first.digest.opened);
    expect(sent.every((e) => e.DetailType === 'finding.opened' && e.Source === 'accessproof')).toBe(true);
    // Seal anchors the new head on the anchor topic; notify sends one digest on its own topic.
    const published = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(published.map((p) => p.TopicArn)).toEqual([
      ANCHOR_TOPIC,
      `arn:aws:sns:us-east-1:${OWNER}:accessproof`,
    ]);
    expect(JSON.parse(published[0]!.Message!)).toMatchObject({
      runId: first.plan.runId,
      sequence: 1,
      manifestSha256: first.seal.manifestSha256,
      keyFingerprint: keyFingerprint(publicKey),
    });
    expect(published[1]?.Subject).toContain(first.plan.runId);
    // Security Hub took every finding of the run as valid ASFF, and the digest says so.
    expect(first.digest.securityHub).toEqual({
      imported: first.scan.findings,
      failed: 0,
      workflowUpdated: 0,
      workflowFailed: 0,
      errors: [],
    });
    expect(hub.findings.size).toBe(first.scan.findings);
    expect(published[1]?.Message).toContain(`Security Hub: ${first.scan.findings} imported, 0 failed`);
  });

  it('verify over s3://: every hash and signature holds; only the checksums and locks s3rver cannot keep are missing', async () => {
    // Act
    const report = await verifyBucket();

    // Assert
    expect(report.packs.map((p) => [p.runId, p.sequence, p.signatureValid])).toEqual([
      [first.plan.runId, 1, true],
    ]);
    expect(report.filesChecked).toBeGreaterThan(4);
    expect(report.keys.map((k) => [k.keyId, k.fingerprint, k.confirmedFingerprint])).toEqual([
      [KEY_ARN, keyFingerprint(publicKey), keyFingerprint(publicKey)],
    ]);
    // s3rver is not S3: it returns no ChecksumSHA256 and no Object Lock retention. Those two facts,
    // and nothing else (no changed, missing or unlisted file, no bad signature), are what verify reports.
    expect(new Set(report.problems.map((p) => p.code))).toEqual(
      new Set(['versions-unavailable', 'object-checksum', 'object-lock']),
    );
    expect(report.ok).toBe(false);
  });

  it('seals the campaigns of the reviews table under reviews/ with the decision made in the AWS app', async () => {
    // Arrange
    const item = itemOf(decided, 'U-BOB', 'R-AP-PAY');
    // Act
    const text = await readPackFile(first.seal.location, `reviews/${decided.id}.jsonl`);
    const manifest = (await readManifest(first.seal.location)) as unknown as { files: { path: string }[] };
    // Assert: the same records `accessproof scan` seals (core/reviews/evidence.ts), listed in the
    // signed manifest (verify above checked its hash), and the report's campaign dashboard.
    const rows = text!
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Json);
    expect(rows[0]).toMatchObject({ record: 'campaign', campaignId: decided.id });
    expect(rows.filter((r) => r.record === 'item')).toHaveLength(decided.items.length);
    expect(rows.find((r) => r.itemId === item.id)).toMatchObject({
      decision: { outcome: 'revoke', by: CONTROLLER, note: 'left AP', at: LATER.toISOString() },
    });
    // The scan step checked the revocation against the run's inventory: the campaign's source is
    // not one of this run's, so nothing is proven (unverified, never 'revoked').
    expect(rows.find((r) => r.itemId === item.id)).toMatchObject({
      revocation: {
        status: 'unverified',
        runId: first.plan.runId,
        detail: expect.stringContaining(
          `source ${item.sourceId} was not collected in run ${first.plan.runId}`,
        ),
      },
    });
    expect(rows.filter((r) => 'revocation' in r)).toHaveLength(1);
    expect(manifest.files.map((f) => f.path)).toContain(`reviews/${decided.id}.jsonl`);
    expect(await readPackFile(first.seal.location, 'report.html')).toContain(decided.name);
  });

  it('an Organization whose accounts cannot be listed is a failed source of the next run, which still seals and chains', async () => {
    // Arrange: ListAccounts denied (an error branch: no local Organizations server is needed for it).
    organizations.on(ListAccountsCommand).rejects(
      Object.assign(new Error('You do not have access to ListAccounts'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400, attempts: 1 },
      }),
    );
    const config = demoRunConfig([{ id: 'aws-org', system: 'aws', organization: true }]);

    // Act
    const second = await runOnce(
      { name: 'scheduled-run-2', startedAt: '2026-10-02T00:00:00.000Z' },
      config,
      plenty,
    );
    const report = await verifyBucket();

    // Assert: the plan carries the failure, the run goes on, and every later step records it.
    expect(second.plan.failed).toEqual([
      {
        id: 'aws-org',
        system: 'aws',
        status: 'failed',
        error: expect.stringMatching(/^organizations:ListAccounts page 1: /),
        counts: { principals: 0, entitlements: 0, grants: 0 },
      },
    ]);
    expect(second.plan.sources.map((s) => s.id)).toEqual(['aws-finance-prod', 'entra', 'salesforce']);
    expect(second.digest.sources.map((s) => [s.id, s.status])).toEqual([
      ['aws-org', 'failed'],
      ['aws-finance-prod', 'complete'],
      ['entra', 'complete'],
      ['salesforce', 'complete'],
    ]);
    const manifest = await readManifest(second.seal.location);
    expect(manifest.sources).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: 'aws-org', status: 'failed' })]),
    );
    // The second pack links to the first; the chain verifies but for what s3rver cannot keep.
    expect(second.seal.sequence).toBe(2);
    expect(manifest.previous).toEqual({ runId: first.plan.runId, manifestSha256: first.seal.manifestSha256 });
    expect(report.packs.map((p) => [p.runId, p.sequence, p.signatureValid])).toEqual([
      [first.plan.runId, 1, true],
      [second.plan.runId, 2, true],
    ]);
    expect(new Set(report.problems.map((p) => p.code))).toEqual(
      new Set(['versions-unavailable', 'object-checksum', 'object-lock']),
    );
  });

  it('a seal that fails is released by ReleaseRun (recorded, reservation given back); the next day seals, links and carries the record', async () => {
    // Arrange: day 3 runs through scan (which reserves the chain), then KMS refuses to sign.
    const execution = { name: 'scheduled-run-3', startedAt: '2026-10-03T00:00:00.000Z' };
    const runConfig = demoRunConfig();
    const plan = sfn<Json & { runId: string; sources: Json[] }>(
      await steps.plan(sfn({ execution, runConfig }), plenty()),
    );
    const collected: SourceResultJson[] = [];
    for (const source of plan.sources)
      collected.push((await collectIteration(plan.runId, source, plenty)).result);
    const scan = sfn<Json>(await steps.scan(sfn({ plan, runConfig, collected }), plenty()));
    kmsDown = true;
    let sealError: Error | undefined;
    try {
      await steps.seal(sfn({ plan, runConfig, collected, scan }), plenty());
    } catch (err) {
      sealError = err as Error;
    } finally {
      kmsDown = false;
    }

    // Act: the Catch hands ReleaseRun the step, the error as Step Functions shapes it, the redrive counts.
    const failure = {
      Error: sealError!.name,
      Cause: JSON.stringify({ errorType: sealError!.name, errorMessage: sealError!.message }),
    };
    const release = steps.release(
      sfn({ runId: plan.runId, step: 'seal', failure, failedAtRedrive: 0, redriveCount: 0 }),
      plenty(),
    );
    await expect(release).rejects.toMatchObject({ name: 'RunFailed' });
    await expect(release).rejects.toThrow(
      /seal failed .*reservation released; recorded as .*Redrive the execution to resume at scan/,
    );
    // A redrive reruns ReleaseRun with a higher count: it answers where to resume, records nothing more.
    expect(
      await steps.release(
        sfn({ runId: plan.runId, step: 'seal', failure, failedAtRedrive: 0, redriveCount: 1 }),
        plenty(),
      ),
    ).toEqual({ resumeAt: 'scan' });
    // Day 4: the scheduled run is not blocked; it seals #3 after #2.
    const fourth = await runOnce(
      { name: 'scheduled-run-4', startedAt: '2026-10-04T00:00:00.000Z' },
      demoRunConfig(),
      plenty,
    );
    const report = await verifyBucket();

    // Assert
    expect(sealError?.message).toMatch(/KMS is unavailable/);
    expect(fourth.seal.sequence).toBe(3);
    const manifest = await readManifest(fourth.seal.location);
    expect((manifest.previous as Json).runId).not.toBe(plan.runId);
    const records = (await readPackFile(fourth.seal.location, 'runs.jsonl'))!
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Json);
    expect(records).toEqual([
      expect.objectContaining({
        id: `${plan.runId}/failed/0`,
        runId: plan.runId,
        kind: 'failed',
        step: 'seal',
        error: expect.stringMatching(/KMS is unavailable/),
        reservation: 'released',
      }),
    ]);
    // The day-3 run sealed nothing: its unsigned files are reported as unsealed staging (a warning,
    // never a pack); otherwise the chain verifies but for what s3rver cannot keep.
    expect(report.packs.map((p) => p.sequence)).toEqual([1, 2, 3]);
    expect(report.packs.some((p) => p.runId === plan.runId)).toBe(false);
    expect(new Set(report.problems.map((p) => p.code))).toEqual(
      new Set(['versions-unavailable', 'object-checksum', 'object-lock', 'unsealed-staging']),
    );
    expect(report.problems.filter((p) => p.code === 'unsealed-staging').map((p) => p.severity)).toEqual([
      'warning',
    ]);
    expect(report.problems.find((p) => p.code === 'unsealed-staging')?.location).toContain(plan.runId);
    // Sealed once: the day-5 pack would not carry it again.
    const repo = new DynamoDbFindingsRepository({ tableName: TABLE, client: ddb.client });
    expect((await repo.listRunRecords()).map((r) => r.sealedIn)).toEqual([fourth.plan.runId]);
  });

  it('sharded (issue 18): Reconcile with a shard that left no output reconciles nothing, reserves nothing, changes no finding', async () => {
    // Arrange: a run planned as usual whose ScanShards map did not complete (shard 1 of 2 never wrote).
    const step = 'reconcile';
    const reconcile = ((await import(`../../../functions/${step}/handler.ts`)) as { handler: Handler })
      .handler;
    const runConfig = demoRunConfig();
    const plan = sfn<Json & { runId: string }>(
      await steps.plan(
        sfn({ execution: { name: 'sharded-run-6', startedAt: '2026-10-06T00:00:00.000Z' }, runConfig }),
        plenty(),
      ),
    );
    const repo = new DynamoDbFindingsRepository({ tableName: TABLE, client: ddb.client });
    const before = await repo.loadAll();
    const shards = { runId: plan.runId, count: 2, shards: [0, 1].map((shard) => ({ shard, count: 2 })) };

    // Act + Assert: the step fails (the state machine's Catch fails the run), nothing is resolved.
    await expect(
      reconcile(sfn({ plan, runConfig, collected: first.collected, shards }), plenty()),
    ).rejects.toThrow(/shard 0 of 2 of run .* has no result: nothing was reconciled/);
    expect((await repo.pendingReservation()) ?? undefined).toBeUndefined();
    expect(await repo.loadAll()).toEqual(before);
  });
});
