import { describe, expect, it } from 'vitest';
import { compileGlob, globCovers, globMatch, globsIntersect } from '../../../../core/glob';

const CI = { caseInsensitive: true };

describe('globMatch', () => {
  it('matches * across ":" and "/" and ? as exactly one character', () => {
    expect(globMatch('arn:aws:s3:::bucket/*', 'arn:aws:s3:::bucket/a/b/c')).toBe(true);
    expect(
      globMatch(
        'arn:aws:dynamodb:*:*:table/vendor-master',
        'arn:aws:dynamodb:us-east-1:1:table/vendor-master',
      ),
    ).toBe(true);
    expect(globMatch('s3:Get?bject', 's3:GetObject')).toBe(true);
    expect(globMatch('s3:Get?bject', 's3:GetOObject')).toBe(false);
  });

  it('treats regex characters literally', () => {
    expect(globMatch('a.b(c)+', 'a.b(c)+')).toBe(true);
    expect(globMatch('a.b', 'axb')).toBe(false);
  });

  it('is case-sensitive unless asked', () => {
    expect(globMatch('AP Payment*', 'ap payment release')).toBe(false);
    expect(globMatch('AP Payment*', 'ap payment release', CI)).toBe(true);
    expect(globMatch('Global Administrator', 'global administrator', CI)).toBe(true);
  });

  it('returns the same compiled matcher for the same pattern', () => {
    expect(compileGlob('x*', CI)).toBe(compileGlob('x*', CI));
  });
});

describe('globsIntersect', () => {
  it.each([
    ['s3:Put*', 's3:*Object', true],
    ['s3:Put*', 's3:Get*', false],
    ['*', 'anything', true],
    ['a*c', 'ab?', true],
    ['a*c', 'b*', false],
    ['a?', '?b', true],
    ['a?', '??c', false],
    ['*x*', '*y*', true],
    ['arn:aws:s3:::payment-files*/*', 'arn:aws:s3:::other/*', false],
  ])('%s ∩ %s ≠ ∅ is %s', (a, b, expected) => {
    expect(globsIntersect(a, b, CI)).toBe(expected);
    expect(globsIntersect(b, a, CI)).toBe(expected);
  });

  it('compares letters case-insensitively only when asked', () => {
    expect(globsIntersect('S3:put*', 's3:*OBJECT', CI)).toBe(true);
    expect(globsIntersect('S3:put*', 's3:*OBJECT')).toBe(false);
  });
});

describe('globCovers', () => {
  it.each([
    ['*', 's3:Put*', true],
    ['s3:*', 's3:Put*', true],
    ['s3:Put*', 's3:*', false],
    ['s3:PutObject', 's3:PutObject', true],
    ['s3:Put*', 's3:PutObject', true],
    ['a?c', 'a*c', false],
    ['a?c', 'a?c', true],
    ['a*', 'a?', true],
    ['arn:aws:s3:::*', 'arn:aws:s3:::pay/*', true],
    ['arn:aws:s3:::pay/*', 'arn:aws:s3:::*', false],
  ])('%s ⊇ %s is %s', (outer, inner, expected) => {
    expect(globCovers(outer, inner, CI)).toBe(expected);
  });
});
