import { describe, expect, it } from 'vitest';
import { type Catalog, emptyCatalog, emptyFacts } from '../../../../connectors/salesforce/catalog';
import { classifyUser, toPrincipal } from '../../../../connectors/salesforce/principals';
import { type UserRecord, userRecord } from '../../../../connectors/salesforce/records';

function makeUser(overrides: Record<string, unknown> = {}): UserRecord {
  return userRecord.parse({
    Id: '005A',
    Username: 'pat@example.com',
    Name: 'Pat Doe',
    Email: 'pat@example.com',
    IsActive: true,
    UserType: 'Standard',
    LastLoginDate: '2026-09-01T10:00:00.000+0000',
    ProfileId: '00eSTD',
    Profile: { Name: 'Standard User', UserLicense: { Name: 'Salesforce' } },
    ...overrides,
  });
}

function catalogWithApiOnlyProfile(): Catalog {
  const c = emptyCatalog();
  c.permissionSets['0PSP'] = {
    name: 'X00e',
    owner: 'profile',
    profileId: '00eAPI',
    profileName: 'Minimum Access - API Only Integrations',
    system: ['ApiEnabled', 'ApiUserOnly'],
  };
  return c;
}

describe('classifyUser', () => {
  it('calls a standard user on a standard licence a person', () => {
    // Act
    const c = classifyUser(makeUser(), emptyCatalog(), emptyFacts());
    // Assert
    expect(c).toEqual({ kind: 'human', type: 'user', reasons: ['default:standard-user'] });
  });

  it('does not look at names: "integration" in the username stays human', () => {
    // Act
    const c = classifyUser(
      makeUser({ Username: 'integration-api-bot@example.com', Name: 'Integration Bot' }),
      emptyCatalog(),
      emptyFacts(),
    );
    // Assert
    expect(c.kind).toBe('human');
  });

  it('recognises the Salesforce Integration licence', () => {
    // Act
    const c = classifyUser(
      makeUser({ Profile: { Name: 'Custom', UserLicense: { Name: 'Salesforce Integration' } } }),
      emptyCatalog(),
      emptyFacts(),
    );
    // Assert
    expect(c).toEqual({
      kind: 'nonhuman',
      type: 'integration-user',
      reasons: ['licence:Salesforce Integration'],
    });
  });

  it('recognises an API-only profile by its PermissionsApiUserOnly, whatever its name', () => {
    // Act
    const c = classifyUser(
      makeUser({
        ProfileId: '00eAPI',
        Profile: { Name: 'Renamed profile', UserLicense: { Name: 'Salesforce' } },
      }),
      catalogWithApiOnlyProfile(),
      emptyFacts(),
    );
    // Assert
    expect(c).toEqual({
      kind: 'nonhuman',
      type: 'api-only-user',
      reasons: ['profile:PermissionsApiUserOnly (Renamed profile)'],
    });
  });

  it('recognises PermissionsApiUserOnly given through a permission set', () => {
    // Arrange
    const facts = emptyFacts();
    facts.apiOnlyVia['005A'] = 'API Only Access';
    // Act
    const c = classifyUser(makeUser(), emptyCatalog(), facts);
    // Assert
    expect(c).toMatchObject({ kind: 'nonhuman', type: 'api-only-user' });
    expect(c.reasons).toEqual(['permission-set:PermissionsApiUserOnly (API Only Access)']);
  });

  it.each(['AutomatedProcess', 'CloudIntegrationUser'])('recognises UserType %s', (userType) => {
    // Act
    const c = classifyUser(makeUser({ UserType: userType }), emptyCatalog(), emptyFacts());
    // Assert
    expect(c).toEqual({ kind: 'nonhuman', type: 'integration-user', reasons: [`UserType:${userType}`] });
  });

  it('names a site guest user non-human', () => {
    // Act
    const c = classifyUser(makeUser({ UserType: 'Guest' }), emptyCatalog(), emptyFacts());
    // Assert
    expect(c).toEqual({ kind: 'nonhuman', type: 'site-guest-user', reasons: ['UserType:Guest'] });
  });

  it('records every heuristic that matched', () => {
    // Act
    const c = classifyUser(
      makeUser({
        ProfileId: '00eAPI',
        Profile: {
          Name: 'Minimum Access - API Only Integrations',
          UserLicense: { Name: 'Salesforce Integration' },
        },
      }),
      catalogWithApiOnlyProfile(),
      emptyFacts(),
    );
    // Assert
    expect(c.reasons).toEqual([
      'licence:Salesforce Integration',
      'profile:PermissionsApiUserOnly (Minimum Access - API Only Integrations)',
    ]);
  });
});

describe('toPrincipal', () => {
  it('keeps an integration user out of email correlation and takes its manager as owner', () => {
    // Arrange
    const user = makeUser({
      UserType: 'CloudIntegrationUser',
      ManagerId: '005MGR',
      Email: 'admin@example.com',
    });
    // Act
    const p = toPrincipal(user, '00DORG', 'sfdc', emptyCatalog(), emptyFacts(), {});
    // Assert
    expect(p.email).toBeUndefined();
    expect(p.tags.email).toBe('admin@example.com');
    expect(p.owners).toEqual(['salesforce:00DORG:005MGR']);
  });

  it('lets config kinds override the heuristics and says so', () => {
    // Act
    const p = toPrincipal(makeUser(), '00DORG', 'sfdc', emptyCatalog(), emptyFacts(), {
      'salesforce:00DORG:005A': 'nonhuman',
    });
    // Assert
    expect(p.kind).toBe('nonhuman');
    expect(p.kindReason).toBe('config:kinds (heuristics: default:standard-user)');
  });

  it("takes an integration user's latest OAuth token use when it is later than its last login", () => {
    // Arrange
    const facts = emptyFacts();
    facts.oauth['005A'] = { 'ERP Connector': { tokens: 2, lastUsedAt: '2026-09-20T06:00:00.000Z' } };
    const user = makeUser({ UserType: 'AutomatedProcess', LastLoginDate: '2026-03-01T00:00:00.000+0000' });
    // Act
    const p = toPrincipal(user, '00DORG', 'sfdc', emptyCatalog(), facts, {});
    // Assert
    expect(p.lastActivity).toEqual({ at: '2026-09-20T06:00:00.000Z', source: 'OauthToken.LastUsedDate' });
  });

  it('uses only LastLoginDate for a person, even with newer mobile-app tokens', () => {
    // Arrange
    const facts = emptyFacts();
    facts.oauth['005A'] = { 'Salesforce for iOS': { tokens: 1, lastUsedAt: '2026-09-30T06:00:00.000Z' } };
    // Act
    const p = toPrincipal(makeUser(), '00DORG', 'sfdc', emptyCatalog(), facts, {});
    // Assert
    expect(p.lastActivity).toEqual({ at: '2026-09-01T10:00:00.000Z', source: 'LastLoginDate' });
    expect(p.credentials).toHaveLength(1);
  });
});
