import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spActivity, spSignInSchema } from '../../../../connectors/entra-id/sign-in-activity';
import { PUBLIC_DIR } from '../../../fixtures/entra/test-tenant';

describe('spActivity', () => {
  it('takes the most recent activity of any kind, reading -8:00 offsets, and names the kind', () => {
    // Arrange: the documented report, where resource activity at 2021-04-01T00:00:00-8:00 (08:00Z)
    // is later than lastSignInActivity at 2021-04-01T00:00:00Z
    const [first] = (
      JSON.parse(readFileSync(join(PUBLIC_DIR, 'serviceprincipalsigninactivities-list.json'), 'utf8')) as {
        value: unknown[];
      }
    ).value;

    // Act
    const activity = spActivity(spSignInSchema.parse(first));

    // Assert
    expect(activity).toEqual({
      at: '2021-04-01T08:00:00.000Z',
      source: 'servicePrincipalSignInActivities.applicationAuthenticationResourceSignInActivity',
    });
  });

  it('has no activity when every kind is empty', () => {
    expect(spActivity(spSignInSchema.parse({ appId: 'a', lastSignInActivity: null }))).toBeUndefined();
  });
});
