/**
 * core's Notifier in AWS: one EventBridge event per new, reopened or overdue finding on the findings
 * bus (`source: accessproof`, `detail-type` = the event type), and the run digest on the SNS topic.
 */
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { FindingEvent, Notifier, RunDigest } from '../../core/run/notify';

export const EVENT_SOURCE = 'accessproof';
/** PutEvents takes at most 10 entries per call. */
const BATCH = 10;
const ATTEMPTS = 3;

export interface EventBridgeSnsNotifierOptions {
  events: EventBridgeClient;
  sns: SNSClient;
  eventBusName: string;
  topicArn: string;
}

/**
 * @example
 * const notifier = new EventBridgeSnsNotifier({ events, sns, eventBusName: 'accessproof-findings', topicArn });
 */
export class EventBridgeSnsNotifier implements Notifier {
  constructor(private readonly options: EventBridgeSnsNotifierOptions) {}

  async publish(events: readonly FindingEvent[], digest: RunDigest): Promise<void> {
    for (let i = 0; i < events.length; i += BATCH) {
      await this.put(events.slice(i, i + BATCH).map((e) => this.entry(e)));
    }
    await this.options.sns.send(
      new PublishCommand({
        TopicArn: this.options.topicArn,
        Subject: digestSubject(digest),
        Message: digestText(digest),
      }),
    );
  }

  private entry(e: FindingEvent): PutEventsRequestEntry {
    return {
      EventBusName: this.options.eventBusName,
      Source: EVENT_SOURCE,
      DetailType: e.type,
      Detail: JSON.stringify(e),
      Resources: [],
    };
  }

  /** PutEvents can accept a call and still reject some entries: resend only those, then give up loudly. */
  private async put(entries: PutEventsRequestEntry[]): Promise<void> {
    let pending = entries;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const out = await this.options.events.send(new PutEventsCommand({ Entries: pending }));
      if (!out.FailedEntryCount) return;
      pending = pending.filter((_, i) => out.Entries?.[i]?.ErrorCode);
      if (attempt >= ATTEMPTS) {
        const codes = [...new Set(out.Entries?.map((r) => r.ErrorCode).filter(Boolean))].join(', ');
        throw new Error(`events:PutEvents: ${pending.length} finding events rejected (${codes})`);
      }
    }
  }
}

/** SNS subjects are at most 100 printable ASCII characters. */
export function digestSubject(d: RunDigest): string {
  const failed = d.sources.filter((s) => s.status === 'failed').length;
  const text = `AccessProof ${d.runId}: ${d.open} open, ${d.opened} new${failed ? `, ${failed} source(s) failed` : ''}`;
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
}

export function digestText(d: RunDigest): string {
  const severities = Object.entries(d.bySeverity)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  return [
    `Run ${d.runId}`,
    `Evidence pack: ${d.packLocation} (manifest sha256 ${d.manifestSha256})`,
    `Open findings: ${d.open}${severities ? ` (${severities})` : ''}`,
    `New ${d.opened}, reopened ${d.reopened}, resolved ${d.resolved}, overdue ${d.overdue}`,
    'Sources:',
    ...d.sources.map((s) => `  ${s.id}: ${s.status}${s.error ? ` (${s.error})` : ''}`),
    ...(d.securityHub
      ? [
          `Security Hub: ${d.securityHub.imported} imported, ${d.securityHub.failed} failed; workflow ${d.securityHub.workflowUpdated} set, ${d.securityHub.workflowFailed} failed`,
          ...d.securityHub.errors.map((e) => `  ${e}`),
        ]
      : []),
  ].join('\n');
}
