import { appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accessproof, copyDemo, tempDir } from './cli-helpers';

describe('HR links that cannot be applied (issue 12)', () => {
  const demo = copyDemo();
  const out = tempDir();
  afterAll(() => {
    rmSync(demo.dir, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  });

  it('warns naming the link line: an account in no source at scan, a person not in people.csv at collection', () => {
    // Lines 4 and 5 of the demo's links.csv (header + two links before them).
    appendFileSync(
      join(demo.dir, 'examples', 'demo', 'hr', 'links.csv'),
      'aws:210987654321:arn:aws:iam::210987654321:user/left-in-2019,sofia.ivanova@halvorsen-industrial.example\n' +
        'erp:netsuite:U99999,nobody@halvorsen-industrial.example\n',
    );
    const r = accessproof(['scan', '--config', demo.config, '--out', out, '--as-of', '2026-10-01']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'warning: links.csv:5: email nobody@halvorsen-industrial.example is not in people.csv: the link is not applied',
    );
    expect(r.stdout).toContain(
      'warning: links.csv:4: principal aws:210987654321:arn:aws:iam::210987654321:user/left-in-2019 is in no source of this run: the link is not applied',
    );
    expect(r.stdout).toContain(
      'warning: links.csv:5: principal erp:netsuite:U99999 is in no source of this run: the link is not applied',
    );
  });
});
