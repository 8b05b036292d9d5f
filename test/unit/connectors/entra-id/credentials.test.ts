import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ClientCertificateCredential, ClientSecretCredential } from '@azure/identity';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  credentialFromSecretText,
  localEntraCredential,
  secretsManagerEntraCredential,
} from '../../../../connectors/entra-id';
import { entraSourceSchema } from '../../../../core/config';
import { InputError, SourceError } from '../../../../core/errors';

const source = entraSourceSchema.parse({
  id: 'entra',
  system: 'entra',
  tenantId: '84841066-274d-4ec0-a5c1-276be684bdd3',
});
const SECRET = 'CANARY-CLIENT-SECRET-41c7';

describe('localEntraCredential', () => {
  it('prefers the certificate when both a certificate path and a secret are set', async () => {
    // Arrange
    const env = {
      AZURE_CLIENT_ID: 'app-1',
      AZURE_CLIENT_CERTIFICATE_PATH: '/secure/app.pem',
      AZURE_CLIENT_SECRET: SECRET,
    };

    // Act
    const credential = await localEntraCredential(env)(source);

    // Assert
    expect(credential).toBeInstanceOf(ClientCertificateCredential);
  });

  it('accepts a client secret', async () => {
    const credential = await localEntraCredential({ AZURE_CLIENT_ID: 'app-1', AZURE_CLIENT_SECRET: SECRET })(
      source,
    );
    expect(credential).toBeInstanceOf(ClientSecretCredential);
  });

  it('says which variables are missing, as bad input', async () => {
    await expect(localEntraCredential({ AZURE_CLIENT_ID: 'app-1' })(source)).rejects.toThrow(
      /AZURE_CLIENT_CERTIFICATE_PATH \(preferred\) or AZURE_CLIENT_SECRET/,
    );
    await expect(localEntraCredential({ AZURE_CLIENT_SECRET: SECRET })(source)).rejects.toBeInstanceOf(
      InputError,
    );
  });
});

describe('credentialFromSecretText', () => {
  it('builds a certificate credential from {clientId, certificate}', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n';
    expect(
      credentialFromSecretText(JSON.stringify({ clientId: 'app-1', certificate: pem }), source),
    ).toBeInstanceOf(ClientCertificateCredential);
  });

  it('refuses text that is not JSON without quoting it', () => {
    // Act
    const attempt = () => credentialFromSecretText(`{"clientSecret": "${SECRET}"`, source);

    // Assert
    expect(attempt).toThrow(SourceError);
    expect(attempt).not.toThrow(new RegExp(SECRET));
  });

  it('refuses JSON with neither certificate nor clientSecret', () => {
    expect(() =>
      credentialFromSecretText(JSON.stringify({ clientId: 'x', password: SECRET }), source),
    ).toThrow(/needs "certificate" \(PEM\) or "clientSecret"/);
  });
});

describe('credentialFromSecretText registers what it read as run secrets', () => {
  it('gives the client secret to the run, so an upstream quoting it is scrubbed by value', () => {
    // Arrange
    const registered: string[] = [];

    // Act
    const credential = credentialFromSecretText(
      JSON.stringify({ clientId: 'app-1', clientSecret: SECRET }),
      source,
      (v) => registered.push(v),
    );

    // Assert
    expect(credential).toBeInstanceOf(ClientSecretCredential);
    expect(registered).toEqual([SECRET]);
  });
});

describe('secretsManagerEntraCredential', () => {
  it('turns a Secrets Manager failure into a source error that names only the error type', async () => {
    // Arrange
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand).rejects(
      Object.assign(new Error(`denied for ${SECRET}`), { name: 'AccessDeniedException' }),
    );

    // Act
    const attempt = secretsManagerEntraCredential(
      new SecretsManagerClient({ region: 'us-east-1' }),
      'arn:secret',
    )(source);

    // Assert
    await expect(attempt).rejects.toThrow(
      'secretsmanager:GetSecretValue: cannot read the Entra secret (AccessDeniedException)',
    );
    sm.restore();
  });
});
