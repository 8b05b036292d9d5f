import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { awsFilesConnector } from '../../../../connectors/aws-iam/files-connector';
import { type AwsSource, awsSourceSchema } from '../../../../core/config';
import { collectAll } from '../shared/memory-staging';

const ACCOUNT = '111111111111';
const arn = (kind: string, name: string) => `arn:aws:iam::${ACCOUNT}:${kind}/${name}`;
const uid = (nativeId: string) => `aws:${ACCOUNT}:${nativeId}`;

/** An export with a bounded user, a bounded role with a trust policy, and the boundary policies. */
const BOUNDED_EXPORT = {
  UserDetailList: [
    {
      UserName: 'quinn',
      UserId: 'AIDAQUINN',
      Arn: arn('user', 'quinn'),
      GroupList: [],
      AttachedManagedPolicies: [
        { PolicyName: 'AdministratorAccess', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
      ],
      UserPolicyList: [],
      PermissionsBoundary: {
        PermissionsBoundaryType: 'Policy',
        PermissionsBoundaryArn: arn('policy', 'S3Only'),
      },
      Tags: [],
    },
  ],
  GroupDetailList: [],
  RoleDetailList: [
    {
      RoleName: 'Payments',
      RoleId: 'AROAPAYMENTS',
      Arn: arn('role', 'Payments'),
      AssumeRolePolicyDocument: encodeURIComponent(
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { AWS: arn('user', 'quinn') }, Action: 'sts:AssumeRole' },
          ],
        }),
      ),
      RolePolicyList: [],
      AttachedManagedPolicies: [],
      PermissionsBoundary: {
        PermissionsBoundaryType: 'Policy',
        PermissionsBoundaryArn: 'arn:aws:iam::aws:policy/PowerUserAccess',
      },
      Tags: [],
      RoleLastUsed: {},
    },
  ],
  Policies: [
    {
      PolicyName: 'S3Only',
      Arn: arn('policy', 'S3Only'),
      DefaultVersionId: 'v1',
      PolicyVersionList: [
        {
          VersionId: 'v1',
          IsDefaultVersion: true,
          Document: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
          },
        },
      ],
    },
    {
      PolicyName: 'AdministratorAccess',
      Arn: 'arn:aws:iam::aws:policy/AdministratorAccess',
      DefaultVersionId: 'v1',
      PolicyVersionList: [
        {
          VersionId: 'v1',
          IsDefaultVersion: true,
          Document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
        },
      ],
    },
  ],
};

const dir = mkdtempSync(join(tmpdir(), 'aws-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function source(files: Record<string, string>): AwsSource {
  return awsSourceSchema.parse({ id: 'aws-prod', system: 'aws', files });
}

describe('AWS evaluation inputs in files mode', () => {
  it('keeps permissions boundaries, unique ids and trust policies on the principals', async () => {
    // Arrange
    const file = join(dir, 'authz.json');
    writeFileSync(file, JSON.stringify(BOUNDED_EXPORT));

    // Act
    const snap = await collectAll(awsFilesConnector, source({ authorizationDetails: file }));

    // Assert
    const quinn = snap.principals.find((p) => p.name === 'quinn')!;
    expect(quinn.aws).toEqual({ userId: 'AIDAQUINN', permissionsBoundary: uid(arn('policy', 'S3Only')) });
    const role = snap.principals.find((p) => p.name === 'Payments')!;
    expect(role.aws).toEqual({
      userId: 'AROAPAYMENTS',
      permissionsBoundary: uid('arn:aws:iam::aws:policy/PowerUserAccess'),
      trustPolicy: [
        {
          effect: 'Allow',
          action: ['sts:AssumeRole'],
          hasPrincipal: true,
          principal: { AWS: [arn('user', 'quinn')] },
        },
      ],
    });
    // The boundary is emitted (or reported missing) but granted to no one.
    expect(snap.entitlements.map((e) => e.uid)).toContain(uid(arn('policy', 'S3Only')));
    expect(snap.grants.some((g) => g.entitlement === uid(arn('policy', 'S3Only')))).toBe(false);
    expect(snap.header.warnings.join('\n')).toContain('PowerUserAccess');
  });

  it('says in the header which policy kinds were evaluated', async () => {
    // Arrange
    const file = join(dir, 'authz2.json');
    writeFileSync(file, JSON.stringify(BOUNDED_EXPORT));

    // Act
    const snap = await collectAll(awsFilesConnector, source({ authorizationDetails: file }));

    // Assert
    expect(snap.header.evaluation?.policies).toMatchObject({
      'permissions boundaries': 'evaluated',
      'trust policies': 'evaluated (conditions are not)',
      SCPs: expect.stringContaining('not collected'),
      'resource-based policies': expect.stringContaining('not evaluated'),
      'session policies': expect.stringContaining('not evaluated'),
    });
  });
});
