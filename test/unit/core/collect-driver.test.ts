import { describe, expect, it } from 'vitest';
import { collectSource } from '../../../core/collect-driver';
import type { Connector } from '../../../core/connector';
import { createScrubber } from '../../../core/secrets';
import { DirectGrant, RECORD_KINDS } from '../../../core/snapshot';
import { MemoryStaging } from '../../support/memory-staging';

// Three pages of one principal each; the upstream token lives only in connector state.
const pager: Connector<{ id: string }, { token: string; n: number }> = {
  name: 'pager',
  version: '1.0.0',
  system: 'erp',
  async begin() {
    return { state: { token: 'SECRET-MARKER-0', n: 0 }, tenant: 't', mode: 'api' };
  },
  async step(ctx, s) {
    ctx.calls.record('list', { calls: 1, pages: 1, records: 1 });
    const p = {
      uid: `erp:t:${s.n}`,
      system: 'erp' as const,
      tenant: 't',
      sourceId: 'src',
      nativeId: String(s.n),
      name: `u${s.n}`,
      kind: 'human' as const,
      type: 'user',
      status: 'active' as const,
      owners: [],
      credentials: [],
      tags: {},
    };
    return {
      page: { principals: [p] },
      next: s.n < 2 ? { token: `SECRET-MARKER-${s.n + 1}`, n: s.n + 1 } : null,
    };
  },
};

