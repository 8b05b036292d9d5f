import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { salesforceConnector } from '../../../../connectors/salesforce';
import { readSavedResult } from '../../../../connectors/salesforce/saved-results';
import { collectSource } from '../../../../core/collect-driver';
import { salesforceSourceSchema } from '../../../../core/config';
import { silentLogger } from '../../../../core/connector';
import { InputError } from '../../../../core/errors';
import { MemoryStaging, readSnapshot } from '../../../integration/salesforce/harness';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sfdc-files-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const page = (type: string, records: Record<string, unknown>[], extra: Record<string, unknown> = {}) => ({
  totalSize: records.length,
  done: true,
  records: records.map((r) => ({
    attributes: { type, url: `/services/data/v62.0/sobjects/${type}/${r.Id}` },
    ...r,
  })),
  ...extra,
});

async function writeMinimalOrg(
  users: unknown = page('User', [{ Id: '005A', Username: 'a@x.com', IsActive: true }]),
) {
  await writeFile(
    join(dir, 'organization.json'),
    JSON.stringify(page('Organization', [{ Id: '00DFILES0000001AAA' }])),
  );
  await writeFile(join(dir, 'permissionsets.json'), JSON.stringify(page('PermissionSet', [])));
  await writeFile(
    join(dir, 'permissionsetassignments.json'),
    JSON.stringify(page('PermissionSetAssignment', [])),
  );
  await writeFile(join(dir, 'users.json'), JSON.stringify(users));
}

async function collectDir() {
  const staging = new MemoryStaging();
  const outcome = await collectSource({
    connector: salesforceConnector,
    source: salesforceSourceSchema.parse({ id: 'sfdc', system: 'salesforce', files: { dir } }),
    key: 'k',
    staging,
    now: () => new Date('2026-10-01T00:00:00.000Z'),
    logger: silentLogger,
  });
  return { outcome, snapshot: readSnapshot(staging.finals.get('k') ?? '') };
}

describe('readSavedResult', () => {
  it('names the file and line of bad JSON', async () => {
    // Arrange
    await writeFile(
      join(dir, 'users.json'),
      '{\n  "totalSize": 1,\n  "done": true,\n  "records": [ { ,\n] }',
    );
    // Act
    const act = readSavedResult(dir, 'users.json');
    // Assert
    await expect(act).rejects.toThrow(InputError);
    await expect(act).rejects.toThrow(new RegExp(`^${join(dir, 'users.json')}:4: not valid JSON`));
  });

  it('refuses JSON that is not a query result', async () => {
    // Arrange
    await writeFile(join(dir, 'users.json'), JSON.stringify([{ Id: '005A' }]));
    // Act / Assert
    await expect(readSavedResult(dir, 'users.json')).rejects.toThrow(/not a saved SOQL query result/);
  });

  it('accepts an answer saved page by page', async () => {
    // Arrange
    const first = {
      ...page('User', [{ Id: '005A' }]),
      totalSize: 2,
      done: false,
      nextRecordsUrl: '/q/01g-1',
    };
    await writeFile(
      join(dir, 'users.json'),
      JSON.stringify([first, { ...page('User', [{ Id: '005B' }]), totalSize: 2 }]),
    );
    // Act
    const saved = await readSavedResult(dir, 'users.json');
    // Assert
    expect(saved?.pages).toHaveLength(2);
  });

  it('returns undefined for a file that is not there', async () => {
    // Act / Assert
    expect(await readSavedResult(dir, 'oauthtokens.json')).toBeUndefined();
  });
});

describe('files mode', () => {
  it('collects a minimal export and warns about what is missing', async () => {
    // Arrange
    await writeMinimalOrg();
    // Act
    const { outcome, snapshot } = await collectDir();
    // Assert
    if (outcome.status !== 'complete') throw new Error(outcome.status);
    expect(outcome.header).toMatchObject({ tenant: '00DFILES0000001AAA', mode: 'files', complete: true });
    expect(outcome.header.warnings).toEqual([
      'objectpermissions.json not found: its records were not collected',
      "oauthtokens.json not found: integration users' last activity is LastLoginDate only",
    ]);
    expect(snapshot.principals).toHaveLength(1);
  });

  it('fails with an InputError when a required file is missing', async () => {
    // Arrange
    await writeMinimalOrg();
    await rm(join(dir, 'users.json'));
    // Act / Assert
    await expect(collectDir()).rejects.toThrow(
      /users\.json: missing: the saved User query result is required/,
    );
  });

  it('marks the snapshot incomplete when a saved answer stops short of its totalSize', async () => {
    // Arrange
    await writeMinimalOrg({
      ...page('User', [{ Id: '005A', Username: 'a@x.com' }]),
      totalSize: 3,
      done: false,
    });
    // Act
    const { outcome } = await collectDir();
    // Assert
    if (outcome.status !== 'complete') throw new Error(outcome.status);
    expect(outcome.header.complete).toBe(false);
    expect(outcome.header.warnings).toEqual(
      expect.arrayContaining([
        'incomplete: file:users.json: the saved answer ends with done: false (pages are missing)',
        'incomplete: file:users.json: received 1 records, totalSize said 3',
      ]),
    );
  });
});
