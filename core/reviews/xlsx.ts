/**
 * Reviewing offline (issue 17): a reviewer's items as an XLSX workbook, and the same workbook
 * back with decisions. In memory only (bytes in, bytes out): the web app and the CLI bring the
 * file.
 *
 * The visible sheet `Review` has one row per item: what the reviewer needs to decide (read-only
 * by convention) and two columns to fill, `Decision` (keep / revoke) and `Note`. A very hidden
 * sheet `accessproof` holds the campaign, the reviewer, `itemsSha256` (over the reviewer's items
 * when the workbook was made) and, per item id, the SHA-256 of its read-only cells as written.
 * An upload is refused as a whole, naming each row, when the workbook is for another campaign or
 * reviewer, the reviewer's items changed since (delegated, say), a row's read-only cells were
 * edited, a row names an item that is not in the workbook (another reviewer's, or made up), or
 * a decision or required note is missing or wrong.
 *
 * Cells are written as text and any text a spreadsheet would read as a formula (`=`, `+`, `-`,
 * `@`, tab, CR) is prefixed with `'`, so a hostile entitlement name cannot run in Excel.
 */
import { createHash } from 'node:crypto';
import ExcelJS from 'exceljs';
import { InputError } from '../errors';
import { decide, noteRequiredFor } from './decide';
import type { Campaign, ReviewItem, ReviewOutcome } from './model';

export const WORKBOOK_FORMAT = 'accessproof-review-xlsx/1';
const SHEET = 'Review';
const META = 'accessproof';
/** An upload larger than this is refused before it is unzipped. */
export const MAX_WORKBOOK_BYTES = 2 * 1024 * 1024;
/** …and one whose entries would unzip to more than this (a zip bomb). */
export const MAX_WORKBOOK_UNZIPPED_BYTES = 64 * 1024 * 1024;

const COLUMNS: { header: string; width: number; value: (i: ReviewItem) => string }[] = [
  { header: 'Item id', width: 14, value: (i) => i.id },
  { header: 'Person', width: 26, value: (i) => i.identityName },
  {
    header: 'Account',
    width: 26,
    value: (i) => `${i.principalName} (${i.principalType}, ${i.principalStatus})`,
  },
  {
    header: 'HR status',
    width: 12,
    value: (i) => (i.context?.leaver ? 'LEAVER' : (i.context?.hrStatus ?? 'unknown')),
  },
  { header: 'Department', width: 16, value: (i) => i.context?.department ?? '' },
  { header: 'Manager', width: 26, value: (i) => i.context?.manager ?? '' },
  { header: 'System', width: 10, value: (i) => i.system },
  { header: 'Source', width: 16, value: (i) => i.sourceId },
  { header: 'Entitlement', width: 30, value: (i) => i.entitlementName },
  { header: 'Privileged', width: 10, value: (i) => (i.privileged ? 'yes' : 'no') },
  { header: 'Gives', width: 30, value: (i) => (i.context?.functions ?? []).join('; ') },
  { header: 'Last used', width: 12, value: (i) => i.context?.lastUsedAt?.slice(0, 10) ?? 'unknown' },
  {
    header: 'How granted',
    width: 24,
    value: (i) => (i.pathNames.length ? `via ${i.pathNames.join(' > ')}` : 'direct'),
  },
  {
    header: 'Open findings',
    width: 40,
    value: (i) => (i.context?.findings ?? []).map((f) => `${f.rule} (${f.severity}): ${f.title}`).join('\n'),
  },
  {
    header: 'Previous decision',
    width: 24,
    value: (i) => {
      const p = i.context?.previous;
      return p ? `${p.outcome} by ${p.by}, ${p.at.slice(0, 10)}${p.note ? `: ${p.note}` : ''}` : '';
    },
  },
  {
    header: 'Current decision',
    width: 24,
    value: (i) => (i.decision ? `${i.decision.outcome}${i.decision.note ? `: ${i.decision.note}` : ''}` : ''),
  },
];
const DECISION_COL = COLUMNS.length + 1;
const NOTE_COL = COLUMNS.length + 2;

