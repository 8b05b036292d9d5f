/**
 * Files mode: saved SOQL answers, exactly as the REST API returns them
 * (`{totalSize, done, records:[{attributes:{type,url}, …}]}`), one file per query. A file may also
 * hold an array of such pages (a paged answer saved page by page).
 */

import { join } from 'node:path';
import * as z from 'zod';
import { InputError } from '../../core/errors';
import { decodeInputText, type InputEncoding } from '../shared/decode-text';
import { refuseDuplicateIds } from '../shared/duplicate-ids';
import { isMissingFile, readInputFile } from '../shared/input-file';
import { jsonErrorLine } from '../shared/json-text';
import { type QueryResultPage, queryResult } from './records';

export interface SavedResult {
  file: string;
  pages: QueryResultPage[];
}

const savedFile = z.union([queryResult, z.array(queryResult).min(1)]);

/** Read `<dir>/<name>`; undefined when the file does not exist. Bad JSON or shape → InputError naming the file. */
export async function readSavedResult(
  dir: string,
  name: string,
  encoding?: InputEncoding,
): Promise<SavedResult | undefined> {
  const file = join(dir, name);
  let text: string;
  try {
    text = decodeInputText(await readInputFile(file, 'export'), file, encoding);
  } catch (err) {
    if (isMissingFile(err)) return undefined;
    throw err;
  }
  let json: unknown;
  const body = text.replace(/^\uFEFF/, '');
  try {
    json = JSON.parse(body);
  } catch (err) {
    // The parser's message quotes the text around the error: name the line only.
    const line = jsonErrorLine(body, err);
    throw new InputError('not valid JSON', { file, ...(line === undefined ? {} : { line }) });
  }
  const parsed = savedFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(
      `not a saved SOQL query result ({totalSize, done, records}): ${issue?.message ?? 'invalid'}`,
      { file, ...(issue?.path.length ? { field: issue.path.join('.') } : {}) },
    );
  }
  const pages = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
  refuseDuplicateIds(
    pages.flatMap((p, n) =>
      p.records.map((r, i) => ({
        id: (r as { Id?: unknown }).Id,
        where: pages.length > 1 ? `page ${n + 1} records[${i}]` : `records[${i}]`,
      })),
    ),
    file,
    'Id',
  );
  return { file, pages };
}