describe('collectSource', () => {
  it('pauses before the deadline and resumes to the same snapshot, without leaking state into the cursor', async () => {
    // Arrange
    const now = () => new Date('2026-10-01T00:00:00Z');
    const whole = new MemoryStaging();
    const resumed = new MemoryStaging();
    let budget = 2; // the fake clock allows two steps, then the deadline is near
    const deadline = { remainingMs: () => (budget-- > 0 ? 10_000 : 0), marginMs: 1_000 };
    const base = { connector: pager, source: { id: 'src' }, key: 'run/src', now, logger: console };

    // Act
    const full = await collectSource({ ...base, staging: whole });
    const first = await collectSource({ ...base, staging: resumed, deadline });
    if (first.status !== 'partial') throw new Error(`expected partial, got ${first.status}`);
    const second = await collectSource({ ...base, staging: resumed, cursor: first.cursor });

    // Assert
    expect(full.status).toBe('complete');
    expect(second.status).toBe('complete');
    expect(Buffer.from(first.cursor, 'base64url').toString()).not.toContain('SECRET-MARKER');
    expect(resumed.finals.get('run/src')).toBe(whole.finals.get('run/src'));
    expect(whole.finals.get('run/src')?.split('\n')).toHaveLength(4);
  });

  it('writes a key index with one key line per principal line, in order, also across a pause (sharded scan)', async () => {
    // Arrange
    const now = () => new Date('2026-10-01T00:00:00Z');
    const whole = new MemoryStaging();
    const resumed = new MemoryStaging();
    let budget = 1;
    const deadline = { remainingMs: () => (budget-- > 0 ? 10_000 : 0), marginMs: 1_000 };
    const base = {
      connector: pager,
      source: { id: 'src' },
      key: 'run/src',
      now,
      logger: console,
      keyIndex: true,
    };

    // Act
    const full = await collectSource({ ...base, staging: whole });
    const first = await collectSource({ ...base, staging: resumed, deadline });
    if (first.status !== 'partial') throw new Error(`expected partial, got ${first.status}`);
    const second = await collectSource({ ...base, staging: resumed, cursor: first.cursor });
    const plain = await collectSource({ ...base, keyIndex: false, staging: new MemoryStaging() });

    // Assert
    if (full.status !== 'complete' || second.status !== 'complete') throw new Error('expected complete');
    expect(full.keyIndex?.records).toBe(3);
    expect(plain.status === 'complete' && plain.keyIndex).toBe(undefined);
    const keys = (whole.finals.get('run/src.keyindex') as string).split('\n');
    expect(JSON.parse(keys[0]!)).toMatchObject({ type: 'key-index', sourceId: 'src', principals: 3 });
    expect(JSON.parse(keys[0]!).snapshot).toEqual(
      JSON.parse((whole.finals.get('run/src') as string).split('\n')[0]!),
    );
    const principals = (whole.finals.get('run/src') as string)
      .split('\n')
      .slice(1)
      .map((l) => JSON.parse(l).principal);
    expect(keys.slice(1).map((l) => JSON.parse(l).key.uid)).toEqual(principals.map((p) => p.uid));
    expect(JSON.parse(keys[1]!).key).not.toHaveProperty('credentials');
    expect(resumed.finals.get('run/src.keyindex')).toBe(whole.finals.get('run/src.keyindex'));
  });

  it('refuses a cursor whose checkpoint changed', async () => {
    const staging = new MemoryStaging();
    const deadline = { remainingMs: () => 0, marginMs: 1 };
    const base = {
      connector: pager,
      source: { id: 'src' },
      key: 'run/src',
      now: () => new Date(0),
      logger: console,
    };
    const first = await collectSource({ ...base, staging, deadline });
    if (first.status !== 'partial') throw new Error('expected partial');
    staging.checkpoints.set('run/src', '{}');
    await expect(collectSource({ ...base, staging, cursor: first.cursor })).rejects.toThrow(
      /no checkpoint matches/,
    );
  });

  it('records a thrown upstream error as a failed source', async () => {
    const failing = {
      ...pager,
      step: async () => Promise.reject(new Error('GetThing page 2: AccessDenied')),
    };
    const out = await collectSource({
      connector: failing,
      source: { id: 'src' },
      key: 'k',
      staging: new MemoryStaging(),
      now: () => new Date(0),
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    expect(out).toMatchObject({ status: 'failed', error: 'GetThing page 2: AccessDenied' });
  });

  // Without writePartBytes the driver hands writePart the part's text; with it, the UTF-8 bytes of
  // a buffer it reuses (this staging copies them, as the port asks).
  const stagings = {
    'lines (writePart)': () => new MemoryStaging(),
    'bytes (writePartBytes)': () =>
      Object.assign(new MemoryStaging(), {
        async writePartBytes(this: MemoryStaging, key: string, seq: number, bytes: Uint8Array) {
          const text = Buffer.from(bytes).toString('utf8');
          expect(text.endsWith('\n')).toBe(true);
          await this.writePart(key, seq, [text.slice(0, -1)]);
        },
      }),
  };

  it.each(Object.keys(stagings))(
    'stages each record as the JSON of its one-key record, kinds mixed across parts, non-ASCII text, a line past the first buffer, a secret scrubbed: %s',
    async (flavour) => {
      // Arrange: pages mixing every kind, long runs of grants (past the driver's part size), text
      // outside ASCII (2-, 3- and 4-byte UTF-8) and one principal line longer than the driver's
      // first part buffer (1 MiB)
      const secret = 'hunter2-very-secret-value';
      const expected: string[] = [];
      const pages = [0, 1, 2].map((n) => {
        const principals = [
          { uid: `erp:t:u${n}`, name: n === 1 ? `svc ${secret}` : `user "${n}"\n Zoë 日本 😀` },
          ...(n === 2 ? [{ uid: 'erp:t:big', name: 'é'.repeat(700_000) }] : []),
        ];
        const entitlements = [{ uid: `erp:t:r${n}`, permissions: ['a', 'b'] }];
        const grants = Array.from({ length: 26_000 }, (_, i) => ({
          principal: `erp:t:u${n}`,
          entitlement: `erp:t:r${i % 7}`,
          path: [],
          ...(i % 3 ? { grantedAt: '2024-01-01T00:00:00.000Z' } : {}),
        }));
        const people = [{ id: `p${n}`, email: `p${n}@example.com` }];
        const links = [{ person: `p${n}`, principal: `erp:t:u${n}` }];
        for (const p of principals)
          expected.push(JSON.stringify({ principal: p }).replace(secret, '[redacted]'));
        for (const e of entitlements) expected.push(JSON.stringify({ entitlement: e }));
        for (const g of grants) expected.push(JSON.stringify({ grant: g }));
        for (const p of people) expected.push(JSON.stringify({ person: p }));
        for (const l of links) expected.push(JSON.stringify({ link: l }));
        return { principals, entitlements, grants, people, links };
      });
      const connector = {
        ...pager,
        async begin() {
          return { state: { token: '', n: 0 }, tenant: 't', mode: 'files' as const };
        },
        async step(_ctx: unknown, s: { token: string; n: number }) {
          return { page: pages[s.n] as never, next: s.n < 2 ? { token: '', n: s.n + 1 } : null };
        },
      };
      const staging = stagings[flavour as keyof typeof stagings]();
      const kept: { kinds: Uint8Array; records: unknown[] }[] = [];
      Object.assign(staging, {
        keepRecords: (_k: string, seq: number, part: (typeof kept)[0]) => (kept[seq] = part),
      });

      // Act
      const out = await collectSource({
        connector: connector as unknown as typeof pager,
        source: { id: 'src' },
        key: 'run/src',
        staging,
        now: () => new Date(0),
        logger: { debug() {}, info() {}, warn() {}, error() {} },
        scrubber: createScrubber([secret]),
      });

      // Assert: the very lines JSON.stringify gives per record, in page order, in more than one part
      if (out.status !== 'complete') throw new Error(out.status);
      const lines = (staging.finals.get('run/src') as string).split('\n');
      expect(lines.slice(1)).toEqual(expected);
      expect(out.snapshot.records).toBe(expected.length);
      expect(kept.length).toBeGreaterThan(1);
      // Kept records are what the lines say (the scrubbed principal as staged, not the original).
      const keptLines = kept.flatMap((part) =>
        part.records.map((r, i) => JSON.stringify({ [RECORD_KINDS[part.kinds[i] as number] as string]: r })),
      );
      expect(keptLines).toEqual(expected);
    },
  );
});

describe('collectSource with DirectGrant records', () => {
  const run = async (grants: DirectGrant[], secrets: string[] = []) => {
    const connector: Connector<{ id: string }, { n: number }> = {
      ...pager,
      async begin() {
        return { state: { n: 0 }, tenant: 't', mode: 'files' };
      },
      async step(_ctx, s) {
        // Two pages: the piece caches carry over from one to the next.
        const half = Math.ceil(grants.length / 2);
        return {
          page: { grants: s.n === 0 ? grants.slice(0, half) : grants.slice(half) },
          next: s.n === 0 ? { n: 1 } : null,
        };
      },
    };
    const staging = Object.assign(new MemoryStaging(), {
      async writePartBytes(this: MemoryStaging, key: string, seq: number, bytes: Uint8Array) {
        await this.writePart(key, seq, [Buffer.from(bytes).toString('utf8').slice(0, -1)]);
      },
    });
    const out = await collectSource({
      connector,
      source: { id: 'src' },
      key: 'run/src',
      staging,
      now: () => new Date(0),
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      scrubber: createScrubber(secrets),
    });
    if (out.status !== 'complete') throw new Error(out.status);
    return (staging.finals.get('run/src') as string).split('\n').slice(1);
  };

  it('writes the very line JSON.stringify gives, for any uid text and with or without grantedAt', async () => {
    // Arrange: quotes, backslashes, control characters, non-ASCII, a lone surrogate, repeated and
    // alternating principals, and more distinct entitlements than the piece cache holds
    const odd = [
      'erp:t:"q"',
      'erp:t:back\\slash',
      'erp:t:tab\there\u0001',
      'erp:t:Zoë 日本 😀',
      'erp:t:\ud800x',
    ];
    const grants: DirectGrant[] = [];
    for (let i = 0; i < 70_000; i++) {
      const principal = i % 1000 < 500 ? (odd[i % odd.length] as string) : `erp:t:U${i % 7}`;
      const entitlement = i < 66_000 ? `erp:t:R${i}` : (odd[(i + 2) % odd.length] as string);
      grants.push(
        new DirectGrant(principal, entitlement, i % 3 ? `2024-01-0${1 + (i % 9)}T00:00:00.000Z` : undefined),
      );
    }
    grants.push(new DirectGrant('erp:t:p', 'erp:t:e', 'Zoë "quoted"'));

    // Act
    const lines = await run(grants);

    // Assert
    const expected = grants.map((g) => JSON.stringify({ grant: g }));
    const firstDiff = lines.findIndex((line, i) => line !== expected[i]);
    expect({ firstDiff, line: lines[firstDiff] }).toEqual({ firstDiff: -1, line: undefined });
    expect(lines).toHaveLength(expected.length);
    expect(lines[1]).toBe(
      '{"grant":{"principal":"erp:t:back\\\\slash","entitlement":"erp:t:R1","path":[],"grantedAt":"2024-01-02T00:00:00.000Z"}}',
    );
  });

  it('scrubs a secret value in a DirectGrant as in any record (no cached pieces then)', async () => {
    const secret = 'hunter2-very-secret-value';
    const grants = [
      new DirectGrant(`erp:t:${secret}`, 'erp:t:R1', '2024-01-01T00:00:00.000Z'),
      new DirectGrant('erp:t:U1', 'erp:t:R1'),
    ];

    const lines = await run(grants, [secret]);

    expect(lines).toEqual([
      '{"grant":{"principal":"erp:t:[redacted]","entitlement":"erp:t:R1","path":[],"grantedAt":"2024-01-01T00:00:00.000Z"}}',
      '{"grant":{"principal":"erp:t:U1","entitlement":"erp:t:R1","path":[]}}',
    ]);
  });

  it('serializes a DirectGrant given another grant field the ordinary way (no field dropped)', async () => {
    const g = Object.assign(new DirectGrant('erp:t:U1', 'erp:t:R1'), {
      validUntil: '2025-01-01T00:00:00.000Z',
    });

    const lines = await run([g]);

    expect(lines).toEqual([JSON.stringify({ grant: g })]);
    expect(lines[0]).toContain('"validUntil"');
  });
});