/** Text a spreadsheet could take for a formula gets a leading `'` (OWASP CSV injection). */
export function cellText(value: string): string {
  return /^[=+\-@\t\r\0]/.test(value) ? `'${value}` : value;
}

/** SHA-256 over a reviewer's items: id, principal, entitlement, path; sorted lines. */
export function reviewerItemsSha256(campaign: Campaign, reviewer: string): string {
  const lines = campaign.items
    .filter((i) => i.reviewer === reviewer)
    .map((i) => `${i.id}\t${i.principal}\t${i.entitlement}\t${i.path.join('>')}\n`)
    .sort();
  const hash = createHash('sha256').update(`${campaign.id}\n${reviewer}\n`);
  for (const l of lines) hash.update(l);
  return hash.digest('hex');
}

function rowSha256(cells: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(cells)).digest('hex');
}

/**
 * The reviewer's items as an XLSX workbook.
 *
 * @example
 * const bytes = await reviewWorkbook(campaign, 'controller@example.com', new Date());
 */
export async function reviewWorkbook(campaign: Campaign, reviewer: string, at: Date): Promise<Uint8Array> {
  const items = campaign.items.filter((i) => i.reviewer === reviewer);
  const wb = new ExcelJS.Workbook();
  wb.creator = 'AccessProof';
  wb.created = at;
  const ws = wb.addWorksheet(SHEET, { views: [{ state: 'frozen', ySplit: 1, xSplit: 2 }] });
  ws.columns = [
    ...COLUMNS.map((c) => ({ header: c.header, width: c.width })),
    { header: 'Decision (keep / revoke)', width: 14 },
    { header: 'Note (required to revoke, keep privileged or keep with a finding)', width: 40 },
  ];
  ws.getRow(1).font = { bold: true };
  const meta = wb.addWorksheet(META, { state: 'veryHidden' });
  meta.addRow(['format', WORKBOOK_FORMAT]);
  meta.addRow(['campaign', campaign.id]);
  meta.addRow(['reviewer', reviewer]);
  meta.addRow(['itemsSha256', reviewerItemsSha256(campaign, reviewer)]);
  meta.addRow(['generatedAt', at.toISOString()]);
  meta.addRow(['item', 'rowSha256']);
  for (const item of items) {
    const cells = COLUMNS.map((c) => cellText(c.value(item)));
    const row = ws.addRow([...cells, '', '']);
    row.alignment = { vertical: 'top', wrapText: true };
    meta.addRow([item.id, rowSha256(cells)]);
  }
  const last = items.length + 1;
  for (let r = 2; r <= last; r++) {
    ws.getCell(r, DECISION_COL).dataValidation = {
      type: 'list',
      allowBlank: true,
      formulae: ['"keep,revoke"'],
      showErrorMessage: true,
      errorTitle: 'Decision',
      error: 'keep or revoke (or leave empty)',
    };
    for (const col of [DECISION_COL, NOTE_COL]) {
      ws.getCell(r, col).fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFF7D6' } };
    }
  }
  ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: last, column: NOTE_COL } };
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

/** One answer read from a row. */
export interface WorkbookAnswer {
  row: number;
  itemId: string;
  outcome: ReviewOutcome;
  note?: string;
}

export interface WorkbookAnswers {
  fileSha256: string;
  answers: WorkbookAnswer[];
  /** Rows left empty, or repeating the item's current decision and note. */
  unchanged: number;
}

/** The upload is refused: every problem, each with its row (0: the workbook as a whole). */
export class WorkbookRefusedError extends InputError {
  constructor(
    readonly problems: { row: number; message: string }[],
    file?: string,
  ) {
    const shown = problems
      .slice(0, 20)
      .map((p) => (p.row > 0 ? `row ${p.row}: ${p.message}` : p.message))
      .join('; ');
    super(
      `workbook refused, nothing recorded: ${shown}${problems.length > 20 ? ` (and ${problems.length - 20} more)` : ''}`,
      file !== undefined ? { file } : {},
    );
  }
}

