/**
 * Offline review through XLSX: download, fill in, upload. Refused (nothing recorded, each row
 * named): another reviewer's workbook, items changed since, edited read-only cells, a row naming
 * another reviewer's item, bad decisions, missing notes; bounded size; no formula in a cell.
 */
import { createHash } from 'node:crypto';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { delegate } from '../../../../core/reviews/decide';
import type { Campaign } from '../../../../core/reviews/model';
import {
  applyWorkbook,
  cellText,
  readReviewWorkbook,
  reviewWorkbook,
  WorkbookRefusedError,
  zipUncompressedSize,
} from '../../../../core/reviews/xlsx';
import { CONTROLLER, itemOf, startedCampaign } from './review-fixture';

const AWS_OWNER = 'aws.owner@example.com';
const NOW = new Date('2026-10-05T09:00:00.000Z');

function campaign(): Campaign {
  return startedCampaign({ reviewers: { default: CONTROLLER, bySource: { 'aws-test': AWS_OWNER } } });
}

/** Open a downloaded workbook, let `edit` change the Review sheet, save it again. */
async function edited(
  bytes: Uint8Array,
  edit: (ws: ExcelJS.Worksheet, rowOf: (id: string) => number) => void,
) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
  const ws = wb.getWorksheet('Review')!;
  const rowOf = (id: string) => {
    for (let r = 2; r <= ws.rowCount; r++) if (ws.getRow(r).getCell(1).value === id) return r;
    throw new Error(`no row for ${id}`);
  };
  edit(ws, rowOf);
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

async function refusal(p: Promise<unknown>): Promise<WorkbookRefusedError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkbookRefusedError);
  return err as WorkbookRefusedError;
}

