import { describe, expect, it } from 'vitest';
import type { Credential } from '../../../../core/model';
import { credStale } from '../../../../core/rules/cred-stale';
import { credUnused } from '../../../../core/rules/cred-unused';
import { userNeverUsed } from '../../../../core/rules/user-never-used';
import { makeNhi, makePrincipal } from '../../../support/factories';
import { contextFor, daysAgo } from './rule-harness';

const person = (credentials: Credential[], extra = {}) =>
  makePrincipal({
    system: 'aws',
    nativeId: `arn:aws:iam::123456789012:user/p${Math.random()}`,
    type: 'iam-user',
    credentials,
    ...extra,
  });

describe('CRED-UNUSED (people)', () => {
  it('fires for a password unused for dormantDays on a user whose key was used yesterday', () => {
    const p = person([
      { id: 'password', type: 'password', active: true, createdAt: daysAgo(400), lastUsedAt: daysAgo(90, 1) },
      {
        id: 'access_key_1',
        type: 'access-key',
        active: true,
        createdAt: daysAgo(10),
        lastUsedAt: daysAgo(1),
      },
    ]);
    const drafts = credUnused(p, contextFor({ principals: [p] }));
    expect(drafts.map((d) => d.key)).toEqual([`${p.uid}|password`]);
  });
  it('is compliant at exactly dormantDays, and fires for a key never used past the grace period', () => {
    const p = person([
      { id: 'password', type: 'password', active: true, lastUsedAt: daysAgo(90) },
      { id: 'access_key_1', type: 'access-key', active: true, createdAt: daysAgo(30, 1) },
    ]);
    expect(credUnused(p, contextFor({ principals: [p] })).map((d) => d.detail.credentialId)).toEqual([
      'access_key_1',
    ]);
  });
  it('leaves non-human credentials to NHI-CRED-UNUSED and uses the per-kind threshold', () => {
    const svc = makeNhi({
      credentials: [{ id: 'k', type: 'access-key', active: true, lastUsedAt: daysAgo(200) }],
    });
    expect(credUnused(svc, contextFor({ principals: [svc] }))).toEqual([]);
    const p = person([{ id: 'password', type: 'password', active: true, lastUsedAt: daysAgo(100) }]);
    const c = contextFor({ principals: [p] }, { policy: { byKind: { human: { dormantDays: 120 } } } });
    expect(credUnused(p, c)).toEqual([]);
  });
});

describe('CRED-STALE (people)', () => {
  it('fires for a password older than credentialMaxAgeDays, not at exactly that age', () => {
    const old = person([{ id: 'password', type: 'password', active: true, createdAt: daysAgo(90, 1) }]);
    const fresh = person([{ id: 'password', type: 'password', active: true, createdAt: daysAgo(90) }]);
    expect(credStale(old, contextFor({ principals: [old] }))[0]?.detail).toMatchObject({ maxAgeDays: 90 });
    expect(credStale(fresh, contextFor({ principals: [fresh] }))).toEqual([]);
  });
});

describe('USER-NEVER-USED', () => {
  it('fires for a console user never logged in past the grace period, not at exactly the grace', () => {
    const never = person([{ id: 'password', type: 'password', active: true }], { createdAt: daysAgo(30, 1) });
    const young = person([{ id: 'password', type: 'password', active: true }], { createdAt: daysAgo(30) });
    expect(userNeverUsed(never, contextFor({ principals: [never] }))).toHaveLength(1);
    expect(userNeverUsed(young, contextFor({ principals: [young] }))).toEqual([]);
  });
  it('does not judge unknown activity or unknown creation', () => {
    const unknown = person([], { createdAt: daysAgo(100), tags: { 'accessproof:activity': 'unknown' } });
    const undated = person([]);
    expect(userNeverUsed(unknown, contextFor({ principals: [unknown] }))).toEqual([]);
    expect(userNeverUsed(undated, contextFor({ principals: [undated] }))).toEqual([]);
  });
});
