import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Spreading an array into arguments (`push(...x)`, `Math.max(...x)`, `String.fromCharCode(...x)`)
// throws RangeError past about 100k items: issue 11's 200k-conflict tenant crashed every scan at
// `drafts.push(...sodDrafts)`. Product code uses core/arrays.ts instead. The few spreads left are
// over pages of a fixed maximum size, each listed here with that bound.
const ROOT = resolve(import.meta.dirname, '../..');
const BOUNDED: Record<string, string> = {
  'connectors/entra-id/steps.ts': 'throttled sub-requests of one $batch (at most 20)',
  'connectors/plan-sources.ts': 'accounts of one organization',
  'connectors/aws-iam/principal-kind.ts': 'values of one tag condition',
  'connectors/aws-iam/live/live-connector.ts': 'one IAM page (MaxItems 1000)',
  'connectors/aws-iam/live/organization-planner.ts': 'one ListAccounts page (at most 20)',
  'connectors/aws-iam/live/identity-center.ts': 'one ListPermissionSets page (at most 100)',
  'connectors/aws-iam/normalize.ts': "one principal's inline policies",
};
const SPREAD = /\b(push|unshift|max|min|fromCharCode|fromCodePoint|apply)\(\s*\.\.\./;

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sources(path);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) yield path;
  }
}

describe('no spread of unbounded arrays into arguments', () => {
  it('product code (core, cli, connectors, stores, functions) spreads only bounded pages', () => {
    const found: string[] = [];
    for (const top of ['core', 'cli', 'connectors', 'stores', 'functions']) {
      for (const file of sources(join(ROOT, top))) {
        const rel = relative(ROOT, file);
        readFileSync(file, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            if (SPREAD.test(line) && !/^\s*(\*|\/\/)/.test(line) && !BOUNDED[rel])
              found.push(`${rel}:${i + 1}: ${line.trim()}`);
          });
      }
    }
    expect(found).toEqual([]);
  });
});
