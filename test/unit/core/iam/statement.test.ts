import { describe, expect, it } from 'vitest';
import {
  allowParts,
  denyCovers,
  denyTouches,
  type IamTarget,
  unsupportedReason,
} from '../../../../core/iam/statement';
import type { PolicyStatement } from '../../../../core/model';

const target: IamTarget = { actions: ['dynamodb:putitem'], resources: ['arn:aws:dynamodb:*:*:table/ledger'] };

describe('allowParts', () => {
  it('gives one part per matching (action, resource) pair, keeping both patterns', () => {
    // Arrange
    const s: PolicyStatement = {
      sid: 'W',
      effect: 'Allow',
      action: ['dynamodb:Put*', 's3:*'],
      resource: ['*', 'arn:aws:s3:::x'],
    };

    // Act
    const parts = allowParts(s, target);

    // Assert
    expect(parts).toEqual([
      {
        ruleAction: 'dynamodb:putitem',
        statementAction: 'dynamodb:Put*',
        ruleResource: 'arn:aws:dynamodb:*:*:table/ledger',
        statementResource: '*',
        sid: 'W',
        conditional: false,
      },
    ]);
  });

  it('gives nothing for a Deny, an unrelated action or resource, or a Principal statement', () => {
    expect(allowParts({ effect: 'Deny', action: ['*'], resource: ['*'] }, target)).toEqual([]);
    expect(allowParts({ effect: 'Allow', action: ['dynamodb:GetItem'], resource: ['*'] }, target)).toEqual(
      [],
    );
    expect(
      allowParts({ effect: 'Allow', action: ['*'], resource: ['arn:aws:dynamodb:*:*:table/other'] }, target),
    ).toEqual([]);
    expect(
      allowParts({ effect: 'Allow', action: ['*'], resource: ['*'], hasPrincipal: true }, target),
    ).toEqual([]);
  });

  it('reads NotAction and NotResource as "everything except"', () => {
    expect(allowParts({ effect: 'Allow', notAction: ['iam:*'], resource: ['*'] }, target)).toHaveLength(1);
    expect(allowParts({ effect: 'Allow', notAction: ['dynamodb:Put*'], resource: ['*'] }, target)).toEqual(
      [],
    );
    expect(
      allowParts({ effect: 'Allow', action: ['*'], notResource: ['arn:aws:dynamodb:*:*:table/*'] }, target),
    ).toEqual([]);
  });
});

describe('denyCovers / denyTouches', () => {
  const part = allowParts(
    { effect: 'Allow', action: ['dynamodb:*'], resource: ['arn:aws:dynamodb:us-east-1:1:table/*'] },
    target,
  )[0]!;

  it('covers a part when it covers the rule side or the statement side of both dimensions', () => {
    expect(
      denyCovers(
        { effect: 'Deny', action: ['dynamodb:PutItem'], resource: ['arn:aws:dynamodb:*:*:table/ledger'] },
        part,
      ),
    ).toBe(true);
    expect(
      denyCovers(
        { effect: 'Deny', action: ['dynamodb:*'], resource: ['arn:aws:dynamodb:us-east-1:1:table/*'] },
        part,
      ),
    ).toBe(true);
    expect(
      denyCovers(
        { effect: 'Deny', action: ['dynamodb:PutItem'], resource: ['arn:aws:dynamodb:eu-west-1:*:table/*'] },
        part,
      ),
    ).toBe(false);
    expect(denyCovers({ effect: 'Deny', action: ['dynamodb:DeleteItem'], resource: ['*'] }, part)).toBe(
      false,
    );
  });

  it('never covers with a conditional or unsupported Deny', () => {
    expect(denyCovers({ effect: 'Deny', action: ['*'], resource: ['*'], hasCondition: true }, part)).toBe(
      false,
    );
    expect(denyCovers({ effect: 'Deny', action: ['*'], resource: ['*'], hasPrincipal: true }, part)).toBe(
      false,
    );
    expect(denyTouches({ effect: 'Deny', action: ['*'], resource: ['*'], hasCondition: true }, target)).toBe(
      false,
    );
  });

  it('treats NotAction / NotResource in a Deny as "everything except"', () => {
    expect(denyCovers({ effect: 'Deny', notAction: ['s3:*'], resource: ['*'] }, part)).toBe(true);
    expect(denyCovers({ effect: 'Deny', notAction: ['dynamodb:Get*'], resource: ['*'] }, part)).toBe(true);
    expect(denyCovers({ effect: 'Deny', notAction: ['dynamodb:*'], resource: ['*'] }, part)).toBe(false);
    expect(
      denyCovers({ effect: 'Deny', action: ['*'], notResource: ['arn:aws:dynamodb:*:*:table/ledger'] }, part),
    ).toBe(false);
  });

  it('pre-filters Deny statements that cannot touch the target', () => {
    expect(denyTouches({ effect: 'Deny', action: ['s3:*'], resource: ['*'] }, target)).toBe(false);
    expect(denyTouches({ effect: 'Deny', action: ['dynamodb:*'], resource: ['*'] }, target)).toBe(true);
    expect(denyTouches({ effect: 'Allow', action: ['*'], resource: ['*'] }, target)).toBe(false);
  });
});

describe('unsupportedReason', () => {
  it('names resource-policy statements and statements without actions', () => {
    expect(unsupportedReason({ effect: 'Allow', action: ['*'], hasPrincipal: true })).toMatch(/Principal/);
    expect(unsupportedReason({ effect: 'Allow' })).toMatch(/neither Action nor NotAction/);
    expect(unsupportedReason({ effect: 'Allow', action: ['*'] })).toBeUndefined();
  });
});
