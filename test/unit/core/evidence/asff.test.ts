import { describe, expect, it } from 'vitest';
import {
  exceptionNote,
  findingsToImport,
  parseProductArn,
  toAsff,
  workflowUpdates,
} from '../../../../core/evidence/asff';
import type { Finding } from '../../../../core/findings/model';
import { checkFinding } from '../../../support/security-hub-imitation';

const ACCOUNT = '111122223333';
const PRODUCT = `arn:aws:securityhub:eu-west-1:${ACCOUNT}:product/${ACCOUNT}/default`;
const ctx = { productArn: PRODUCT, runId: 'run-2', asOf: '2026-10-01T00:00:00.000Z' };
const EXCEPTION = {
  approver: 'cfo@example.com',
  rationale: 'Quarter-end close needs both duties until the new clerk starts',
  compensatingControl: 'Weekly payment review by the controller',
  expiresAt: '2026-12-31T00:00:00.000Z',
  grantedAt: '2026-09-20T00:00:00.000Z',
};

function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    id: '04ab046aacbbbaa64f70edc9',
    rule: 'SOD-CONFLICT',
    severity: 'critical',
    title: 'P2P-01 Maintain vendors and release payments: Ines Ellis',
    display: 'Ines Ellis',
    subject: {
      identity: 'person:ines.ellis@example.com',
      principals: [
        `aws:${ACCOUNT}:arn:aws:iam::${ACCOUNT}:role/payments-batch`,
        `aws:${ACCOUNT}:arn:aws:iam::${ACCOUNT}:user/ines`,
        'erp:netsuite:U7',
      ],
    },
    detail: { riskId: 'P2P-01' },
    evidence: [{ kind: 'grant', principal: 'erp:netsuite:U7', text: 'U7 holds AP Clerk' }],
    sources: ['aws-finance-prod', 'netsuite'],
    firstSeenRun: 'run-1',
    lastSeenRun: 'run-2',
    status: 'open',
    dueAt: '2026-09-08T00:00:00.000Z',
    overdue: true,
    history: [{ at: '2026-09-01T00:00:00.000Z', runId: 'run-1', event: 'opened' }],
    ...overrides,
  };
}

