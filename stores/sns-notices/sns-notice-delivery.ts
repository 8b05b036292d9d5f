/**
 * `NoticeDelivery` (core/reviews/reminders.ts) on an SNS topic: each reminder or escalation is one
 * message, the email-ready text as the body and the recipient in the `to` attribute, so an email
 * subscription with a filter policy on `to` (or a mail relay subscribed to the topic) delivers it
 * to one person. The topic is the AWS counterpart of the local outbox folder.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { NoticeDelivery, NoticeMessage } from '../../core/reviews/reminders';

export interface SnsNoticeDeliveryOptions {
  client: SNSClient;
  topicArn: string;
}

/** SNS subjects: printable ASCII, no line break, under 100 characters. */
function snsSubject(subject: string): string {
  const ascii = subject
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return (ascii || 'AccessProof review notice').slice(0, 99);
}

/**
 * @example
 * const sns = new SnsNoticeDelivery({ client: new SNSClient({}), topicArn: env.REVIEW_NOTICES_TOPIC_ARN });
 * await sendDueNotices(store, sns, new Date(), { linkFor });
 */
export class SnsNoticeDelivery implements NoticeDelivery {
  readonly via = 'sns';

  constructor(private readonly options: SnsNoticeDeliveryOptions) {}

  async deliver(message: NoticeMessage): Promise<void> {
    const e = message.event;
    try {
      await this.options.client.send(
        new PublishCommand({
          TopicArn: this.options.topicArn,
          Subject: snsSubject(message.subject),
          Message: `To: ${message.to}\nSubject: ${message.subject}\n\n${message.text}`,
          MessageAttributes: {
            to: { DataType: 'String', StringValue: message.to },
            kind: { DataType: 'String', StringValue: e.kind },
            campaign: { DataType: 'String', StringValue: e.campaignId },
            reviewer: { DataType: 'String', StringValue: e.reviewer },
          },
        }),
      );
    } catch (err) {
      const x = err as { name?: string; message?: string };
      // The message text carries a sign-in link: the error names the notice, never its body.
      throw new Error(
        `SNS Publish of the ${e.kind} for ${e.reviewer} (campaign ${e.campaignId}) failed: ${x.name ?? 'Error'}: ${x.message ?? ''}`.trim(),
      );
    }
  }
}
