import { createVerify, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describe as describeError, jwtAssertion } from '../../../../connectors/salesforce/session';

describe('jwtAssertion', () => {
  it('signs iss, sub, aud and a three-minute exp with RS256', () => {
    // Arrange
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    // Act
    const jwt = jwtAssertion(
      'ck',
      'u@x.com',
      'https://login.salesforce.com',
      pem,
      new Date('2026-10-01T00:00:00Z'),
    );
    // Assert
    const [h, c, s] = jwt.split('.');
    expect(JSON.parse(Buffer.from(h ?? '', 'base64url').toString())).toEqual({ alg: 'RS256' });
    expect(JSON.parse(Buffer.from(c ?? '', 'base64url').toString())).toEqual({
      iss: 'ck',
      sub: 'u@x.com',
      aud: 'https://login.salesforce.com',
      exp: Date.parse('2026-10-01T00:03:00Z') / 1000,
    });
    expect(
      createVerify('RSA-SHA256')
        .update(`${h}.${c}`)
        .verify(publicKey, s ?? '', 'base64url'),
    ).toBe(true);
  });

  it('fails without quoting the key when it cannot sign', () => {
    // Act
    const act = () => jwtAssertion('ck', 'u', 'https://x', 'not-a-key-SECRETBITS', new Date(0));
    // Assert
    expect(act).toThrow(/the JWT private key cannot sign/);
    expect(act).not.toThrow(/SECRETBITS/);
  });
});

describe('describe (Salesforce error codes)', () => {
  it('reads errorCode from a jsforce error', () => {
    // Act / Assert
    expect(
      describeError(
        Object.assign(new Error('TotalRequests Limit exceeded.'), { errorCode: 'REQUEST_LIMIT_EXCEEDED' }),
      ),
    ).toEqual({
      code: 'REQUEST_LIMIT_EXCEEDED',
      message: 'TotalRequests Limit exceeded.',
    });
  });

  it('finds the code in a JSON body left in the message of a text-typed request', () => {
    // Arrange
    const err = Object.assign(
      new Error(
        '[{"message":"ConcurrentPerOrgLongTxn Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]',
      ),
      {
        errorCode: 'ERROR_HTTP_403',
      },
    );
    // Act / Assert
    expect(describeError(err)).toEqual({
      code: 'REQUEST_LIMIT_EXCEEDED',
      message: 'ConcurrentPerOrgLongTxn Limit exceeded.',
    });
  });
});
