import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  isSafePackPath,
  nextLink,
  packRelativeDir,
  parseManifest,
} from '../../../../core/evidence/manifest';
import { signManifest } from '../../../../core/evidence/seal';
import { ed25519Signer, makeDraft } from './memory-packs';

describe('canonicalJson', () => {
  it('sorts keys at every depth, drops undefined and ends with a newline', () => {
    // Arrange
    const value = { b: 1, a: { d: [3, { z: 1, y: undefined, x: 2 }], c: 'é' } };

    // Act
    const text = canonicalJson(value);

    // Assert
    expect(text).toBe(
      '{\n  "a": {\n    "c": "é",\n    "d": [\n      3,\n      {\n        "x": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n',
    );
  });

  it('gives the same bytes whatever the insertion order', () => {
    // Arrange / Act / Assert
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });

  it('refuses numbers JSON cannot carry', () => {
    // Arrange / Act / Assert
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/\$\.n: NaN/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/function/);
  });
});

describe('manifest schema', () => {
  it('parses back what signManifest wrote', async () => {
    // Arrange
    const signed = await signManifest(
      makeDraft(),
      [{ path: 'findings.jsonl', sha256: 'a'.repeat(64), bytes: 3, records: 1 }],
      { mode: 'COMPLIANCE', until: '2033-10-01T06:05:00.000Z' },
      ed25519Signer(),
    );

    // Act
    const parsed = parseManifest(signed.manifestBytes);

    // Assert
    expect(parsed).toEqual({ ok: true, value: signed.manifest });
    expect(new TextDecoder().decode(signed.manifestBytes).endsWith('}\n')).toBe(true);
  });

  it('names the field that is wrong', async () => {
    // Arrange
    const signed = await signManifest(makeDraft(), [], { mode: 'none' }, ed25519Signer());
    const json = JSON.parse(new TextDecoder().decode(signed.manifestBytes));
    json.files = [{ path: '../x', sha256: 'ABC', bytes: 1, records: 0 }];

    // Act
    const parsed = parseManifest(new TextEncoder().encode(JSON.stringify(json)));

    // Assert
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toMatch(/files\[0\]\.path: .*files\[0\]\.sha256: lowercase hex/);
  });

  it('refuses a first pack with a previous link, and truncated JSON', () => {
    // Arrange / Act
    const truncated = parseManifest(new TextEncoder().encode('{"format":'));

    // Assert
    expect(truncated.ok).toBe(false);
    expect(!truncated.ok && truncated.error).toMatch(/not UTF-8 JSON/);
  });

  it('rejects a draft whose sequence disagrees with previous', async () => {
    // Arrange
    const draft = makeDraft({ sequence: 2, previous: null });

    // Act / Assert
    await expect(signManifest(draft, [], { mode: 'none' }, ed25519Signer())).rejects.toThrow(
      /sequence: sequence is 1 exactly when previous is null/,
    );
  });
});

describe('paths and links', () => {
  it('accepts relative slash paths and refuses escapes', () => {
    // Arrange / Act / Assert
    expect(isSafePackPath('inventory/erp.jsonl.gz')).toBe(true);
    for (const bad of ['', '/etc/passwd', '../x', 'a/../b', 'a//b', 'a\\b', './a', 'a\n'])
      expect(isSafePackPath(bad)).toBe(false);
  });

  it('files a pack under the UTC date of its start', () => {
    // Arrange / Act / Assert
    expect(packRelativeDir('r1', '2026-10-01T23:30:00-02:00')).toBe('packs/2026/10/02/r1');
  });

  it('links the next pack to the head', () => {
    // Arrange / Act / Assert
    expect(nextLink(null)).toEqual({ previous: null, sequence: 1 });
    expect(nextLink({ runId: 'r1', manifestSha256: 'f'.repeat(64), sequence: 4 })).toEqual({
      previous: { runId: 'r1', manifestSha256: 'f'.repeat(64) },
      sequence: 5,
    });
  });
});
