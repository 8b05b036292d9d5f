import { describe, expect, it } from 'vitest';
import {
  createPrivilegeClassifier,
  globMatcher,
  loadActionExpander,
  loadPrivilegeClassifier,
} from '../../../../connectors/aws-iam/action-catalog';

describe('loadActionExpander', () => {
  it('expands wildcards into the catalog actions of the service', async () => {
    // Arrange
    const expand = await loadActionExpander();

    // Act
    const puts = expand('s3:PutObject*');

    // Assert
    expect(puts).toContain('s3:PutObject');
    expect(puts).toContain('s3:PutObjectAcl');
    expect(puts.every((a) => a.toLowerCase().startsWith('s3:putobject'))).toBe(true);
    expect(expand('S3:getobject')).toEqual(['s3:GetObject']); // case-insensitive, catalog spelling
    expect(expand('iam:Attach?serPolicy')).toEqual(['iam:AttachUserPolicy']);
  });

  it('returns the pattern itself for an unknown service or an action newer than the data', async () => {
    // Arrange
    const expand = await loadActionExpander();

    // Act / Assert
    expect(expand('example:Do*')).toEqual(['example:Do*']);
    expect(expand('s3:SomeFutureAction')).toEqual(['s3:SomeFutureAction']);
    expect(expand('s3:NoSuchPrefix*')).toEqual([]);
  });

  it('expands * and service wildcards across services', async () => {
    // Arrange
    const expand = await loadActionExpander();

    // Act
    const all = expand('*');
    const deletes = expand('dynamodb*:DeleteTable');

    // Assert
    expect(all.length).toBeGreaterThan(10_000);
    expect(deletes).toContain('dynamodb:DeleteTable');
  });
});

describe('privilege classification', () => {
  it('uses the catalog: a permissions-management action through a wildcard is privileged', async () => {
    // Arrange
    const classify = await loadPrivilegeClassifier();

    // Act
    const verdict = classify([{ effect: 'Allow', action: ['s3:PutBucketP*'], resource: ['*'] }]);
    const readOnly = classify([{ effect: 'Allow', action: ['s3:Get*', 'ec2:Describe*'], resource: ['*'] }]);

    // Assert
    expect(verdict.privileged).toBe(true);
    expect(verdict.reason).toMatch(
      /^allows permissions-management action s3:PutBucketP\w+ \(via s3:PutBucketP\*\)$/,
    );
    expect(readOnly).toEqual({ privileged: false });
  });

  it('over a given table: *, iam:*, NotAction, Deny and conditions', () => {
    // Arrange
    const classify = createPrivilegeClassifier(new Map([['iam', ['AttachUserPolicy', 'PutRolePolicy']]]));

    // Act / Assert
    expect(classify([{ effect: 'Allow', action: ['*'] }]).reason).toBe('allows every action (*)');
    expect(classify([{ effect: 'Allow', action: ['IAM:*'] }]).reason).toBe('allows iam:*');
    expect(classify([{ effect: 'Allow', notAction: ['s3:*'] }]).reason).toMatch(/except s3:\* \(NotAction\)/);
    expect(classify([{ effect: 'Allow', notAction: ['*'] }]).privileged).toBe(false);
    expect(classify([{ effect: 'Deny', action: ['iam:*'] }]).privileged).toBe(false);
    expect(classify([{ effect: 'Allow', action: ['iam:Put*'], hasCondition: true }]).reason).toBe(
      'allows permissions-management action iam:PutRolePolicy (via iam:Put*)',
    );
    expect(classify([{ effect: 'Allow', action: ['iam:GetUser'] }]).privileged).toBe(false);
  });
});

describe('globMatcher', () => {
  it('matches whole strings case-insensitively with * and ?, escaping the rest', () => {
    // Act
    const m = globMatcher('arn:aws:s3:::bucket-?/*.csv');

    // Assert
    expect(m('ARN:AWS:S3:::bucket-a/x/y.csv')).toBe(true);
    expect(m('arn:aws:s3:::bucket-ab/x.csv')).toBe(false);
    expect(m('arn:aws:s3:::bucket-a/xycsv')).toBe(false);
  });
});
