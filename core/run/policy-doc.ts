/**
 * `policy.json`: the effective policy a run evaluated, sealed in every pack so an auditor can see
 * (and re-hash) what the run was told to do without the operator's files: the resolved thresholds,
 * each source's id, system, mode and scope (never a secret, a key file or a local path), and each
 * SoD ruleset's id, version, SHA-256 and full text.
 *
 * `manifest.configSha256` is the SHA-256 of these exact bytes: `sha256sum policy.json` recomputes it.
 */
import { createHash } from 'node:crypto';
import type { Config, SourceConfig, Thresholds } from '../config';
import { rulesetId } from '../sod/ruleset-id';

export { rulesetId };

export interface RulesetInput {
  /** The path as the config names it: only its file name is kept (the ruleset's id). */
  path: string;
  text: string;
}

export interface PolicyRuleset {
  id: string;
  version: number;
  sha256: string;
  text: string;
}

export interface PolicyDocument {
  policyFormat: 1;
  organization: string;
  thresholds: {
    dormantDays: number;
    neverUsedGraceDays: number;
    credentialMaxAgeDays: number;
    leaverGraceDays: number;
    rootUseDays: number;
    unmatchedHumans: Config['policy']['unmatchedHumans'];
    /** Thresholds per kind of principal (`policy.byKind`): they win over the values above. */
    byKind: Config['policy']['byKind'];
    slaDays: Config['policy']['slaDays'];
    exceptionMaxDays: number;
  };
  exceptionApprovers: Config['policy']['exceptionApprovers'] | null;
  sources: {
    id: string;
    system: string;
    mode: 'api' | 'files';
    financiallySignificant: boolean;
    scope: Record<string, unknown>;
    /** The source's own thresholds (`sources[].policy`): they win over `byKind` and the policy's. */
    policy?: Thresholds;
  }[];
  rulesets: PolicyRuleset[];
  /**
   * How the owner-facing fields of every finding in `findings.jsonl` are derived (issue 16), so a
   * reader of the pack can check them without the code.
   */
  findingFields: { dueAt: string; overdue: string; display: string };
}

/** Issue 16: what `dueAt`, `overdue` and `display` mean, sealed in every policy.json. */
export const FINDING_FIELDS: PolicyDocument['findingFields'] = {
  dueAt:
    'the as-of of the run that opened or reopened the finding (a reopening includes an exception that expired or was invalidated) plus thresholds.slaDays for its severity, in days; when the severity changes, recomputed from the same start',
  overdue:
    "true when status is open or reopened and dueAt is before the run's as-of; never for risk-accepted or resolved",
  display:
    "one name per identity, from all its principals: the HR display name, else the Entra displayName, else a connector's displayName tag, else the first principal's name (uid order); titles about a person use it",
};

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * @example
 * const { document, bytes, sha256 } = effectivePolicy(config, [{ path: 'rules/sox-core.yaml', text }]);
 */
export function effectivePolicy(
  config: Config,
  rulesets: readonly RulesetInput[],
): { document: PolicyDocument; bytes: Uint8Array; sha256: string } {
  const p = config.policy;
  const document: PolicyDocument = {
    policyFormat: 1,
    organization: config.organization,
    thresholds: {
      dormantDays: p.dormantDays,
      neverUsedGraceDays: p.neverUsedGraceDays,
      credentialMaxAgeDays: p.credentialMaxAgeDays,
      leaverGraceDays: p.leaverGraceDays,
      rootUseDays: p.rootUseDays,
      unmatchedHumans: p.unmatchedHumans,
      byKind: p.byKind,
      slaDays: p.slaDays,
      exceptionMaxDays: p.exceptionMaxDays,
    },
    exceptionApprovers: p.exceptionApprovers ?? null,
    sources: config.sources.map((s) => ({
      id: s.id,
      system: s.system,
      mode: s.files ? 'files' : 'api',
      financiallySignificant: s.financiallySignificant,
      scope: scopeOf(s),
      ...(s.policy ? { policy: s.policy } : {}),
    })),
    rulesets: rulesets.map((r) => ({
      id: rulesetId(r.path),
      version: rulesetVersion(r.text),
      sha256: sha256Hex(r.text),
      text: r.text,
    })),
    findingFields: FINDING_FIELDS,
  };
  const bytes = new TextEncoder().encode(`${JSON.stringify(document, null, 2)}\n`);
  return { document, bytes, sha256: sha256Hex(bytes) };
}

function rulesetVersion(text: string): number {
  const m = /^version:\s*(\d+)\s*$/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/** What a source covers: tenant, account, apps, groups, objects. Never credentials or file paths. */
function scopeOf(s: SourceConfig): Record<string, unknown> {
  const kinds = Object.keys(s.kinds).length > 0 ? { kinds: s.kinds } : {};
  switch (s.system) {
    case 'aws':
      return {
        ...(s.accountId ? { accountId: s.accountId } : {}),
        ...(s.organization ? { organization: true } : {}),
        ...(s.accounts ? { accounts: s.accounts } : {}),
        ...(s.identityCenter ? { identityCenter: true } : {}),
        ...(s.files ? { files: Object.keys(s.files).sort() } : {}),
        ...kinds,
      };
    case 'entra':
      return { tenantId: s.tenantId, financialApps: s.financialApps, groups: s.groups, ...kinds };
    case 'salesforce':
      return { ...(s.instanceUrl ? { instanceUrl: s.instanceUrl } : {}), objects: s.objects, ...kinds };
    case 'erp':
      return { files: Object.keys(s.files).sort(), columns: s.columns, ...kinds };
    default:
      // Systems added later (SAP: client, objects): every field but files, which are local paths.
      return Object.fromEntries(
        Object.entries(s).filter(
          ([k]) => !['id', 'system', 'files', 'financiallySignificant', 'policy'].includes(k),
        ),
      );
  }
}
