import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { accessproof, tempDir } from './cli-helpers';

const CONTROLLER = 'controller@halvorsen-industrial.example';

// Several CLI runs: slow on a shared machine, so five minutes.
describe('accessproof review through the command line', { timeout: 300_000 }, () => {
  const out = tempDir();
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs a campaign start to close, and the next pack carries it', async () => {
    // Arrange: a sealed pack to review.
    expect(accessproof(['scan', '--demo', '--out', out]).code).toBe(0);

    // Act: start over privileged ERP access, keep everything, close, scan again.
    const start = accessproof([
      'review',
      'start',
      '--out',
      out,
      '--name',
      'Q3 privileged ERP access',
      '--due',
      '2026-12-31',
      '--reviewer',
      CONTROLLER,
      '--source',
      'netsuite',
      '--privileged-only',
    ]);
    const id = /campaign (\S+) started/.exec(start.stdout)?.[1];
    const early = accessproof(['review', 'close', id ?? '', '--by', CONTROLLER, '--out', out]);
    // Reminders: due − 3 days sends one to the controller; running it again sends nothing.
    const remind = accessproof(['review', 'remind', '--as-of', '2026-12-28T09:00:00Z', '--out', out]);
    const remindAgain = accessproof(['review', 'remind', id ?? '', '--as-of', '2026-12-29', '--out', out]);
    // Offline: export the controller's items, decide the first row in the workbook, import it; a
    // workbook with an edited read-only cell is refused naming the row.
    const book = join(out, 'mine.xlsx');
    const exported = accessproof([
      'review',
      'export',
      id ?? '',
      '--reviewer',
      CONTROLLER,
      '--file',
      book,
      '--out',
      out,
    ]);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(book);
    const sheet = wb.getWorksheet('Review')!;
    sheet.getRow(2).getCell(17).value = 'keep';
    sheet.getRow(2).getCell(18).value = 'confirmed with the AP lead';
    await wb.xlsx.writeFile(join(out, 'filled.xlsx'));
    sheet.getRow(3).getCell(9).value = 'Administrator';
    await wb.xlsx.writeFile(join(out, 'tampered.xlsx'));
    const tampered = accessproof([
      'review',
      'import',
      id ?? '',
      join(out, 'tampered.xlsx'),
      '--by',
      CONTROLLER,
      '--out',
      out,
    ]);
    const imported = accessproof([
      'review',
      'import',
      id ?? '',
      join(out, 'filled.xlsx'),
      '--by',
      CONTROLLER,
      '--out',
      out,
    ]);
    const decide = accessproof([
      'review',
      'decide',
      id ?? '',
      '--all-remaining',
      '--keep',
      '--by',
      CONTROLLER,
      '--note',
      'still needed',
      '--out',
      out,
    ]);
    const close = accessproof(['review', 'close', id ?? '', '--by', CONTROLLER, '--out', out]);
    const rescan = accessproof(['scan', '--demo', '--out', out]);
    const verify = accessproof(['verify', join(out, 'evidence')]);

    // Assert
    expect(start.code, start.stderr).toBe(0);
    expect(id).toBeDefined();
    expect(early.code).toBe(2); // undecided grants: refused
    expect(remind.code, remind.stderr).toBe(0);
    expect(remind.stdout).toContain(`${id}: reminder to ${CONTROLLER}`);
    expect(remindAgain.stdout).toContain('0 notice(s) sent');
    const outbox = readdirSync(join(out, 'state', 'outbox'));
    expect(outbox).toHaveLength(1);
    const mail = readFileSync(join(out, 'state', 'outbox', outbox[0]!), 'utf8');
    expect(mail).toMatch(new RegExp(`^To: ${CONTROLLER}\r\nSubject: Reminder: `));
    expect(mail).toMatch(/http:\/\/127\.0\.0\.1:8417\/l\/\S+/);
    expect(exported.code, exported.stderr).toBe(0);
    expect(tampered.code).toBe(2);
    expect(tampered.stderr).toMatch(
      /tampered\.xlsx: workbook refused, nothing recorded: row 3: read-only cells were changed \(Entitlement\)/,
    );
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('1 decision(s) recorded');
    const fileSha = /workbook sha256 ([0-9a-f]{64})/.exec(imported.stdout)?.[1];
    expect(decide.code, decide.stderr).toBe(0);
    expect(close.code, close.stderr).toBe(0);
    expect(rescan.code).toBe(0);
    const packDir = /Evidence pack #2: (\S+)/.exec(rescan.stdout)?.[1];
    expect(packDir).toBeDefined();
    const manifest = JSON.parse(readFileSync(join(process.cwd(), packDir!, 'manifest.json'), 'utf8'));
    expect(manifest.files.map((f: { path: string }) => f.path)).toContain(`reviews/${id}.jsonl`);
    const records = readFileSync(join(process.cwd(), packDir!, `reviews/${id}.jsonl`), 'utf8')
      .trim()
      .split('\n');
    expect(records.length).toBeGreaterThan(1);
    const fromBook = records.map((l) => JSON.parse(l)).filter((r) => r.decision?.channel === 'xlsx');
    expect(fromBook).toEqual([
      expect.objectContaining({
        decision: expect.objectContaining({ outcome: 'keep', fileSha256: fileSha }),
      }),
    ]);
    expect(JSON.parse(records[0]!).notices).toEqual([
      expect.objectContaining({ kind: 'reminder', to: CONTROLLER, via: 'outbox' }),
    ]);
    expect(verify.code).toBe(0);
  });
});
