/**
 * A local imitation of the Security Hub API (restJson1 on 127.0.0.1, through the shared AWS test
 * server): `BatchImportFindings` (POST /findings/import) and `BatchUpdateFindings` (PATCH
 * /findings/batchupdate), with the rules the real service applies that AccessProof depends on:
 *
 * - at most 100 findings (or identifiers) per call, else the whole call is refused (InvalidInputException);
 * - every ASFF required field, its type, length and enum, checked per finding: a bad finding comes
 *   back in `FailedFindings` and the rest of the batch is taken;
 * - `ProductArn` must be the calling account's default product, and `AwsAccountId` that account;
 * - the same `Id` updates the finding (no duplicate), unless its `UpdatedAt` is older than the stored one;
 * - `Workflow` and `Note` are taken on creation only, then belong to `BatchUpdateFindings`;
 * - a finding going from ARCHIVED back to ACTIVE while NOTIFIED or RESOLVED becomes NEW again.
 *
 * Knobs let a test throttle the next calls (429), refuse ids (partial failure) or deny everything.
 */
import type { AwsRequest, AwsResponse } from './aws-query-server/http-server';

// biome-ignore lint/suspicious/noExplicitAny: findings arrive as loose JSON and are checked here
type Loose = Record<string, any>;

export interface StoredFinding {
  finding: Loose;
  /** How many imports changed it (1 = created, never updated). */
  writes: number;
}

export interface SecurityHubImitation {
  handler(req: AwsRequest): AwsResponse;
  /** By `Id` (one product in these tests). */
  findings: Map<string, StoredFinding>;
  /** Every call's operation and batch size, in order, including refused ones. */
  calls: { operation: 'import' | 'update'; size: number; status: number }[];
  /** Answer the next N calls with 429 LimitExceededException. */
  throttleNext: number;
  /** Ids refused in `FailedFindings` (InvalidAccess), as the service does for a finding it will not take. */
  refuseIds: Set<string>;
  /** Answer every call with 403 AccessDeniedException. */
  denyAll: boolean;
  /** What a person in the console does: set a finding's workflow status. */
  setWorkflow(id: string, status: string): void;
}

