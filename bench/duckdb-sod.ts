/**
 * The baseline a data-minded engineer would pick: the SoD evaluation as SQL in DuckDB over the same
 * normalized data — active principals by identity, grants, and which functions each entitlement
 * gives — loaded with DuckDB's appender (batch insert) as integer keys, joined with hash joins.
 */
import { DuckDBDataChunk, DuckDBInstance, INTEGER } from '@duckdb/node-api';
import type { Inventory } from '../core/inventory';
import { type CompiledRuleset, matchEntitlement } from '../core/sod';

export interface DuckdbSodResult {
  /** `<identity id>|<risk id>` for every conflict. */
  pairs: Set<string>;
  /**
   * The proof of every conflict, as the engine's findings give it: per conflict, the sorted
   * `<function id>|<principal uid>|<entitlement uid>` of each grant giving one of the risk's functions.
   */
  evidence: Map<string, string[]>;
  loadSeconds: number;
  querySeconds: number;
  /** load + query: what `sodRatio` divides by. */
  seconds: number;
  rows: { identityPrincipals: number; grants: number; entitlementFunctions: number };
}

// The question the engine answers: which identities hold every function of a risk, and through
// which grants. Same output, so the same work: conflicts, then the grants that prove them.
const SQL = `
WITH held AS (
  SELECT DISTINCT ip.identity, ef.fn
  FROM grants g
  JOIN entitlement_functions ef ON ef.entitlement = g.entitlement
  JOIN identity_principals ip ON ip.principal = g.principal
),
conflicts AS (
  SELECT h.identity, rf.risk
  FROM held h
  JOIN risk_functions rf ON rf.fn = h.fn
  JOIN risk_sizes rs ON rs.risk = rf.risk
  GROUP BY h.identity, rf.risk
  HAVING count(*) = any_value(rs.n)
)
SELECT c.identity, c.risk, rf.fn, g.principal, g.entitlement
FROM conflicts c
JOIN risk_functions rf ON rf.risk = c.risk
JOIN identity_principals ip ON ip.identity = c.identity
JOIN grants g ON g.principal = ip.principal
JOIN entitlement_functions ef ON ef.entitlement = g.entitlement AND ef.fn = rf.fn`;

/**
 * Function matches are computed with the engine's own matcher (`matchEntitlement`) before the timer
 * starts: DuckDB is given the matches, not asked to re-implement glob and IAM matching. The bench
 * tenant has no IAM Deny statements, so an entitlement's functions do not depend on the principal.
 */
export async function duckdbSod(inv: Inventory, compiled: CompiledRuleset): Promise<DuckdbSodResult> {
  // Dictionary-encode to integers, as anyone loading a warehouse would.
  const principalIds = new Map<string, number>();
  const entitlementIds = new Map<string, number>();
  const principalUids: string[] = [];
  const entitlementUids: string[] = [];
  const identityPrincipals: number[] = [];
  inv.identities.forEach((identity, i) => {
    for (const uid of identity.principals) {
      if (inv.principals.get(uid)?.status !== 'active') continue;
      principalIds.set(uid, principalIds.size);
      principalUids.push(uid);
      identityPrincipals.push(i, principalIds.get(uid)!);
    }
  });
  const entitlementFunctions: number[] = [];
  for (const [uid, entitlement] of inv.entitlements) {
    const m = matchEntitlement(entitlement, compiled);
    if (!m) continue;
    if (m.denyBits?.some((w) => w !== 0))
      throw new Error(`bench data has an IAM Deny on ${uid}: the baseline assumes none`);
    const id = entitlementIds.size;
    entitlementIds.set(uid, id);
    entitlementUids.push(uid);
    for (let fn = 0; fn < compiled.functions.length; fn++) {
      const bit = 1 << (fn & 31);
      if (((m.plain?.[fn >>> 5] ?? 0) | (m.allowBits?.[fn >>> 5] ?? 0)) & bit)
        entitlementFunctions.push(id, fn);
    }
  }
  const grants: number[] = [];
  for (const [uid, list] of inv.grantsByPrincipal) {
    const p = principalIds.get(uid);
    if (p === undefined) continue;
    for (const g of list) {
      const e = entitlementIds.get(g.entitlement);
      if (e !== undefined) grants.push(p, e);
    }
  }

  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const t0 = performance.now();
    await conn.run(`CREATE TABLE identity_principals (identity INTEGER, principal INTEGER);
      CREATE TABLE grants (principal INTEGER, entitlement INTEGER);
      CREATE TABLE entitlement_functions (entitlement INTEGER, fn INTEGER);
      CREATE TABLE risk_functions (risk INTEGER, fn INTEGER);
      CREATE TABLE risk_sizes (risk INTEGER, n INTEGER);`);
    await appendPairs(conn, 'identity_principals', identityPrincipals);
    await appendPairs(conn, 'grants', grants);
    await appendPairs(conn, 'entitlement_functions', entitlementFunctions);
    await appendPairs(
      conn,
      'risk_functions',
      compiled.risks.flatMap((r) => r.functions.flatMap((fn) => [r.index, fn])),
    );
    await appendPairs(
      conn,
      'risk_sizes',
      compiled.risks.flatMap((r) => [r.index, new Set(r.functions).size]),
    );
    const t1 = performance.now();
    const reader = await conn.runAndReadAll(SQL);
    const rows = reader.getRows();
    // Grouping the rows into conflicts with their proof is part of answering the question.
    const byConflict = new Map<string, string[]>();
    for (const [identity, risk, fn, principal, entitlement] of rows) {
      const key = `${inv.identities[Number(identity)]!.id}|${compiled.risks[Number(risk)]!.id}`;
      let list = byConflict.get(key);
      if (!list) {
        list = [];
        byConflict.set(key, list);
      }
      list.push(
        `${compiled.functions[Number(fn)]!.id}|${principalUids[Number(principal)]}|${entitlementUids[Number(entitlement)]}`,
      );
    }
    const t2 = performance.now();
    const pairs = new Set(byConflict.keys());
    for (const [key, list] of byConflict) byConflict.set(key, [...new Set(list)].sort());
    return {
      pairs,
      evidence: byConflict,
      loadSeconds: (t1 - t0) / 1000,
      querySeconds: (t2 - t1) / 1000,
      seconds: (t2 - t0) / 1000,
      rows: {
        identityPrincipals: identityPrincipals.length / 2,
        grants: grants.length / 2,
        entitlementFunctions: entitlementFunctions.length / 2,
      },
    };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Columnar batch insert: one data chunk per 2,048 rows (DuckDB's vector size). */
async function appendPairs(
  conn: Awaited<ReturnType<DuckDBInstance['connect']>>,
  table: string,
  flat: readonly number[],
): Promise<void> {
  const appender = await conn.createAppender(table);
  const rows = flat.length / 2;
  for (let start = 0; start < rows; start += CHUNK) {
    const n = Math.min(CHUNK, rows - start);
    const a = new Array<number>(n);
    const b = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      a[i] = flat[(start + i) * 2]!;
      b[i] = flat[(start + i) * 2 + 1]!;
    }
    const chunk = DuckDBDataChunk.create([INTEGER, INTEGER], n);
    chunk.setColumnValues(0, a);
    chunk.setColumnValues(1, b);
    appender.appendDataChunk(chunk);
  }
  appender.closeSync();
}

const CHUNK = 2048;