describe('toAsff', () => {
  it('maps an open finding: stable id, default product, severity, principals as resources, NEW and ACTIVE', () => {
    // Act
    const a = toAsff(finding(), ctx);

    // Assert
    expect(checkFinding(a, PRODUCT, ACCOUNT)).toBeUndefined();
    expect(a).toMatchObject({
      Id: '04ab046aacbbbaa64f70edc9',
      ProductArn: PRODUCT,
      AwsAccountId: ACCOUNT,
      Region: 'eu-west-1',
      GeneratorId: 'accessproof/SOD-CONFLICT',
      CreatedAt: '2026-09-01T00:00:00.000Z',
      FirstObservedAt: '2026-09-01T00:00:00.000Z',
      LastObservedAt: ctx.asOf,
      UpdatedAt: ctx.asOf,
      Severity: { Label: 'CRITICAL', Original: 'critical' },
      FindingProviderFields: { Severity: { Label: 'CRITICAL' } },
      Workflow: { Status: 'NEW' },
      RecordState: 'ACTIVE',
    });
    expect(a.Note).toBeUndefined();
    expect(a.Resources.map((r) => [r.Type, r.Id])).toEqual([
      ['AwsIamRole', `arn:aws:iam::${ACCOUNT}:role/payments-batch`],
      ['AwsIamUser', `arn:aws:iam::${ACCOUNT}:user/ines`],
      ['Other', 'erp:netsuite:U7'],
    ]);
    expect(a.Resources[2]?.Details?.Other).toEqual({ system: 'erp', tenant: 'netsuite', nativeId: 'U7' });
    expect(a.Remediation.Recommendation.Text).toMatch(/\w/);
    expect(a.ProductFields).toMatchObject({
      'accessproof/RuleId': 'SOD-CONFLICT',
      'accessproof/Status': 'open',
      'accessproof/Display': 'Ines Ellis',
      'accessproof/DueAt': '2026-09-08T00:00:00.000Z',
      'accessproof/Overdue': 'true',
    });
  });

  it('suppresses a risk-accepted finding with the exception as its note', () => {
    // Act
    const a = toAsff(finding({ status: 'risk-accepted', exception: EXCEPTION }), ctx);

    // Assert
    expect(checkFinding(a, PRODUCT, ACCOUNT)).toBeUndefined();
    expect(a.Workflow.Status).toBe('SUPPRESSED');
    expect(a.RecordState).toBe('ACTIVE');
    expect(a.Note).toEqual({
      Text: expect.stringContaining('Quarter-end close'),
      UpdatedBy: 'cfo@example.com',
      UpdatedAt: EXCEPTION.grantedAt,
    });
    expect(a.Note?.Text).toContain('until 2026-12-31T00:00:00.000Z');
    expect(a.Note?.Text).toContain('Weekly payment review');
  });

  it('resolves and archives a resolved finding, without claiming it was observed in this run', () => {
    // Act
    const a = toAsff(finding({ status: 'resolved', lastSeenRun: 'run-1' }), ctx);

    // Assert
    expect(a.Workflow.Status).toBe('RESOLVED');
    expect(a.RecordState).toBe('ARCHIVED');
    expect(a.LastObservedAt).toBeUndefined();
  });

  it('keeps within Security Hub limits: 32 resources (the rest counted), 256-character titles, 512-character notes', () => {
    // Arrange
    const principals = Array.from(
      { length: 40 },
      (_, i) => `salesforce:00D:005${String(i).padStart(3, '0')}`,
    );
    const f = finding({
      title: 'x'.repeat(400),
      subject: { identity: 'person:many', principals },
      status: 'risk-accepted',
      exception: { ...EXCEPTION, rationale: 'r'.repeat(2000) },
    });

    // Act
    const a = toAsff(f, ctx);

    // Assert
    expect(checkFinding(a, PRODUCT, ACCOUNT)).toBeUndefined();
    expect(a.Resources).toHaveLength(32);
    expect(a.ProductFields['accessproof/ResourcesLeftOut']).toBe('8');
    expect(a.Title).toHaveLength(256);
    expect(a.Title.endsWith('…')).toBe(true);
    expect(a.Note?.Text).toHaveLength(512);
  });

  it('refuses a product ARN that is not the account default product, naming the expected form', () => {
    expect(() =>
      parseProductArn(`arn:aws:securityhub:eu-west-1:${ACCOUNT}:product/999988887777/default`),
    ).toThrow(/not an account's default product/);
    expect(() =>
      toAsff(finding(), { ...ctx, productArn: 'arn:aws:securityhub:::product/aws/guardduty' }),
    ).toThrow(/securityHub productArn/);
    expect(parseProductArn(PRODUCT)).toEqual({ partition: 'aws', region: 'eu-west-1', accountId: ACCOUNT });
  });
});

describe('which findings a run imports and whose workflow it sets', () => {
  const open = finding({ id: 'a-open' });
  const accepted = finding({ id: 'b-accepted', status: 'risk-accepted', exception: EXCEPTION });
  const resolvedNow = finding({ id: 'c-resolved-now', status: 'resolved' });
  const resolvedBefore = finding({ id: 'd-resolved-before', status: 'resolved' });
  const reopened = finding({ id: 'e-reopened', status: 'reopened' });
  const all = [open, accepted, resolvedNow, resolvedBefore, reopened];
  const changes = { resolved: ['c-resolved-now'], reopened: ['e-reopened'], expiredExceptions: [] };

  it('imports every finding not resolved, and those this run resolved (to archive them)', () => {
    expect(findingsToImport(all, changes.resolved).map((f) => f.id)).toEqual([
      'a-open',
      'b-accepted',
      'c-resolved-now',
      'e-reopened',
    ]);
  });

  it('sets the workflow of risk-accepted findings and of those resolved or reopened now; open ones stay with their people', () => {
    // Act
    const updates = workflowUpdates(findingsToImport(all, changes.resolved), changes);

    // Assert
    expect(updates).toEqual([
      { status: 'SUPPRESSED', note: exceptionNote(EXCEPTION), ids: ['b-accepted'] },
      { status: 'RESOLVED', ids: ['c-resolved-now'] },
      { status: 'NEW', ids: ['e-reopened'] },
    ]);
  });
});
