import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../../core/errors';
import { type ManifestDraft, nextLink } from '../../../core/evidence/manifest';
import type { SealedPack } from '../../../core/evidence/ports';
import { findChainHead } from '../../../core/evidence/verify';
import type { Entitlement, Grant, Principal } from '../../../core/model';
import { LocalSigner } from '../../../stores/local-signer/local-signer';
import { LocalVault } from '../../../stores/local-vault/local-vault';
import { gunzipLines } from '../../../stores/sqlite-reviews/gunzip-lines';
import { readLatestPackInventory } from '../../../stores/sqlite-reviews/pack-inventory-reader';
import { makeEntitlement, makeGrant, makeHeader, makePrincipal } from '../../support/factories';

let root: string;
let evidence: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'accessproof-reviews-pack-'));
  evidence = join(root, 'evidence');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const alice = makePrincipal({ nativeId: 'U-ALICE', name: 'Keller, Alice', email: 'alice@example.com' });
const bob = makePrincipal({ nativeId: 'U-BOB', name: 'Ortiz, Bob' });
const pay = makeEntitlement({ nativeId: 'R-AP-PAY', name: 'AP Payment Release', privileged: true });

function snapshot(records: {
  principals: Principal[];
  entitlements: Entitlement[];
  grants: Grant[];
}): string {
  const lines = [
    JSON.stringify(
      makeHeader({
        counts: {
          principals: records.principals.length,
          entitlements: records.entitlements.length,
          grants: records.grants.length,
        },
      }),
    ),
    ...records.entitlements.map((entitlement) => JSON.stringify({ entitlement })),
    ...records.principals.map((principal) => JSON.stringify({ principal })),
    ...records.grants.map((grant) => JSON.stringify({ grant })),
  ];
  return `${lines.join('\n')}\n`;
}

/** Seal a pack holding `erp-test`'s snapshot; `aws-test` is recorded as failed. */
async function seal(runId: string, day: number, text: string, gz?: Uint8Array): Promise<SealedPack> {
  const vault = new LocalVault(evidence);
  const head = await findChainHead(vault.reader());
  const at = `2026-10-${String(day).padStart(2, '0')}T06:00:00.000Z`;
  const pack = await vault.begin(runId, new Date(at));
  await pack.add('inventory/erp-test.jsonl.gz', gz ?? gzipSync(text), text.split('\n').length - 1);
  await pack.add('findings.jsonl', new TextEncoder().encode(''), 0);
  const draft: ManifestDraft = {
    runId,
    ...nextLink(head),
    startedAt: at,
    finishedAt: at,
    asOf: at,
    toolVersion: '0.1.0',
    organization: 'Example',
    configSha256: 'a'.repeat(64),
    sources: [
      {
        id: 'erp-test',
        system: 'erp',
        tenant: 'erp-test',
        status: 'complete',
        counts: { principals: 2, entitlements: 1, grants: 2 },
      },
      {
        id: 'aws-test',
        system: 'aws',
        tenant: '',
        status: 'failed',
        error: 'AccessDenied',
        counts: { principals: 0, entitlements: 0, grants: 0 },
      },
    ],
  };
  return pack.seal(draft, await LocalSigner.open(join(root, 'state')));
}

