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
/** Import calls in flight at once: 67k findings (the benchmark) are 670 calls, about a minute at 10 TPS. */
const IN_FLIGHT = 4;

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
    const batches: AsffFinding[][] = [];
    for (let i = 0; i < findings.length; i += ASFF_LIMITS.batch) {
      batches.push(findings.slice(i, i + ASFF_LIMITS.batch));
    }
    // A few batches in flight (the API allows 10 calls a second, bursts of 30), results taken in
    // batch order so the outcome does not depend on timing.
    for (let w = 0; w < batches.length; w += IN_FLIGHT) {
      const window = batches.slice(w, w + IN_FLIGHT);
      const results = await Promise.all(window.map((batch) => this.importBatch(batch)));
      for (const [k, r] of results.entries()) {
        const batch = window[k]!;
        if ('error' in r) {
          out.failed += batch.length;
          note(`batch ${w + k + 1} (${batch.length} findings): ${r.error}`);
          continue;
        }
        const refused = new Set<string>();
        for (const f of r.failedFindings) {
          refused.add(f.Id ?? '');
          note(`${f.Id ?? '?'}: ${f.ErrorCode ?? 'Error'} ${f.ErrorMessage ?? ''}`.trim());
        }
        // FailedCount is the service's word; the list names them (a missing id still counts).
        const failed = Math.max(r.failedCount, refused.size);
        out.failed += failed;
        out.imported += batch.length - failed;
        for (const f of batch) if (!refused.has(f.Id)) accepted.add(f.Id);
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

  private async importBatch(
    batch: AsffFinding[],
  ): Promise<
    | { failedCount: number; failedFindings: { Id?: string; ErrorCode?: string; ErrorMessage?: string }[] }
    | { error: string }
  > {
    try {
      const res = await this.options.client.send(new BatchImportFindingsCommand({ Findings: batch }));
      return { failedCount: res.FailedCount ?? 0, failedFindings: res.FailedFindings ?? [] };
    } catch (err) {
      return { error: describe(err) };
    }
  }
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e.name ?? 'Error'}: ${e.message ?? String(err)}`.replace(/\s+/g, ' ').slice(0, 300);
}
