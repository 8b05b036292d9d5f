/**
 * Bulk API 2.0 query results are CSV with dotted headers for relationship fields
 * (`Profile.UserLicense.Name`) and empty cells for nulls. This turns each row into the shape the
 * REST API returns, so one set of record schemas reads both.
 */
import { parse } from 'csv-parse/sync';
import { SourceError } from '../../core/errors';

export function bulkCsvToRecords(csv: string, operation: string, page: number): Record<string, unknown>[] {
  if (csv.trim() === '') return [];
  let rows: Record<string, string>[];
  try {
    rows = parse(csv, { columns: true, skip_empty_lines: true, bom: true, relax_quotes: false });
  } catch (err) {
    throw new SourceError(`Bulk API 2.0 results are not valid CSV: ${(err as Error).message}`, {
      operation,
      page,
    });
  }
  return rows.map((row) => {
    const record: Record<string, unknown> = {};
    for (const [header, cell] of Object.entries(row)) {
      const path = header.split('.');
      let target = record;
      for (const part of path.slice(0, -1)) {
        const next = target[part];
        if (next && typeof next === 'object') target = next as Record<string, unknown>;
        else {
          const child: Record<string, unknown> = {};
          target[part] = child;
          target = child;
        }
      }
      target[path[path.length - 1] as string] = cell === '' ? null : cell;
    }
    return record;
  });
}
