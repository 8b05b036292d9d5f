/** Test-data factory for rule output: `makeDraft({ severity: 'critical' })`. */
import type { FindingDraft } from '../../../../core/findings/model';

export function makeDraft(overrides: Partial<FindingDraft> = {}): FindingDraft {
  const principal = 'aws:123456789012:arn:aws:iam::123456789012:role/batch';
  return {
    rule: 'NHI-DORMANT',
    severity: 'medium',
    title: 'Dormant non-human identity: batch',
    subject: { identity: `principal:${principal}`, principals: [principal] },
    detail: { days: 120 },
    evidence: [
      {
        kind: 'activity',
        principal,
        signal: 'RoleLastUsed',
        at: '2026-05-01T00:00:00.000Z',
        text: 'last used 2026-05-01',
      },
    ],
    sources: ['aws-prod'],
    key: principal,
    ...overrides,
  };
}

export const SLA = { critical: 7, high: 30, medium: 60, low: 90 };
