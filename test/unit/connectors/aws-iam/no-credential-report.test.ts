import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { awsFilesConnector } from '../../../../connectors/aws-iam/files-connector';
import { awsSourceSchema } from '../../../../core/config';
import { evaluateRules } from '../../../../core/rules';
import { ACTIVITY_TAG, CREDENTIAL_ACTIVITY_TAG } from '../../../../core/rules/context';
import { buildInventory, makePolicyConfig } from '../../../support/factories';
import { collectAll } from '../shared/memory-staging';

const FIXTURES = new URL('../../../fixtures/aws/', import.meta.url).pathname;
const source = (files: Record<string, string>) =>
  awsSourceSchema.parse({ id: 'aws-test', system: 'aws', files });

// Guards against false NHI-NEVER-USED for every IAM user when the credential report is missing.
describe('awsFilesConnector without a credential report', () => {
  it('tags IAM users activity and credential activity unknown, so NHI-NEVER-USED does not judge them', async () => {
    // Arrange
    const snap = await collectAll(
      awsFilesConnector,
      source({ authorizationDetails: join(FIXTURES, 'cloudsplaining-example-authz-details.json') }),
    );
    const users = snap.principals.filter((p) => p.type === 'iam-user');

    // Act
    const drafts = evaluateRules(buildInventory({ principals: snap.principals }), {
      asOf: new Date('2026-10-01T00:00:00.000Z'),
      policy: makePolicyConfig(),
      sod: undefined,
      financiallySignificant: () => false,
    });

    // Assert
    expect(users.length).toBeGreaterThan(0);
    for (const u of users) {
      expect(u.tags).toMatchObject({ [ACTIVITY_TAG]: 'unknown', [CREDENTIAL_ACTIVITY_TAG]: 'unknown' });
    }
    const userUids = new Set(users.map((u) => u.uid));
    expect(drafts.filter((d) => d.rule === 'NHI-NEVER-USED' && userUids.has(d.key ?? ''))).toEqual([]);
  });

  it('leaves the tags off when the report is given', async () => {
    // Act
    const snap = await collectAll(
      awsFilesConnector,
      source({ credentialReport: join(FIXTURES, 'credential-report-a.csv') }),
    );

    // Assert
    expect(snap.principals.length).toBeGreaterThan(0);
    for (const p of snap.principals) {
      expect(p.tags[ACTIVITY_TAG]).toBeUndefined();
      expect(p.tags[CREDENTIAL_ACTIVITY_TAG]).toBeUndefined();
    }
  });
});
