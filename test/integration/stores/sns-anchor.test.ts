/**
 * The anchor publisher against a local SNS imitation (the Query protocol on 127.0.0.1): what each
 * seal sends outside the account, as a subscriber receives it.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anchorOf, anchorSchema, parseExpectedHead } from '../../../core/evidence/anchor';
import { SnsHeadAnchor } from '../../../stores/sns-anchor/sns-head-anchor';
import { type RunningServer, startAwsServer } from '../../support/aws-query-server/http-server';

const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:accessproof-chain-anchors';
const published: URLSearchParams[] = [];
let server: RunningServer;
let refuse = false;

/** SNS Publish as the Query protocol carries it; `refuse` answers AuthorizationError. */
function snsImitation(form: URLSearchParams) {
  if (form.get('Action') !== 'Publish') return { status: 400, contentType: 'text/xml', body: '<Error/>' };
  if (refuse)
    return {
      status: 403,
      contentType: 'text/xml',
      body: '<ErrorResponse><Error><Type>Sender</Type><Code>AuthorizationError</Code><Message>not allowed</Message></Error></ErrorResponse>',
    };
  published.push(form);
  return {
    status: 200,
    contentType: 'text/xml',
    body: `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-${published.length}</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>`,
  };
}

beforeAll(async () => {
  server = await startAwsServer({ sns: (r) => snsImitation(r.form) });
});
afterAll(async () => {
  await server.close();
});

const client = () =>
  new SNSClient({
    endpoint: server.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'secret' },
  });

const sealed = {
  runId: 'run-2026-10-01',
  sequence: 7,
  manifestSha256: 'ab'.repeat(32),
  keyFingerprint: 'cd'.repeat(32),
  location: 's3://acme-evidence/accessproof/packs/2026/10/01/run-2026-10-01/',
};

describe('SNS head anchor', () => {
  it('publishes the sealed head as JSON a subscriber can keep and give to verify --expect-head', async () => {
    // Arrange
    const anchor = new SnsHeadAnchor({ client: client(), topicArn: TOPIC });

    // Act
    await anchor.publish(anchorOf(sealed));

    // Assert
    const form = published.at(-1)!;
    expect(form.get('TopicArn')).toBe(TOPIC);
    expect(form.get('Subject')).toBe('AccessProof chain head #7 run-2026-10-01');
    const received = anchorSchema.parse(JSON.parse(form.get('Message')!));
    expect(received).toEqual({ format: 'accessproof.anchor/1', ...sealed });
    expect(parseExpectedHead(`${received.sequence}:${received.manifestSha256}`)).toEqual({
      sequence: 7,
      manifestSha256: sealed.manifestSha256,
    });
  });

  it('names the topic and the pack when SNS refuses, so the step fails loudly', async () => {
    // Arrange
    refuse = true;
    const anchor = new SnsHeadAnchor({ client: client(), topicArn: TOPIC });

    // Act
    const publishing = anchor.publish(anchorOf(sealed));

    // Assert
    await expect(publishing).rejects.toThrow(
      `sns:Publish ${TOPIC}: anchor for pack #7 run-2026-10-01 not published: AuthorizationError`,
    );
    refuse = false;
  });

  it('refuses a head that is not SEQUENCE:SHA256', () => {
    // Assert
    expect(() => parseExpectedHead('7')).toThrow(/is not SEQUENCE:SHA256/);
    expect(() => parseExpectedHead(`0:${'a'.repeat(64)}`)).toThrow(/--expect-head/);
    expect(parseExpectedHead(` 12:${'A'.repeat(64)} `).manifestSha256).toBe('a'.repeat(64));
  });
});