/**
 * Read a workbook back and check it against the campaign and the reviewer uploading it. Throws
 * `WorkbookRefusedError` listing every problem; nothing is decided here (see `applyWorkbook`).
 *
 * @example
 * const read = await readReviewWorkbook(campaign, bytes, 'controller@example.com');
 * const next = applyWorkbook(campaign, read, 'controller@example.com', new Date());
 */
export async function readReviewWorkbook(
  campaign: Campaign,
  bytes: Uint8Array,
  reviewer: string,
): Promise<WorkbookAnswers> {
  const refuse = (message: string): never => {
    throw new WorkbookRefusedError([{ row: 0, message }]);
  };
  if (bytes.byteLength > MAX_WORKBOOK_BYTES) refuse(`the file is larger than ${MAX_WORKBOOK_BYTES} bytes`);
  const fileSha256 = createHash('sha256').update(bytes).digest('hex');
  const unzipped = zipUncompressedSize(bytes);
  if (unzipped === undefined) refuse('not an XLSX workbook (no zip directory)');
  if (unzipped! > MAX_WORKBOOK_UNZIPPED_BYTES) refuse('the workbook unpacks to more than 64 MiB');
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
  } catch {
    refuse('not an XLSX workbook this app can read');
  }
  const meta = wb.getWorksheet(META);
  const ws = wb.getWorksheet(SHEET);
  if (!meta || !ws) refuse('not a workbook downloaded from this campaign (its hidden sheet is missing)');
  const metaValue = (r: number, key: string) => {
    const row = meta!.getRow(r);
    return text(row.getCell(1)) === key ? text(row.getCell(2)) : undefined;
  };
  if (metaValue(1, 'format') !== WORKBOOK_FORMAT) refuse(`not a ${WORKBOOK_FORMAT} workbook`);
  const forCampaign = metaValue(2, 'campaign');
  if (forCampaign !== campaign.id) refuse(`the workbook is for campaign ${forCampaign}, not ${campaign.id}`);
  const forReviewer = metaValue(3, 'reviewer');
  if (forReviewer !== reviewer) refuse(`the workbook was made for ${forReviewer}, not for ${reviewer}`);
  if (metaValue(4, 'itemsSha256') !== reviewerItemsSha256(campaign, reviewer)) {
    refuse(
      'your items changed since this workbook was made (or its hidden sheet was edited): download it again',
    );
  }
  const expected = new Map<string, string>();
  for (let r = 7; r <= meta!.rowCount; r++) {
    const id = text(meta!.getRow(r).getCell(1));
    if (id) expected.set(id, text(meta!.getRow(r).getCell(2)));
  }
  const items = new Map(campaign.items.filter((i) => i.reviewer === reviewer).map((i) => [i.id, i]));
  if (expected.size !== items.size || [...expected.keys()].some((id) => !items.has(id))) {
    refuse("the workbook's item list does not match your items: download it again");
  }

  const problems: { row: number; message: string }[] = [];
  const answers: WorkbookAnswer[] = [];
  const seen = new Map<string, number>();
  let unchanged = 0;
  const headers = COLUMNS.map((c, i) => [c.header, text(ws!.getRow(1).getCell(i + 1))] as const);
  const moved = headers.find(([want, got]) => want !== got);
  if (moved)
    refuse(`the columns were changed (expected "${moved[0]}", found "${moved[1]}"): download it again`);
  for (let r = 2; r <= ws!.rowCount; r++) {
    const row = ws!.getRow(r);
    const cells = COLUMNS.map((_, i) => text(row.getCell(i + 1)));
    const decisionText = text(row.getCell(DECISION_COL)).trim().toLowerCase();
    const note = text(row.getCell(NOTE_COL)).trim();
    if (cells.every((c) => c === '') && !decisionText && !note) continue;
    const id = cells[0]!;
    const item = items.get(id);
    if (!item || !expected.has(id)) {
      problems.push({ row: r, message: `item ${id || '(none)'} is not one of this workbook's items` });
      continue;
    }
    const first = seen.get(id);
    if (first !== undefined) {
      problems.push({ row: r, message: `item ${id} appears again (first in row ${first})` });
      continue;
    }
    seen.set(id, r);
    if (rowSha256(cells) !== expected.get(id)) {
      const written = COLUMNS.map((c) => cellText(c.value(item)));
      const col = cells.findIndex((c, i) => c !== written[i]);
      problems.push({
        row: r,
        message: `read-only cells were changed${col >= 0 ? ` (${COLUMNS[col]!.header})` : ''}: only Decision and Note may be edited`,
      });
      continue;
    }
    if (!decisionText) {
      if (note) problems.push({ row: r, message: 'a note without a decision: write keep or revoke' });
      else unchanged++;
      continue;
    }
    if (decisionText !== 'keep' && decisionText !== 'revoke') {
      problems.push({ row: r, message: `decision "${decisionText.slice(0, 40)}": write keep or revoke` });
      continue;
    }
    const outcome = decisionText as ReviewOutcome;
    if (note.length > 2000) {
      problems.push({ row: r, message: 'the note is longer than 2000 characters' });
      continue;
    }
    const why = noteRequiredFor(item, outcome);
    if (why !== undefined && !note) {
      problems.push({ row: r, message: `${why} needs a note saying why` });
      continue;
    }
    if (item.decision?.outcome === outcome && (item.decision.note ?? '') === note) {
      unchanged++;
      continue;
    }
    answers.push({ row: r, itemId: id, outcome, ...(note ? { note } : {}) });
  }
  if (problems.length > 0) throw new WorkbookRefusedError(problems);
  return { fileSha256, answers, unchanged };
}

