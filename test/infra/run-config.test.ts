import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors';
import { PROJECT_ROOT } from '../../infra/lib/access-proof';
import { propsFromContext } from '../../infra/lib/context-props';
import { loadRunConfigFile, runConfigFromObject } from '../../infra/lib/run-config';

const writeConfig = (text: string, extra: Record<string, string> = {}) => {
  const dir = mkdtempSync(join(tmpdir(), 'accessproof-runconfig-'));
  for (const [name, body] of Object.entries(extra)) writeFileSync(join(dir, name), body);
  const file = join(dir, 'deploy.yaml');
  writeFileSync(file, text);
  return { dir, file };
};

describe('run config for the deployed state machine', () => {
  it('keeps the config file text byte for byte and reads the rulesets it names', () => {
    // Arrange
    const text =
      'organization: Ex\nsources:\n  - { id: entra, system: entra, tenantId: 00000000-0000-0000-0000-000000000000 }\npolicy:\n  sodRules: [mine.yaml]\n';
    const { file, dir } = writeConfig(text, { 'mine.yaml': 'version: 1\nfunctions: []\nrisks: []\n' });

    // Act
    const { config, document } = loadRunConfigFile(file, dir);

    // Assert
    expect(document).toEqual({
      file: 'deploy.yaml',
      text,
      rulesets: [{ path: 'mine.yaml', text: 'version: 1\nfunctions: []\nrisks: []\n' }],
    });
    expect(config.sources[0]).toMatchObject({ id: 'entra', system: 'entra' });
  });

  it('refuses files-mode and ERP sources, naming the file and source', () => {
    // Arrange
    const { file, dir } = writeConfig(
      'organization: Ex\nsources:\n  - id: netsuite\n    system: erp\n    files: { users: u.csv, roles: r.csv, assignments: a.csv }\n',
    );
    const { file: awsFile, dir: awsDir } = writeConfig(
      'organization: Ex\nsources:\n  - id: prod\n    system: aws\n    files: { authorizationDetails: authz.json }\n',
    );

    // Act / Assert
    expect(() => loadRunConfigFile(file, dir)).toThrow(InputError);
    expect(() => loadRunConfigFile(file, dir)).toThrow(
      /deploy\.yaml \(sources\[0\]\): source "netsuite": ERP extracts are files/,
    );
    expect(() => loadRunConfigFile(awsFile, awsDir)).toThrow(/source "prod": files mode reads local exports/);
  });

  it('reports schema errors with the line and field path (the CLI parser), and a missing ruleset by name', () => {
    // Arrange
    const { file, dir } = writeConfig(
      'organization: Ex\nsources:\n  - { id: x, system: entra, tenantId: nope }\n',
    );
    const { file: f2, dir: d2 } = writeConfig(
      'organization: Ex\nsources:\n  - { id: sf, system: salesforce }\npolicy: { sodRules: [gone.yaml] }\n',
    );

    // Act / Assert
    expect(() => loadRunConfigFile(file, dir)).toThrow(/^deploy\.yaml:3 \(sources\[0\]\.tenantId\): /);
    expect(() => loadRunConfigFile(f2, d2)).toThrow(/gone\.yaml: file not found/);
  });

  it('packages an object config as JSON text', () => {
    // Act
    const { document } = runConfigFromObject(
      { organization: 'Obj', sources: [{ id: 'sf', system: 'salesforce' }] },
      PROJECT_ROOT,
    );

    // Assert
    expect(document.file).toBe('inline.json');
    expect(JSON.parse(document.text)).toEqual({
      organization: 'Obj',
      sources: [{ id: 'sf', system: 'salesforce' }],
    });
    expect(document.rulesets).toEqual([]);
  });
});

describe('context → AccessProof props', () => {
  it('parses -c strings into numbers, booleans and lists', () => {
    // Arrange
    const ctx: Record<string, unknown> = {
      configFile: 'c.yaml',
      externalId: 'ext-1',
      retentionDays: '3650',
      identityCenter: 'true',
      memberStack: 'false',
      auditorPrincipalArns: 'arn:aws:iam::1:role/A, arn:aws:iam::1:role/B',
      scheduleExpression: 'rate(1 day)',
      account: '123456789012',
    };

    // Act
    const props = propsFromContext((k) => ctx[k]);

    // Assert
    expect(props).toEqual({
      configFile: 'c.yaml',
      externalId: 'ext-1',
      retentionDays: 3650,
      identityCenter: true,
      memberStack: false,
      auditorPrincipalArns: ['arn:aws:iam::1:role/A', 'arn:aws:iam::1:role/B'],
      schedule: { expression: 'rate(1 day)' },
      env: { account: '123456789012' },
    });
  });

  it('names the key when a value is wrong or missing', () => {
    // Act / Assert
    expect(() => propsFromContext((k) => ({ configFile: 'c.yaml' })[k])).toThrow(/"externalId" is required/);
    expect(() =>
      propsFromContext((k) => ({ configFile: 'c.yaml', externalId: 'e1', retentionDays: 'seven' })[k]),
    ).toThrow(/"retentionDays" must be a number/);
    expect(() =>
      propsFromContext((k) => ({ configFile: 'c.yaml', externalId: 'e1', identityCenter: 'yes' })[k]),
    ).toThrow(/"identityCenter" must be true or false/);
  });
});