const NAMESPACES = [
  'Software and Configuration Checks',
  'TTPs',
  'Effects',
  'Unusual Behaviors',
  'Sensitive Data Identifications',
];
const SEVERITY_LABELS = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
const WORKFLOW = ['NEW', 'NOTIFIED', 'SUPPRESSED', 'RESOLVED'];
const RECORD_STATES = ['ACTIVE', 'ARCHIVED'];
const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export function securityHubImitation(opts: { accountId: string; region: string }): SecurityHubImitation {
  const product = `arn:aws:securityhub:${opts.region}:${opts.accountId}:product/${opts.accountId}/default`;
  const json = (status: number, body: unknown): AwsResponse => ({
    status,
    contentType: 'application/json',
    body: JSON.stringify(body),
  });
  const error = (status: number, type: string, message: string) =>
    json(status, { __type: type, Code: type, Message: message });

  const self: SecurityHubImitation = {
    findings: new Map(),
    calls: [],
    throttleNext: 0,
    refuseIds: new Set(),
    denyAll: false,
    setWorkflow(id, status) {
      const stored = self.findings.get(id);
      if (!stored) throw new Error(`no finding ${id}`);
      stored.finding.Workflow = { Status: status };
    },
    handler(req) {
      const operation = req.method === 'POST' && req.path === '/findings/import' ? 'import' : undefined;
      const op =
        operation ?? (req.method === 'PATCH' && req.path === '/findings/batchupdate' ? 'update' : undefined);
      if (!op) return error(404, 'ResourceNotFoundException', `no route ${req.method} ${req.path}`);
      const body = (req.json ?? {}) as Loose;
      const size = (op === 'import' ? body.Findings : body.FindingIdentifiers)?.length ?? 0;
      const answer = (r: AwsResponse) => {
        self.calls.push({ operation: op, size, status: r.status });
        return r;
      };
      if (self.denyAll) {
        return answer(error(403, 'AccessDeniedException', 'User is not authorized to perform this action'));
      }
      if (self.throttleNext > 0) {
        self.throttleNext--;
        return answer(error(429, 'LimitExceededException', 'Rate exceeded'));
      }
      return answer(op === 'import' ? importFindings(body) : updateFindings(body));
    },
  };

  function importFindings(body: Loose): AwsResponse {
    const list = body.Findings;
    if (!Array.isArray(list) || list.length < 1 || list.length > 100) {
      return error(400, 'InvalidInputException', 'Findings must hold 1 to 100 findings');
    }
    const failed: Loose[] = [];
    for (const f of list as Loose[]) {
      const problem = self.refuseIds.has(f?.Id)
        ? 'refused by the test'
        : checkFinding(f, product, opts.accountId);
      if (problem) {
        failed.push({
          Id: typeof f?.Id === 'string' ? f.Id : '',
          ErrorCode: self.refuseIds.has(f?.Id) ? 'InvalidAccess' : 'InvalidInput',
          ErrorMessage: problem,
        });
        continue;
      }
      const stored = self.findings.get(f.Id);
      if (!stored) {
        self.findings.set(f.Id, { finding: structuredClone(f), writes: 1 });
        continue;
      }
      if (Date.parse(f.UpdatedAt) < Date.parse(stored.finding.UpdatedAt)) continue;
      const next: Loose = structuredClone(f);
      // Customer-owned after creation: the import's values are ignored.
      next.Workflow = stored.finding.Workflow;
      if (stored.finding.Note) next.Note = stored.finding.Note;
      else delete next.Note;
      const status = next.Workflow?.Status;
      if (
        stored.finding.RecordState === 'ARCHIVED' &&
        next.RecordState === 'ACTIVE' &&
        (status === 'NOTIFIED' || status === 'RESOLVED')
      ) {
        next.Workflow = { Status: 'NEW' };
      }
      self.findings.set(f.Id, { finding: next, writes: stored.writes + 1 });
    }
    return json(200, {
      FailedCount: failed.length,
      SuccessCount: list.length - failed.length,
      FailedFindings: failed,
    });
  }

  function updateFindings(body: Loose): AwsResponse {
    const ids = body.FindingIdentifiers;
    if (!Array.isArray(ids) || ids.length < 1 || ids.length > 100) {
      return error(400, 'InvalidInputException', 'FindingIdentifiers must hold 1 to 100 identifiers');
    }
    if (body.Workflow !== undefined && !WORKFLOW.includes(body.Workflow?.Status)) {
      return error(400, 'InvalidInputException', 'Workflow.Status is not a workflow status');
    }
    if (body.Note !== undefined) {
      const n = body.Note;
      if (!text(n?.Text, 512) || !text(n?.UpdatedBy, 512)) {
        return error(400, 'InvalidInputException', 'Note needs Text and UpdatedBy (at most 512 characters)');
      }
    }
    const processed: Loose[] = [];
    const unprocessed: Loose[] = [];
    for (const id of ids as Loose[]) {
      const stored = id?.ProductArn === product ? self.findings.get(id?.Id) : undefined;
      if (!stored || self.refuseIds.has(id?.Id)) {
        unprocessed.push({
          FindingIdentifier: id,
          ErrorCode: 'FindingNotFound',
          ErrorMessage: 'Finding not found',
        });
        continue;
      }
      if (body.Workflow) stored.finding.Workflow = { Status: body.Workflow.Status };
      if (body.Note) stored.finding.Note = { ...body.Note, UpdatedAt: new Date().toISOString() };
      processed.push(id);
    }
    return json(200, { ProcessedFindings: processed, UnprocessedFindings: unprocessed });
  }

  return self;
}