/**
 * Record the answers of a checked workbook: one decision per item, channel `xlsx`, each carrying
 * the file's SHA-256. Answers with the same outcome and note are one `decided` history entry.
 *
 * @example
 * await store.update(id, (c) => applyWorkbook(c, read, reviewer, now));
 */
export function applyWorkbook(
  campaign: Campaign,
  read: WorkbookAnswers,
  reviewer: string,
  at: Date,
): Campaign {
  const groups = new Map<string, { outcome: ReviewOutcome; note?: string; ids: string[] }>();
  for (const a of read.answers) {
    const key = `${a.outcome}\u0000${a.note ?? ''}`;
    const g = groups.get(key) ?? { outcome: a.outcome, ...(a.note ? { note: a.note } : {}), ids: [] };
    g.ids.push(a.itemId);
    groups.set(key, g);
  }
  let next = campaign;
  for (const g of groups.values()) {
    next = decide(
      next,
      g.ids,
      {
        outcome: g.outcome,
        by: reviewer,
        ...(g.note !== undefined ? { note: g.note } : {}),
        channel: 'xlsx',
        fileSha256: read.fileSha256,
      },
      at,
    );
  }
  return next;
}

/** A cell as text: exceljs gives strings, numbers, rich text or formula objects. */
function text(cell: ExcelJS.Cell): string {
  const v = cell.value;
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object' && 'richText' in v) return v.richText.map((t) => t.text).join('');
  // A formula, hyperlink or error where we wrote text: compare what it shows.
  return cell.text ?? '';
}

/**
 * The sum of the uncompressed sizes the zip's central directory declares, or undefined when
 * the bytes are not a zip. Read before unzipping so a small file cannot expand without bound.
 */
export function zipUncompressedSize(bytes: Uint8Array): number | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // End of central directory: 22 bytes plus a comment of up to 65535.
  const min = Math.max(0, bytes.byteLength - 22 - 65_535);
  let eocd = -1;
  for (let i = bytes.byteLength - 22; i >= min; i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return undefined;
  const entries = view.getUint16(eocd + 10, true);
  let offset = view.getUint32(eocd + 16, true);
  let total = 0;
  for (let n = 0; n < entries; n++) {
    if (offset + 46 > bytes.byteLength || view.getUint32(offset, true) !== 0x02014b50) return undefined;
    const size = view.getUint32(offset + 24, true);
    // 0xffffffff: a zip64 size, far beyond any workbook a reviewer uploads.
    if (size === 0xffffffff) return Number.POSITIVE_INFINITY;
    total += size;
    offset +=
      46 +
      view.getUint16(offset + 28, true) +
      view.getUint16(offset + 30, true) +
      view.getUint16(offset + 32, true);
  }
  return total;
}
