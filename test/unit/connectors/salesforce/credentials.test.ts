import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { localCredentials, secretsManagerCredentials } from '../../../../connectors/salesforce/credentials';
import { type SalesforceSource, salesforceSourceSchema } from '../../../../core/config';
import { InputError } from '../../../../core/errors';

const source = (extra: Record<string, unknown> = {}): SalesforceSource =>
  salesforceSourceSchema.parse({
    id: 'sfdc',
    system: 'salesforce',
    clientId: 'ck',
    username: 'u@x.com',
    ...extra,
  });

const sm = mockClient(SecretsManagerClient);
afterEach(() => sm.reset());

describe('localCredentials', () => {
  it('reads the JWT key from privateKeyFile', async () => {
    // Arrange
    const dir = await mkdtemp(join(tmpdir(), 'sfdc-key-'));
    await writeFile(join(dir, 'key.pem'), 'PEM-TEXT');
    // Act
    const creds = await localCredentials({})(source({ privateKeyFile: join(dir, 'key.pem') }));
    await rm(dir, { recursive: true });
    // Assert
    expect(creds).toEqual({ kind: 'jwt', privateKey: 'PEM-TEXT' });
  });

  it('reads the JWT key from the named environment variable, unescaping \\n', async () => {
    // Act
    const creds = await localCredentials({ SF_KEY: 'line1\\nline2' })(source({ privateKeyEnv: 'SF_KEY' }));
    // Assert
    expect(creds).toEqual({ kind: 'jwt', privateKey: 'line1\nline2' });
  });

  it('reads the client secret for the client-credentials flow', async () => {
    // Act
    const creds = await localCredentials({ SALESFORCE_CLIENT_SECRET: 's3' })(
      source({ auth: 'client-credentials' }),
    );
    // Assert
    expect(creds).toEqual({ kind: 'client-credentials', clientSecret: 's3' });
  });

  it('says which setting is missing, without any secret', async () => {
    // Act
    const act = localCredentials({})(source());
    // Assert
    await expect(act).rejects.toThrow(InputError);
    await expect(act).rejects.toThrow(/privateKeyFile or the environment variable SALESFORCE_PRIVATE_KEY/);
  });

  it('names an unreadable key file', async () => {
    // Act / Assert
    await expect(localCredentials({})(source({ privateKeyFile: '/nonexistent/key.pem' }))).rejects.toThrow(
      /^\/nonexistent\/key\.pem \(sources\.sfdc\.privateKeyFile\): private key file cannot be read \(ENOENT\)/,
    );
  });
});

describe('secretsManagerCredentials', () => {
  it.each([
    ['-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----', { kind: 'jwt' }],
    [JSON.stringify({ clientSecret: 'cs' }), { kind: 'client-credentials', clientSecret: 'cs' }],
    [
      JSON.stringify({ accessToken: 'tok', instanceUrl: 'https://halvorsen.my.salesforce.com' }),
      { kind: 'access-token', accessToken: 'tok' },
    ],
  ])('reads a secret of each shape', async (secret, expected) => {
    // Arrange
    sm.on(GetSecretValueCommand).resolves({ SecretString: secret });
    // Act
    const creds = await secretsManagerCredentials(new SecretsManagerClient({}), 'arn:secret')(source());
    // Assert
    expect(creds).toMatchObject(expected);
  });

  it('fails the source without echoing a malformed secret', async () => {
    // Arrange
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{"password":"hunter2"}' });
    // Act
    const act = secretsManagerCredentials(new SecretsManagerClient({}), 'arn:secret')(source());
    // Assert
    await expect(act).rejects.toThrow(/neither a PEM key nor JSON/);
    await expect(act).rejects.not.toThrow(/hunter2/);
  });

  it('fails the source when the secret cannot be read', async () => {
    // Arrange
    sm.on(GetSecretValueCommand).rejects(
      Object.assign(new Error('denied'), { name: 'AccessDeniedException' }),
    );
    // Act / Assert
    await expect(
      secretsManagerCredentials(new SecretsManagerClient({}), 'arn:secret')(source()),
    ).rejects.toThrow(
      'secretsmanager:GetSecretValue: cannot read the Salesforce secret: AccessDeniedException',
    );
  });
});
