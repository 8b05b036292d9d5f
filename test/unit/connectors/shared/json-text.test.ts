/** JSON export errors name the file and line and never quote the file's text (issue 11). */
import { describe, expect, it } from 'vitest';
import { parseAuthorizationDetails } from '../../../../connectors/aws-iam/authorization-details';
import { parseOrganizationExport } from '../../../../connectors/aws-iam/organization-policies';
import { parseJsonExport } from '../../../../connectors/shared/json-text';
import { InputError } from '../../../../core/errors';

const CANARY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYCANARYKEY';
const broken = `{\n  "UserDetailList": [],\n  "Note": ${CANARY} oops\n}\n`;

function errorOf(parse: () => unknown): InputError {
  try {
    parse();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('JSON export errors', () => {
  it.each([
    ['the shared parser', () => parseJsonExport(broken, 'x.json')],
    ['the authorization details', () => parseAuthorizationDetails(broken, 'x.json')],
    ['the organization export', () => parseOrganizationExport(broken, 'x.json')],
  ])('%s: names file and line, quotes nothing of the text', (_name, parse) => {
    // Act
    const err = errorOf(parse);

    // Assert
    expect(err.message).toMatch(/invalid JSON/);
    expect(err.location).toMatchObject({ file: 'x.json', line: 3 });
    expect(`${err.message} ${JSON.stringify(err)}`).not.toContain(CANARY.slice(0, 6));
    expect(err.message).not.toContain('Note');
  });

  it('a file cut off says so, with a BOM dropped first', () => {
    // Act
    const err = errorOf(() => parseJsonExport('\ufeff{"a": [1, 2', 'y.json'));

    // Assert
    expect(err.message).toMatch(/ends early/);
    expect(err.location).toMatchObject({ file: 'y.json', line: 1 });
  });
});
