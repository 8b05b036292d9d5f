import { ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { plannedSource, planSources } from '../../../connectors/plan-sources';
import { type SourceConfig, sourceSchema } from '../../../core/config';
import { InputError } from '../../../core/errors';
import { parseRuleset } from '../../../core/sod';

const organizations = mockClient(OrganizationsClient);
afterEach(() => organizations.reset());

const source = (input: Record<string, unknown>): SourceConfig => sourceSchema.parse(input);
const entra = source({ id: 'entra', system: 'entra', tenantId: '00000000-0000-0000-0000-000000000000' });
const sfdc = source({ id: 'sfdc', system: 'salesforce' });
const org = source({ id: 'aws-org', system: 'aws', organization: true });
const client = () => new OrganizationsClient({ region: 'us-east-1', maxAttempts: 1 });

describe('planSources', () => {
  it('keeps plain sources in order and adds the objects the rulesets name to Salesforce sources', async () => {
    // Arrange
    const ruleset = parseRuleset(
      'version: 1\nfunctions:\n  - id: A\n    name: A\n    grants:\n      - system: salesforce\n        objectPermission: { object: Invoice__c, actions: [edit] }\n  - id: B\n    name: B\n    grants:\n      - system: erp\n        permission: [X]\nrisks:\n  - id: R\n    title: R\n    functions: [A, B]\n    severity: low\n',
      'r.yaml',
    );

    // Act
    const plan = await planSources([entra, sfdc], { rulesets: [ruleset] });

    // Assert
    expect(plan.failed).toEqual([]);
    expect(plan.sources.map((s) => s.id)).toEqual(['entra', 'sfdc']);
    expect(plan.sources[1]).toMatchObject({ objects: ['Invoice__c'] });
    expect(plan.sources.map(plannedSource)).toEqual([
      { id: 'entra', system: 'entra', financiallySignificant: false },
      { id: 'sfdc', system: 'salesforce', financiallySignificant: false },
    ]);
  });

  it('records an Organization whose accounts cannot be listed as a failed source and plans the rest', async () => {
    // Arrange: an error branch, so a mock stands in for Organizations.
    organizations.on(ListAccountsCommand).rejects(
      Object.assign(new Error('not allowed'), {
        name: 'AccessDeniedException',
        $metadata: { attempts: 1 },
      }),
    );

    // Act
    const plan = await planSources([org, entra], { organizations: { organizations: client() } });

    // Assert
    expect(plan.sources.map((s) => s.id)).toEqual(['entra']);
    expect(plan.failed).toEqual([
      {
        id: 'aws-org',
        system: 'aws',
        status: 'failed',
        error: expect.stringMatching(/^organizations:ListAccounts page 1: .*not allowed/),
        counts: { principals: 0, entitlements: 0, grants: 0 },
      },
    ]);
  });

  it('expands an Organization into one source per ACTIVE account', async () => {
    // Arrange
    organizations.on(ListAccountsCommand).resolves({
      Accounts: [
        { Id: '222222222222', Arn: 'arn:aws:organizations::1:account/o-1/222222222222', State: 'ACTIVE' },
        { Id: '111111111111', Arn: 'arn:aws:organizations::1:account/o-1/111111111111', State: 'SUSPENDED' },
      ],
    });

    // Act
    const plan = await planSources([org], { organizations: { organizations: client() } });

    // Assert
    expect(plan.sources).toEqual([
      expect.objectContaining({
        id: 'aws-org-222222222222',
        accountId: '222222222222',
        roleArn: 'arn:aws:iam::222222222222:role/AccessProofReader',
        organization: false,
      }),
    ]);
  });

  it('records an Organization with more accounts than the deployment allows as a failed source, collecting none of it', async () => {
    // Arrange
    const account = (id: string) => ({
      Id: id,
      Arn: `arn:aws:organizations::1:account/o-1/${id}`,
      State: 'ACTIVE' as const,
    });
    organizations.on(ListAccountsCommand).resolves({
      Accounts: [account('111111111111'), account('222222222222'), account('333333333333')],
    });

    // Act
    const over = await planSources([org, entra], {
      organizations: { organizations: client() },
      maxAccounts: 2,
    });
    const within = await planSources([org], { organizations: { organizations: client() }, maxAccounts: 3 });

    // Assert
    expect(over.sources.map((s) => s.id)).toEqual(['entra']);
    expect(over.failed).toEqual([
      expect.objectContaining({
        id: 'aws-org',
        status: 'failed',
        error: expect.stringMatching(
          /the Organization has 3 active accounts, more than the 2 this deployment's run state is sized for \(maxOrganizationAccounts\): none was collected/,
        ),
      }),
    ]);
    expect(within.sources).toHaveLength(3);
  });

  it('refuses two sources with one id after expansion (bad input, not a failed source)', async () => {
    // Arrange
    organizations.on(ListAccountsCommand).resolves({
      Accounts: [
        { Id: '222222222222', Arn: 'arn:aws:organizations::1:account/o-1/222222222222', State: 'ACTIVE' },
      ],
    });
    const clash = source({ id: 'aws-org-222222222222', system: 'aws', accountId: '222222222222' });

    // Act
    const planning = planSources([org, clash], { organizations: { organizations: client() } });

    // Assert
    await expect(planning).rejects.toThrow(InputError);
    await expect(planSources([org, clash], { organizations: { organizations: client() } })).rejects.toThrow(
      /two sources have the id "aws-org-222222222222"/,
    );
  });
});
