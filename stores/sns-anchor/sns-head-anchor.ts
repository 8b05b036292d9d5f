/**
 * `HeadAnchor` on an SNS topic: each sealed pack's `{runId, sequence, manifestSha256,
 * keyFingerprint}` goes to the anchor topic, whose subscribers sit outside the account (an
 * auditor's mailbox, a queue in a log-archive account). What they received cannot be rewritten
 * from inside the account; `verify --expect-head SEQUENCE:SHA256` checks a chain against it.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { type Anchor, anchorSchema, type HeadAnchor } from '../../core/evidence/anchor';

export interface SnsHeadAnchorOptions {
  client: SNSClient;
  topicArn: string;
}

/**
 * @example
 * const anchor = new SnsHeadAnchor({ client: new SNSClient({}), topicArn: env.ANCHOR_TOPIC_ARN });
 * await anchor.publish(anchorOf(sealed));
 */
export class SnsHeadAnchor implements HeadAnchor {
  constructor(private readonly options: SnsHeadAnchorOptions) {}

  async publish(anchor: Anchor): Promise<void> {
    const checked = anchorSchema.parse(anchor);
    try {
      await this.options.client.send(
        new PublishCommand({
          TopicArn: this.options.topicArn,
          // The subject lets a mailbox rule file anchors; the JSON body is what an auditor keeps.
          Subject: `AccessProof chain head #${checked.sequence} ${checked.runId}`.slice(0, 100),
          Message: JSON.stringify(checked),
          MessageAttributes: {
            sequence: { DataType: 'Number', StringValue: String(checked.sequence) },
            manifestSha256: { DataType: 'String', StringValue: checked.manifestSha256 },
          },
        }),
      );
    } catch (err) {
      const e = err as { name?: string; message?: string };
      throw new Error(
        `sns:Publish ${this.options.topicArn}: anchor for pack #${checked.sequence} ${checked.runId} not published: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`,
        { cause: err },
      );
    }
  }
}