async function inputError(p: Promise<unknown>): Promise<InputError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('readLatestPackInventory', () => {
  it("reads the newest sealed pack's inventory, with failed sources from the manifest", async () => {
    // Arrange
    await seal(
      'run-1',
      1,
      snapshot({
        principals: [alice, bob],
        entitlements: [pay],
        grants: [makeGrant(alice, pay), makeGrant(bob, pay)],
      }),
    );
    const second = await seal(
      'run-2',
      2,
      snapshot({ principals: [alice, bob], entitlements: [pay], grants: [makeGrant(alice, pay)] }),
    );
    // Act
    const pack = await readLatestPackInventory(evidence);
    // Assert
    expect(pack).toMatchObject({
      runId: 'run-2',
      sequence: 2,
      manifestSha256: second.manifestSha256,
      location: second.location,
    });
    expect(pack.inventory.grantCount).toBe(1);
    expect(pack.inventory.principals.get(alice.uid)?.email).toBe('alice@example.com');
    expect(pack.inventory.sources.get('erp-test')).toMatchObject({ status: 'collected', complete: true });
    expect(pack.inventory.sources.get('aws-test')).toMatchObject({ status: 'failed', error: 'AccessDenied' });
  });

  it('reads an older pack when asked for its run', async () => {
    // Arrange
    await seal(
      'run-1',
      1,
      snapshot({
        principals: [alice, bob],
        entitlements: [pay],
        grants: [makeGrant(alice, pay), makeGrant(bob, pay)],
      }),
    );
    await seal('run-2', 2, snapshot({ principals: [alice], entitlements: [pay], grants: [] }));
    // Act
    const pack = await readLatestPackInventory(evidence, { runId: 'run-1' });
    // Assert
    expect(pack.runId).toBe('run-1');
    expect(pack.inventory.grantCount).toBe(2);
  });

  it('refuses an inventory file changed since sealing (hash checked while reading)', async () => {
    // Arrange
    const sealed = await seal(
      'run-1',
      1,
      snapshot({ principals: [alice], entitlements: [pay], grants: [makeGrant(alice, pay)] }),
    );
    const file = join(sealed.location, 'inventory', 'erp-test.jsonl.gz');
    await chmod(file, 0o644);
    await writeFile(file, gzipSync(snapshot({ principals: [alice], entitlements: [pay], grants: [] })));
    // Act
    const err = await inputError(readLatestPackInventory(evidence));
    // Assert
    expect(err.location.file).toBe(file);
    expect(err.message).toMatch(/changed since the pack was sealed .*run `accessproof verify`/);
  });

  it('names the file and line of a record that is not a snapshot record', async () => {
    // Arrange
    const text = `${snapshot({ principals: [alice], entitlements: [pay], grants: [] })}{"grant":{"principal":"x"}}\n`;
    await seal('run-1', 1, text);
    // Act
    const err = await inputError(readLatestPackInventory(evidence));
    // Assert
    expect(err.location.file).toMatch(/run-1\/inventory\/erp-test\.jsonl\.gz$/);
    expect(err.location.line).toBe(4);
  });

  it('names the file of bytes that are not gzip', async () => {
    // Arrange
    await seal('run-1', 1, 'x', new TextEncoder().encode('not gzip at all'));
    // Act
    const err = await inputError(readLatestPackInventory(evidence));
    // Assert
    expect(err.location.file).toMatch(/inventory\/erp-test\.jsonl\.gz$/);
    expect(err.message).toMatch(/not valid gzip data/);
  });

  it('says to scan first when the folder has no pack, and names a folder that does not exist', async () => {
    // Arrange
    await mkdir(evidence, { recursive: true });
    // Act
    const empty = await inputError(readLatestPackInventory(evidence));
    const missing = await inputError(readLatestPackInventory(join(root, 'missing')));
    // Assert
    expect(empty.message).toMatch(/no sealed evidence pack here: run `accessproof scan` first/);
    expect(missing.message).toMatch(/no such evidence directory/);
  });
});

describe('gunzipLines', () => {
  it('keeps a character split across chunks whole and yields a last line without a newline', async () => {
    // Arrange
    const gz = gzipSync('first\n\nzweite Zeile: Größe ✓\nlast');
    async function* bytewise() {
      for (const b of gz) yield Uint8Array.of(b);
    }
    // Act
    const lines: string[] = [];
    for await (const line of gunzipLines(bytewise())) lines.push(line);
    // Assert
    expect(lines).toEqual(['first', 'zweite Zeile: Größe ✓', 'last']);
  });

  it('fails (instead of hanging) when the byte source fails', async () => {
    // Arrange
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield gzipSync('a\nb\n').subarray(0, 5);
      throw new Error('connection reset');
    }
    // Act
    const run = async () => {
      for await (const _ of gunzipLines(broken())) {
        // drain
      }
    };
    // Assert
    await expect(run()).rejects.toThrow('connection reset');
  });
});
