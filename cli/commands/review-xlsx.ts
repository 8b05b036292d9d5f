/**
 * `review export` / `review import`: a reviewer's items as an XLSX workbook and the workbook back
 * (docs/reviews.md "Offline"). The same checks as the web app's upload (core/reviews/xlsx.ts).
 */
import { open, rename, stat, writeFile } from 'node:fs/promises';
import { InputError } from '../../core/errors';
import { parseField } from '../../core/reviews/input';
import { reviewerEmail } from '../../core/reviews/schema';
import {
  applyWorkbook,
  MAX_WORKBOOK_BYTES,
  readReviewWorkbook,
  reviewWorkbook,
  WorkbookRefusedError,
} from '../../core/reviews/xlsx';
import { EXIT } from '../exit-codes';
import type { Output } from '../output';
import { localPaths } from '../paths';
import { withStore } from './review';

export interface ReviewExportOptions {
  out: string;
  campaign: string;
  reviewer: string;
  file: string;
}

export interface ReviewImportOptions {
  out: string;
  campaign: string;
  file: string;
  /** The reviewer the workbook was made for and who answers for it. */
  by: string;
}

/**
 * @example
 * await runReviewExport({ out, campaign: id, reviewer: 'controller@example.com', file: 'mine.xlsx' }, consoleOutput());
 */
export async function runReviewExport(opts: ReviewExportOptions, out: Output): Promise<number> {
  const reviewer = parseField(reviewerEmail, opts.reviewer, '--reviewer', 'reviewer');
  const paths = localPaths(opts.out, undefined);
  const campaign = await withStore(paths, false, (store) => store.get(opts.campaign));
  if (!campaign) throw new InputError(`no review campaign ${opts.campaign}`, { field: 'CAMPAIGN' });
  const n = campaign.items.filter((i) => i.reviewer === reviewer).length;
  if (n === 0) throw new InputError(`${reviewer} reviews no item of ${campaign.id}`, { field: '--reviewer' });
  const bytes = await reviewWorkbook(campaign, reviewer, new Date());
  // Whole or not at all: a half-written workbook would be refused on upload anyway.
  await writeFile(`${opts.file}.tmp`, bytes, { mode: 0o600 });
  await rename(`${opts.file}.tmp`, opts.file);
  out.line(`${opts.file}: ${n} item(s) of ${campaign.id} for ${reviewer} (${bytes.byteLength} bytes)`);
  out.line('Fill in the Decision (keep / revoke) and Note columns only, then `review import` it.');
  return EXIT.ok;
}

/**
 * @example
 * await runReviewImport({ out, campaign: id, file: 'mine.xlsx', by: 'controller@example.com' }, consoleOutput());
 */
export async function runReviewImport(opts: ReviewImportOptions, out: Output): Promise<number> {
  const by = parseField(reviewerEmail, opts.by, '--by', 'reviewer');
  const size = await stat(opts.file).then(
    (s) => s.size,
    () => {
      throw new InputError('cannot read the workbook', { file: opts.file });
    },
  );
  if (size > MAX_WORKBOOK_BYTES) {
    throw new InputError(`larger than ${MAX_WORKBOOK_BYTES} bytes: not a reviewer's workbook`, {
      file: opts.file,
    });
  }
  const handle = await open(opts.file, 'r');
  let bytes: Buffer;
  try {
    bytes = Buffer.alloc(size);
    await handle.read(bytes, 0, size, 0);
  } finally {
    await handle.close();
  }
  const paths = localPaths(opts.out, undefined);
  let sha = '';
  let count = 0;
  let unchanged = 0;
  try {
    await withStore(paths, false, async (store) => {
      const campaign = await store.get(opts.campaign);
      if (!campaign) throw new InputError(`no review campaign ${opts.campaign}`, { field: 'CAMPAIGN' });
      const read = await readReviewWorkbook(campaign, bytes, by);
      sha = read.fileSha256;
      count = read.answers.length;
      unchanged = read.unchanged;
      await store.update(campaign.id, (c) => applyWorkbook(c, read, by, new Date()));
    });
  } catch (err) {
    if (err instanceof WorkbookRefusedError) throw new WorkbookRefusedError(err.problems, opts.file);
    throw err;
  }
  out.line(
    `${opts.campaign}: ${count} decision(s) recorded from ${opts.file} by ${by} (${unchanged} row(s) unchanged)`,
  );
  out.line(`  workbook sha256 ${sha} (recorded with each decision)`);
  return EXIT.ok;
}
