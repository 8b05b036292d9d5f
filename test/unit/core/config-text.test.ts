import { describe, expect, it } from 'vitest';
import { fieldPath, parseConfigText, sourceFieldLocation } from '../../../core/config-text';
import { InputError } from '../../../core/errors';

const VALID = `organization: Example
sources:
  - id: entra
    system: entra
    tenantId: 00000000-0000-0000-0000-000000000000
policy:
  sodRules: [rules/sox-core.yaml]
`;

/** The InputError a parse throws, for its message and location. */
function errorOf(text: string, file = 'deploy.yaml'): InputError {
  try {
    parseConfigText(text, file);
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('parseConfigText', () => {
  it('returns the validated config with defaults, paths as written', () => {
    // Act
    const config = parseConfigText(VALID, 'deploy.yaml');

    // Assert
    expect(config.organization).toBe('Example');
    expect(config.sources[0]).toMatchObject({ id: 'entra', system: 'entra', financiallySignificant: false });
    expect(config.policy).toMatchObject({ sodRules: ['rules/sox-core.yaml'], dormantDays: 90 });
    expect(config.evidence.retentionDays).toBe(2557);
  });

  it('reads JSON too (an object config is shipped as JSON text)', () => {
    // Act
    const config = parseConfigText(
      JSON.stringify({ organization: 'J', sources: [{ id: 's', system: 'salesforce' }] }),
      'inline.json',
    );

    // Assert
    expect(config.sources[0]).toMatchObject({ id: 's', system: 'salesforce', objects: [] });
  });

  it('names the file, line and field of the first schema problem', () => {
    // Arrange: the second source's tenant id is not a UUID (line 8).
    const text = VALID.replace('policy:', '  - id: second\n    system: entra\n    tenantId: nope\npolicy:');

    // Act
    const err = errorOf(text);

    // Assert
    expect(err.location).toEqual({ file: 'deploy.yaml', line: 8, field: 'sources[1].tenantId' });
    expect(err.message).toMatch(/^deploy\.yaml:8 \(sources\[1\]\.tenantId\): /);
  });

  it('names the line of a YAML syntax error', () => {
    // Act
    const err = errorOf('organization: Ex\nsources:\n  - id: a\n   system: [unclosed\n');

    // Assert: the misindented line (the parser reports it with the line, not a pretty excerpt).
    expect(err.location).toEqual({ file: 'deploy.yaml', line: 4 });
    expect(err.message).toMatch(/^deploy\.yaml:4: /);
  });

  it('reports a missing top-level field without a line it cannot point at', () => {
    // Act
    const err = errorOf('sources:\n  - { id: a, system: salesforce }\n');

    // Assert
    expect(err.location).toMatchObject({ file: 'deploy.yaml', field: 'organization' });
  });
});

describe('fieldPath', () => {
  it('writes indexes in brackets and keys with dots', () => {
    // Act / Assert
    expect(fieldPath(['sources', 2, 'files', 'dir'])).toBe('sources[2].files.dir');
    expect(fieldPath([Symbol('x'), 'organization'])).toBe('organization');
  });
});

describe('sourceFieldLocation', () => {
  const text = [
    'organization: Ex',
    'sources:',
    '  - id: erp',
    '    system: erp',
    '  - id: entra',
    '    system: entra',
    '    tenantId: t-1',
    '    clientId: app-1',
  ].join('\n');

  it('points at the key when it is written, else at the source entry, by source id', () => {
    expect(sourceFieldLocation(text, 'entra', 'clientId')).toEqual({ line: 8, field: 'sources[1].clientId' });
    expect(sourceFieldLocation(text, 'erp', 'clientId')).toEqual({ line: 3, field: 'sources[0].clientId' });
    expect(sourceFieldLocation(text, 'erp', undefined)).toEqual({ line: 3, field: 'sources[0]' });
  });

  it('knows nothing of a source the text does not hold', () => {
    expect(sourceFieldLocation(text, 'salesforce', 'clientId')).toBeUndefined();
    expect(sourceFieldLocation('sources: [', 'erp', undefined)).toBeUndefined();
  });
});
