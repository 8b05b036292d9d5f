/**
 * core's `FindingsImporter` on Security Hub: `BatchImportFindings` in batches of 100 (the API's
 * limit), then `BatchUpdateFindings` for the workflow changes an import cannot make (see
 * core/evidence/asff.ts). Throttling is retried by the SDK client (give it `maxAttempts`); what
 * still fails, a refused finding or a whole batch, is counted and named, never thrown: the run is
 * sealed by now, and the digest and the `SecurityHubImportFailed` metric say what is missing.
 */
import {
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { ASFF_LIMITS, type AsffFinding, type WorkflowUpdate } from '../../core/evidence/asff';
import type { FindingsImporter, SecurityHubOutcome } from '../../core/run/notify';

/** Failures named in the outcome; the count covers the rest. */
const MAX_ERRORS = 10;

export interface SecurityHubImporterOptions {
  client: SecurityHubClient;
  /** The account's default product, the same ARN the findings carry. */
  productArn: string;
}

/**
 * @example
 * const importer = new SecurityHubImporter({ client: new SecurityHubClient({ maxAttempts: 6 }), productArn });
 * const outcome = await importer.importFindings(findings, updates);
 */
export class SecurityHubImporter implements FindingsImporter {
  constructor(private readonly options: SecurityHubImporterOptions) {}

  async importFindings(
    findings: readonly AsffFinding[],
    updates: readonly WorkflowUpdate[],
  ): Promise<SecurityHubOutcome> {
    const out: SecurityHubOutcome = {
      imported: 0,
      failed: 0,
      workflowUpdated: 0,
      workflowFailed: 0,
      errors: [],
    };
    const note = (text: string) => {
      if (out.errors.length < MAX_ERRORS) out.errors.push(text);
    };
    const accepted = new Set<string>();
    for (let i = 0; i < findings.length; i += ASFF_LIMITS.batch) {
      const batch = findings.slice(i, i + ASFF_LIMITS.batch);
      try {
        const res = await this.options.client.send(new BatchImportFindingsCommand({ Findings: batch }));
        const refused = new Set<string>();
        for (const f of res.FailedFindings ?? []) {
          refused.add(f.Id ?? '');
          note(`${f.Id ?? '?'}: ${f.ErrorCode ?? 'Error'} ${f.ErrorMessage ?? ''}`.trim());
        }
        // FailedCount is the service's word; the list names them (a missing id still counts).
        const failed = Math.max(res.FailedCount ?? 0, refused.size);
        out.failed += failed;
        out.imported += batch.length - failed;
        for (const f of batch) if (!refused.has(f.Id)) accepted.add(f.Id);
      } catch (err) {
        out.failed += batch.length;
        note(`batch ${i / ASFF_LIMITS.batch + 1} (${batch.length} findings): ${describe(err)}`);
      }
    }
    for (const u of updates) {
      // Only findings Security Hub holds can take a workflow; the others were counted as failed above.
      const ids = u.ids.filter((id) => accepted.has(id));
      for (let i = 0; i < ids.length; i += ASFF_LIMITS.batch) {
        const chunk = ids.slice(i, i + ASFF_LIMITS.batch);
        try {
          const res = await this.options.client.send(
            new BatchUpdateFindingsCommand({
              FindingIdentifiers: chunk.map((Id) => ({ Id, ProductArn: this.options.productArn })),
              Workflow: { Status: u.status },
              ...(u.note ? { Note: { Text: u.note.Text, UpdatedBy: u.note.UpdatedBy } } : {}),
            }),
          );
          const unprocessed = res.UnprocessedFindings ?? [];
          for (const f of unprocessed) {
            note(
              `${f.FindingIdentifier?.Id ?? '?'}: workflow ${u.status}: ${f.ErrorCode ?? 'Error'} ${f.ErrorMessage ?? ''}`.trim(),
            );
          }
          out.workflowFailed += unprocessed.length;
          out.workflowUpdated += chunk.length - unprocessed.length;
        } catch (err) {
          out.workflowFailed += chunk.length;
          note(`workflow ${u.status} (${chunk.length} findings): ${describe(err)}`);
        }
      }
    }
    return out;
  }
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e.name ?? 'Error'}: ${e.message ?? String(err)}`.replace(/\s+/g, ' ').slice(0, 300);
}
