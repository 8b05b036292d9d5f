import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../core/config-text';
import { InputError } from '../../../core/errors';
import { parseRuleset } from '../../../core/sod';

const VALID = `organization: Example
sources:
  - id: entra
    system: entra
    tenantId: 00000000-0000-0000-0000-000000000000
`;

function errorOf(parse: () => unknown): InputError {
  try {
    parse();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

/** Nine levels of nine aliases each: 9^9 nodes if expanded. */
const BOMB = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...'bcdefghi'.split('').map((c, i) => {
    const prev = 'abcdefghi'[i]!;
    return `${c}: &${c} [${Array(9).fill(`*${prev}`).join(',')}]`;
  }),
].join('\n');

describe('config and ruleset hardening (issue 11)', () => {
  it('a YAML alias bomb in a config is an InputError naming the file and line', () => {
    const err = errorOf(() => parseConfigText(`${VALID}${BOMB}\n`, 'bomb.yaml'));
    expect(err.message).toMatch(/^bomb\.yaml:\d+: YAML aliases expand beyond 100/);
  });

  it('a YAML alias bomb in a ruleset is an InputError naming the file and line', () => {
    const err = errorOf(() => parseRuleset(`version: 1\n${BOMB}\n`, 'bomb-rules.yaml'));
    expect(err.message).toMatch(/^bomb-rules\.yaml:\d+: YAML aliases expand beyond 100/);
  });

  it('an unknown top-level key is reported with its line and name', () => {
    const err = errorOf(() => parseConfigText(`${VALID}polciy:\n  dormantDays: 30\n`, 'typo.yaml'));
    expect(err.message).toMatch(/^typo\.yaml:6 \(polciy\): /);
  });

  it.each([
    ['policy:\n  slaDays: { critical: 100000000 }\n', 'policy.slaDays.critical'],
    ['policy:\n  dormantDays: 99999999\n', 'policy.dormantDays'],
    ['policy:\n  neverUsedGraceDays: 99999999\n', 'policy.neverUsedGraceDays'],
    ['policy:\n  credentialMaxAgeDays: 99999999\n', 'policy.credentialMaxAgeDays'],
    ['evidence:\n  retentionDays: 99999999\n', 'evidence.retentionDays'],
  ])('an out-of-range number is refused: %s', (extra, field) => {
    const err = errorOf(() => parseConfigText(`${VALID}${extra}`, 'range.yaml'));
    expect(err.message).toContain(`(${field})`);
  });
});