describe('review workbook', () => {
  it('round-trips: decisions written in Decision/Note are recorded with channel xlsx and the file hash', async () => {
    // Arrange
    const c = campaign();
    const alicePay = itemOf(c, 'U-ALICE', 'R-AP-PAY').id;
    const svc = itemOf(c, 'SVC-BATCH', 'R-DISPLAY').id;
    const bobPay = itemOf(c, 'U-BOB', 'R-AP-PAY').id;
    const bytes = await reviewWorkbook(c, CONTROLLER, NOW);
    const filled = await edited(bytes, (ws, rowOf) => {
      ws.getRow(rowOf(alicePay)).getCell(17).value = 'Keep';
      ws.getRow(rowOf(alicePay)).getCell(18).value = 'AP team, Q4 close';
      ws.getRow(rowOf(svc)).getCell(17).value = 'revoke';
      ws.getRow(rowOf(svc)).getCell(18).value = 'batch job retired';
    });
    // Act
    const read = await readReviewWorkbook(c, filled, CONTROLLER);
    const next = applyWorkbook(c, read, CONTROLLER, NOW);
    // Assert
    const sha = createHash('sha256').update(filled).digest('hex');
    expect(read.fileSha256).toBe(sha);
    expect(read.answers.map((a) => [a.itemId, a.outcome])).toEqual(
      expect.arrayContaining([
        [alicePay, 'keep'],
        [svc, 'revoke'],
      ]),
    );
    const item = (id: string) => next.items.find((i) => i.id === id)!;
    expect(item(alicePay).decision).toMatchObject({ outcome: 'keep', channel: 'xlsx', fileSha256: sha });
    expect(item(svc).decision).toMatchObject({
      outcome: 'revoke',
      note: 'batch job retired',
      fileSha256: sha,
    });
    expect(item(bobPay).decision).toBeUndefined();
    expect(next.history.at(-1)!.note).toContain(`from workbook sha256 ${sha}`);
    // The same file again changes nothing (the answers repeat the current decisions).
    expect((await readReviewWorkbook(next, filled, CONTROLLER)).answers).toEqual([]);
    // The workbook holds only the controller's items, ids in a very hidden sheet.
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
    expect(wb.getWorksheet('accessproof')!.state).toBe('veryHidden');
    expect(wb.getWorksheet('Review')!.rowCount - 1).toBe(
      c.items.filter((i) => i.reviewer === CONTROLLER).length,
    );
  });

  it('refuses a tampered workbook naming each row, and records nothing', async () => {
    // Arrange
    const c = campaign();
    const alicePay = itemOf(c, 'U-ALICE', 'R-AP-PAY').id;
    const svc = itemOf(c, 'SVC-BATCH', 'R-DISPLAY').id;
    const bobPay = itemOf(c, 'U-BOB', 'R-AP-PAY').id;
    const foreign = c.items.find((i) => i.reviewer === AWS_OWNER)!.id;
    const bytes = await reviewWorkbook(c, CONTROLLER, NOW);
    let rows: Record<string, number> = {};
    const tampered = await edited(bytes, (ws, rowOf) => {
      rows = { alicePay: rowOf(alicePay), svc: rowOf(svc), bobPay: rowOf(bobPay) };
      ws.getRow(rows.alicePay!).getCell(9).value = 'Display'; // an edited entitlement
      ws.getRow(rows.alicePay!).getCell(17).value = 'keep';
      ws.getRow(rows.alicePay!).getCell(18).value = 'fine';
      ws.getRow(rows.svc!).getCell(1).value = foreign; // another reviewer's item
      ws.getRow(rows.svc!).getCell(17).value = 'revoke';
      ws.getRow(rows.bobPay!).getCell(17).value = 'revoke'; // no note
      ws.addRow(['000000000000', 'Made up', '', '', '', '', '', '', '', '', '', '', '', '', '', '', 'keep']);
    });
    // Act
    const err = await refusal(readReviewWorkbook(c, tampered, CONTROLLER));
    // Assert
    expect(err.problems).toEqual(
      expect.arrayContaining([
        {
          row: rows.alicePay,
          message: expect.stringMatching(/read-only cells were changed \(Entitlement\)/),
        },
        { row: rows.svc, message: `item ${foreign} is not one of this workbook's items` },
        { row: rows.bobPay, message: 'a revocation needs a note saying why' },
        { row: expect.any(Number), message: "item 000000000000 is not one of this workbook's items" },
      ]),
    );
    expect(err.message).toMatch(new RegExp(`row ${rows.alicePay}: read-only cells were changed`));
  });

  it("refuses another reviewer's workbook, one made before a delegation, and a non-workbook", async () => {
    // Arrange
    const c = campaign();
    const awsBook = await reviewWorkbook(c, AWS_OWNER, NOW);
    const mine = await reviewWorkbook(c, CONTROLLER, NOW);
    const svc = itemOf(c, 'SVC-BATCH', 'R-DISPLAY').id;
    const after = delegate(c, [svc], { by: CONTROLLER, to: 'ap.lead@example.com', reason: 'owns it' }, NOW);
    // Act / Assert
    expect((await refusal(readReviewWorkbook(c, awsBook, CONTROLLER))).message).toMatch(
      /made for aws\.owner@example\.com, not for controller@example\.com/,
    );
    expect((await refusal(readReviewWorkbook(after, mine, CONTROLLER))).message).toMatch(
      /your items changed since this workbook was made/,
    );
    expect(
      (await refusal(readReviewWorkbook(c, new TextEncoder().encode('a,b\n1,2'), CONTROLLER))).message,
    ).toMatch(/not an XLSX workbook/);
    expect(
      (await refusal(readReviewWorkbook(c, new Uint8Array(3 * 1024 * 1024), CONTROLLER))).message,
    ).toMatch(/larger than 2097152 bytes/);
  });

  it('writes no cell a spreadsheet would run as a formula, and reads back hostile names unchanged', async () => {
    // Arrange
    const c = campaign();
    const hostile: Campaign = {
      ...c,
      items: c.items.map((i) => ({
        ...i,
        identityName: '=HYPERLINK("http://evil.example","x")',
        entitlementName: '+1-2',
      })),
    };
    // Act
    const bytes = await reviewWorkbook(hostile, CONTROLLER, NOW);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
    const row = wb.getWorksheet('Review')!.getRow(2);
    // Assert
    expect(row.getCell(2).value).toBe(`'=HYPERLINK("http://evil.example","x")`);
    expect(row.getCell(9).value).toBe("'+1-2");
    expect(cellText('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(cellText('plain')).toBe('plain');
    const read = await readReviewWorkbook(hostile, bytes, CONTROLLER);
    expect(read.answers).toEqual([]);
  });

  it('reads the declared unzipped size before unzipping', async () => {
    const bytes = await reviewWorkbook(campaign(), CONTROLLER, NOW);
    const size = zipUncompressedSize(bytes);
    expect(size).toBeGreaterThan(bytes.byteLength);
    expect(zipUncompressedSize(new Uint8Array(100))).toBeUndefined();
  });
});
