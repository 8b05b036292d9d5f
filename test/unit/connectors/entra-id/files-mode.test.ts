import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../../../core/errors';
import {
  buildTestTenant,
  CANARIES,
  IDS,
  TENANT_ID,
  testSource,
  writeTenantFiles,
} from '../../../fixtures/entra/test-tenant';
import { collect, findingsOf, recordsOf } from '../../../integration/entra-id/harness';

const uid = (id: string) => `entra:${TENANT_ID}:${id}`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'entra-files-'));
  writeTenantFiles(buildTestTenant(), dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('Entra files mode', () => {
  it('emits users, guests, service principals, managed identities and lone registrations with their facts', async () => {
    // Arrange: the documented responses, saved as files

    // Act
    const c = await collect({ source: testSource({ files: { dir } }) });

    // Assert
    expect(c.outcome.status).toBe('complete');
    expect(c.header).toMatchObject({ mode: 'files', tenant: TENANT_ID, complete: true });
    const { principals } = recordsOf(c.lines);
    const byId = new Map(principals.map((p) => [p.nativeId, p]));
    expect(byId.get(IDS.guest)).toMatchObject({
      type: 'guest',
      kind: 'human',
      email: 'auditor@northbridge.example',
    });
    expect(byId.get(IDS.groupOne)).toMatchObject({ type: 'user', status: 'disabled' });
    expect(byId.get(IDS.miSp)).toMatchObject({
      type: 'managed-identity',
      kind: 'nonhuman',
      credentials: [],
      lastActivity: { at: '2026-09-30T14:00:00.000Z' },
    });
    expect(byId.get(IDS.oldScriptApp)).toMatchObject({
      type: 'application',
      tags: { 'accessproof:activity': 'unknown' },
    });
    expect(byId.get(IDS.graphSp)?.tags['accessproof:platform-owned']).toBe('true');
    const payments = byId.get(IDS.paymentsSp);
    expect(payments).toMatchObject({
      type: 'service-principal',
      owners: ['AdeleV@contoso.com'],
      createdAt: '2019-09-17T19:10:35.274Z',
      lastActivity: {
        at: '2026-03-15T00:00:00.000Z',
        source: 'servicePrincipalSignInActivities.applicationAuthenticationClientSignInActivity',
      },
    });
    expect(payments?.credentials).toEqual([
      {
        id: IDS.paymentsSecret,
        type: 'client-secret',
        name: 'Password friendly name',
        active: true,
        createdAt: '2019-09-09T19:50:29.308Z',
        lastUsedAt: '2021-09-01T00:00:00.000Z',
        expiresAt: '2021-09-09T19:50:29.308Z',
      },
      {
        id: IDS.canarySecret,
        type: 'client-secret',
        name: 'old rotation',
        active: true,
        createdAt: '2025-07-01T00:00:00.000Z',
        lastUsedAt: '2026-03-15T00:00:00.000Z',
        expiresAt: '2026-06-30T00:00:00.000Z',
      },
    ]);
    // An owner that is a service principal is named by uid, a user by email.
    expect(byId.get(IDS.legacySp)?.owners).toEqual([uid(IDS.dxprovisioningSp), 'group1@contoso.com']);
  });

  it('names entitlements the way SoD globs match them and gives group grants their nested path', async () => {
    // Act
    const c = await collect({ source: testSource({ files: { dir } }) });

    // Assert
    const { entitlements, grants } = recordsOf(c.lines);
    const names = entitlements.map((e) => `${e.type} ${e.name}${e.privileged ? ' (privileged)' : ''}`).sort();
    expect(names).toEqual(
      expect.arrayContaining([
        'app-role Microsoft Graph:Directory.ReadWrite.All (privileged)',
        'app-role NetSuite ERP:AP Payment Approver',
        'app-role NetSuite ERP:Administrator (privileged)',
        'directory-role Global Administrator (privileged)',
        'directory-role User Administrator (privileged)',
        'group Finance Approvers',
        'group IT Identity Admins (privileged)',
        'oauth2-grant Microsoft Graph (delegated, one user) (privileged)',
      ]),
    );
    const payApprover = uid(`servicePrincipals/${IDS.netsuiteSp}/appRoles/${IDS.rolePayApprover}`);
    expect(grants.filter((g) => g.entitlement === payApprover)).toEqual(
      expect.arrayContaining([
        {
          principal: uid(IDS.paymentsSp),
          entitlement: payApprover,
          path: [],
          grantedAt: '2025-05-05T05:05:05.123Z',
        },
        { principal: uid(IDS.groupOne), entitlement: payApprover, path: [uid(IDS.financeApprovers)] },
        {
          principal: uid(IDS.alex),
          entitlement: payApprover,
          path: [uid(IDS.financeApprovers), uid(IDS.apContractors)],
        },
      ]),
    );
    // The service principal's NetSuite role is counted once although both endpoints list it.
    expect(
      grants.filter((g) => g.entitlement === payApprover && g.principal === uid(IDS.paymentsSp)),
    ).toHaveLength(1);
  });

  it('feeds the rules: the dormant SP with only expired secrets is NHI-DORMANT and NHI-CRED-EXPIRED; the MI used yesterday gives nothing', async () => {
    // Arrange
    const c = await collect({ source: testSource({ files: { dir } }) });

    // Act
    const drafts = findingsOf(c);

    // Assert
    const about = (id: string) =>
      drafts.filter((d) => d.subject.principals.includes(uid(id))).map((d) => d.rule);
    expect(about(IDS.paymentsSp)).toEqual(expect.arrayContaining(['NHI-DORMANT', 'NHI-CRED-EXPIRED']));
    expect(about(IDS.paymentsSp).filter((r) => r === 'NHI-CRED-EXPIRED')).toHaveLength(2);
    expect(about(IDS.miSp)).toEqual([]);
    // A registration without a service principal here has unknown activity: never dormant, never "never used".
    expect(about(IDS.oldScriptApp)).not.toContain('NHI-NEVER-USED');
    expect(about(IDS.oldScriptApp)).not.toContain('NHI-DORMANT');
  });

  it('without sign-in reports, leaves service principal activity unknown, warns, and the rules stay silent on it', async () => {
    // Arrange
    rmSync(join(dir, 'servicePrincipalSignInActivities.json'));
    rmSync(join(dir, 'appCredentialSignInActivities.json'));

    // Act
    const c = await collect({ source: testSource({ files: { dir } }) });

    // Assert
    expect(c.header?.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/servicePrincipalSignInActivities\.json is not in the export/),
      ]),
    );
    const payments = recordsOf(c.lines).principals.find((p) => p.nativeId === IDS.paymentsSp);
    expect(payments?.lastActivity).toBeUndefined();
    expect(payments?.tags).toMatchObject({
      'accessproof:activity': 'unknown',
      'accessproof:credential-activity': 'unknown',
    });
    const rules = findingsOf(c)
      .filter((d) => d.subject.principals.includes(uid(IDS.paymentsSp)))
      .map((d) => d.rule);
    expect(rules).not.toContain('NHI-DORMANT');
    expect(rules).not.toContain('NHI-NEVER-USED');
    expect(rules).toContain('NHI-CRED-EXPIRED');
  });

  it('reads userRegistrationDetails.json when exported, and without it warns and leaves MFA unknown', async () => {
    const withReport = await collect({ source: testSource({ files: { dir } }) });
    const stine = (c: typeof withReport) =>
      recordsOf(c.lines).principals.find((p) => p.nativeId === IDS.stine);
    expect(stine(withReport)?.tags['accessproof:mfa']).toBe('false');
    expect(findingsOf(withReport).filter((d) => d.rule === 'USER-PRIVILEGED-NO-MFA')).toHaveLength(1);

    rmSync(join(dir, 'userRegistrationDetails.json'));
    const without = await collect({ source: testSource({ files: { dir } }) });
    expect(without.outcome.status).toBe('complete');
    expect(without.header?.warnings).toContain(
      'userRegistrationDetails.json is not in the export: whether users registered MFA is unknown: USER-PRIVILEGED-NO-MFA is not judged for Entra users',
    );
    expect(stine(without)?.tags['accessproof:mfa']).toBeUndefined();
    expect(findingsOf(without).filter((d) => d.rule === 'USER-PRIVILEGED-NO-MFA')).toEqual([]);
  });

  it('treats users.json without signInActivity as unknown activity, with a header warning', async () => {
    // Arrange
    const users = buildTestTenant().users.map(({ signInActivity: _, ...u }) => u);
    writeFileSync(join(dir, 'users.json'), JSON.stringify({ value: users }));

    // Act
    const c = await collect({ source: testSource({ files: { dir } }) });

    // Assert
    expect(c.header?.warnings).toContain(
      "users.json has no signInActivity: users' last activity is unknown and never counts as dormant",
    );
    const humans = recordsOf(c.lines).principals.filter((p) => p.kind === 'human');
    expect(humans.every((p) => p.tags['accessproof:activity'] === 'unknown' && !p.lastActivity)).toBe(true);
    expect(findingsOf(c).filter((d) => d.rule === 'USER-DORMANT')).toEqual([]);
  });

  it('never writes a secret value, hint or key into the snapshot or the findings', async () => {
    // Act
    const c = await collect({ source: testSource({ files: { dir } }) });
    const findings = JSON.stringify(findingsOf(c));

    // Assert
    for (const canary of CANARIES) {
      expect(c.text).not.toContain(canary);
      expect(findings).not.toContain(canary);
      expect(c.logs.join('\n')).not.toContain(canary);
    }
    expect(c.text).not.toContain('secretText');
    expect(c.text).not.toContain('"hint"');
  });

  it('marks the snapshot incomplete when an export lacks a collection, and names the file', async () => {
    // Arrange
    rmSync(join(dir, 'roleAssignments.json'));
    rmSync(join(dir, `appRoleAssignedTo-${IDS.netsuiteAppId}.json`));

    // Act
    const c = await collect({ source: testSource({ files: { dir } }) });

    // Assert
    expect(c.header?.complete).toBe(false);
    expect(c.header?.warnings).toEqual(
      expect.arrayContaining([
        'incomplete: roleAssignments.json is not in the export: directory role assignments not collected',
        `incomplete: appRoleAssignedTo-${IDS.netsuiteAppId}.json is not in the export: who is assigned to NetSuite ERP was not collected`,
      ]),
    );
  });

  it('never reads a file outside the export folder through an object id (x/../../../outside/planted)', async () => {
    // Arrange: a service principal whose id climbs out of the export folder, and owners planted there
    const root = mkdtempSync(join(tmpdir(), 'entra-escape-'));
    const exportDir = join(root, 'export', 'entra');
    const tenant = buildTestTenant();
    const hostile = 'x/../../../outside/planted';
    const payments = tenant.servicePrincipals.find((s) => s.id === IDS.paymentsSp)!;
    tenant.servicePrincipals.push({ ...payments, id: hostile, appId: 'hostile-app', displayName: 'Hostile' });
    writeTenantFiles(tenant, exportDir);
    mkdirSync(join(root, 'outside'));
    const planted = {
      '@odata.type': '#microsoft.graph.user',
      id: IDS.adele,
      userPrincipalName: 'planted@contoso.com',
    };
    writeFileSync(join(root, 'outside', 'planted-owners.json'), JSON.stringify({ value: [planted] }));

    try {
      // Act
      const c = await collect({ source: testSource({ files: { dir: exportDir } }) });

      // Assert: the id is one encoded file name (servicePrincipal-x%2F..%2F…-owners.json), not in the export
      const sp = recordsOf(c.lines).principals.find((p) => p.nativeId === hostile);
      expect(sp).toBeDefined();
      expect(sp.owners ?? []).not.toContain('planted@contoso.com');
      expect(c.text).not.toContain('planted@contoso.com');
      expect(c.outcome.status).toBe('complete');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses bad JSON with an InputError naming the file and line, without quoting it', async () => {
    // Arrange
    writeFileSync(
      join(dir, 'applications.json'),
      '{\n  "value": [\n    {"secretText": "CANARY-SECRET-TEXT-8d1f",}\n  ]\n}\n',
    );

    // Act
    const run = collect({ source: testSource({ files: { dir } }) });

    // Assert
    await expect(run).rejects.toBeInstanceOf(InputError);
    await expect(run).rejects.toThrow(`${join(dir, 'applications.json')}:3: is not valid JSON`);
    await expect(run).rejects.not.toThrow(/CANARY/);
  });

  it('refuses an item of the wrong shape naming file, item and field', async () => {
    writeFileSync(
      join(dir, 'servicePrincipals.json'),
      JSON.stringify({ value: [{ id: 'x', accountEnabled: 'yes' }] }),
    );
    await expect(collect({ source: testSource({ files: { dir } }) })).rejects.toThrow(
      /servicePrincipals\.json \(accountEnabled\): item 1: accountEnabled/,
    );
  });

  it('refuses an unreadable timestamp naming the field', async () => {
    const users = [{ id: 'u1', createdDateTime: 'last tuesday' }];
    writeFileSync(join(dir, 'users.json'), JSON.stringify({ value: users }));
    await expect(collect({ source: testSource({ files: { dir } }) })).rejects.toThrow(
      /users\.json \(createdDateTime\): item 1: createdDateTime is not a date-time/,
    );
  });

  it('requires users.json and servicePrincipals.json', async () => {
    rmSync(join(dir, 'users.json'));
    await expect(collect({ source: testSource({ files: { dir } }) })).rejects.toThrow(
      `${join(dir, 'users.json')}: is missing from the Entra export folder`,
    );
  });

  it('warns about config names that match nothing', async () => {
    const c = await collect({
      source: testSource({
        files: { dir },
        groups: ['Finance Approvers', 'Treasury*'],
        financialApps: ['SAP S/4HANA'],
      }),
    });
    expect(c.header?.warnings).toEqual(
      expect.arrayContaining([
        `group "Treasury*" named in config matches no group in tenant ${TENANT_ID}`,
        `financial app "SAP S/4HANA" matches no service principal in tenant ${TENANT_ID}`,
      ]),
    );
  });
});