/** The first thing wrong with a finding, as Security Hub would refuse it, or undefined. */
export function checkFinding(f: Loose, product: string, accountId: string): string | undefined {
  if (typeof f !== 'object' || f === null) return 'not an object';
  const required: [string, unknown][] = [
    ['AwsAccountId', f.AwsAccountId],
    ['CreatedAt', f.CreatedAt],
    ['Description', f.Description],
    ['GeneratorId', f.GeneratorId],
    ['Id', f.Id],
    ['ProductArn', f.ProductArn],
    ['Resources', f.Resources],
    ['SchemaVersion', f.SchemaVersion],
    ['Severity', f.Severity],
    ['Title', f.Title],
    ['Types', f.Types],
    ['UpdatedAt', f.UpdatedAt],
  ];
  for (const [name, value] of required)
    if (value === undefined || value === null) return `${name} is required`;
  if (f.SchemaVersion !== '2018-10-08') return 'SchemaVersion must be 2018-10-08';
  if (!text(f.Id, 512)) return 'Id: 1 to 512 characters';
  if (!text(f.GeneratorId, 512)) return 'GeneratorId: 1 to 512 characters';
  if (!text(f.Title, 256)) return 'Title: 1 to 256 characters';
  if (!text(f.Description, 1024)) return 'Description: 1 to 1024 characters';
  if (f.ProductArn !== product) return `ProductArn must be ${product}`;
  if (f.AwsAccountId !== accountId) return 'AwsAccountId must be the calling account';
  for (const t of ['CreatedAt', 'UpdatedAt', 'FirstObservedAt', 'LastObservedAt']) {
    if (f[t] !== undefined && !(typeof f[t] === 'string' && ISO.test(f[t])))
      return `${t}: not an ISO 8601 time`;
  }
  if (!SEVERITY_LABELS.includes(f.Severity?.Label)) return 'Severity.Label: not a severity label';
  if (!Array.isArray(f.Types) || f.Types.length < 1 || f.Types.length > 50) return 'Types: 1 to 50 types';
  for (const t of f.Types) {
    const parts = typeof t === 'string' ? t.split('/') : [];
    if (
      parts.length < 1 ||
      parts.length > 3 ||
      !NAMESPACES.includes(parts[0]!) ||
      parts.some((p) => p === '')
    ) {
      return `Types: "${t}" is not namespace/category/classifier`;
    }
  }
  if (!Array.isArray(f.Resources) || f.Resources.length < 1 || f.Resources.length > 32) {
    return 'Resources: 1 to 32 resources';
  }
  for (const [i, r] of (f.Resources as Loose[]).entries()) {
    if (!text(r?.Type, 256)) return `Resources[${i}].Type: 1 to 256 characters`;
    if (!text(r?.Id, 512)) return `Resources[${i}].Id: 1 to 512 characters`;
    if (r.Partition !== undefined && !PARTITIONS.includes(r.Partition)) return `Resources[${i}].Partition`;
    const other = r.Details?.Other;
    if (other !== undefined) {
      const entries = Object.entries(other as Loose);
      if (
        entries.length > 50 ||
        entries.some(([k, v]) => !text(k, 128) || typeof v !== 'string' || v.length > 1024)
      )
        return `Resources[${i}].Details.Other: at most 50 keys, values of at most 1024 characters`;
    }
  }
  if (f.ProductFields !== undefined) {
    const entries = Object.entries(f.ProductFields as Loose);
    if (entries.length > 50) return 'ProductFields: at most 50 fields';
    for (const [k, v] of entries) {
      if (!text(k, 128) || typeof v !== 'string' || v.length > 2048) return `ProductFields.${k}: too long`;
    }
  }
  if (f.Workflow !== undefined && !WORKFLOW.includes(f.Workflow?.Status)) return 'Workflow.Status';
  if (f.RecordState !== undefined && !RECORD_STATES.includes(f.RecordState)) return 'RecordState';
  if (f.Remediation?.Recommendation?.Text !== undefined && !text(f.Remediation.Recommendation.Text, 512)) {
    return 'Remediation.Recommendation.Text: at most 512 characters';
  }
  if (f.Note !== undefined) {
    if (!text(f.Note.Text, 512) || !text(f.Note.UpdatedBy, 512) || !ISO.test(String(f.Note.UpdatedAt))) {
      return 'Note: Text and UpdatedBy (at most 512 characters) and UpdatedAt are required';
    }
  }
  if (Buffer.byteLength(JSON.stringify(f)) > 240 * 1024) return 'finding larger than 240 KB';
  return undefined;
}

function text(v: unknown, max: number): boolean {
  return typeof v === 'string' && v.length >= 1 && v.length <= max;
}
