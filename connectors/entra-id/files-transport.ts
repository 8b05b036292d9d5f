/**
 * Files mode: saved Graph response bodies in one folder, one file per request (names in
 * docs/connectors/entra-id.md). A file holds one response body `{ "value": [...] }` or an array
 * of such pages, as a paging export writes them. A missing file answers 404.
 */
import { basename, join } from 'node:path';
import * as z from 'zod';
import type { CallLog } from '../../core/connector';
import { InputError } from '../../core/errors';
import { decodeInputText, type InputEncoding } from '../shared/decode-text';
import { refuseDuplicateIds } from '../shared/duplicate-ids';
import { isMissingFile, readInputFileSync } from '../shared/input-file';
import { jsonErrorLine } from '../shared/json-text';
import {
  type BatchItem,
  type BatchResult,
  GraphCallError,
  type GraphTransport,
  type ListPage,
  type ListRequest,
} from './transport';

const page = z.object({ value: z.array(z.unknown()) }).loose();
const pages = z.union([page.transform((p) => [p]), z.array(page).min(1)]);

/** Collections of directory objects, each of which must appear once. */
const DIRECTORY_OBJECT_FILES = new Set([
  'users.json',
  'applications.json',
  'servicePrincipals.json',
  'groups.json',
]);

/** `users.json#2`: page 2 (0-based) of a file. Lives only in connector state. */
function pointer(file: string, index: number): string {
  return `${file}#${index}`;
}

export class FilesTransport implements GraphTransport {
  readonly mode = 'files' as const;
  /** Parsed files of this collection: a file is read once even when it has many pages. */
  private readonly cache = new Map<string, unknown[][] | null>();

  constructor(
    private readonly dir: string,
    private readonly encoding?: InputEncoding,
  ) {}

  /** True when the export has this file. */
  has(file: string): boolean {
    return this.load(file) !== null;
  }

  /** Every item of every page of a file (used to look ahead, e.g. whether users carry signInActivity). */
  allItems(file: string): unknown[] | null {
    const loaded = this.load(file);
    return loaded === null ? null : loaded.flat();
  }

  async list(request: ListRequest, next: string | null, calls: CallLog): Promise<ListPage> {
    const operation = `file:${request.file}`;
    const loaded = this.load(request.file);
    if (loaded === null) {
      throw new GraphCallError(404, 'file-missing', `${request.file} is not in the export folder`, operation);
    }
    let index = 0;
    if (next !== null) {
      const hash = next.lastIndexOf('#');
      index = Number(next.slice(hash + 1));
      if (next.slice(0, hash) !== request.file || !Number.isInteger(index) || index < 0) {
        throw new GraphCallError(
          0,
          'bad-pointer',
          `page pointer does not belong to ${request.file}`,
          operation,
        );
      }
    }
    const items = loaded[index] ?? [];
    calls.record(operation, { calls: index === 0 ? 1 : 0, pages: 1, records: items.length });
    return { items, next: index + 1 < loaded.length ? pointer(request.file, index + 1) : null };
  }

  async batch(items: readonly BatchItem[], calls: CallLog): Promise<BatchResult[]> {
    const out: BatchResult[] = [];
    for (const item of items) {
      if (!this.has(item.request.file)) {
        out.push({ key: item.key, status: 'not-found' });
        continue;
      }
      const first = await this.list(item.request, null, calls);
      out.push({ key: item.key, status: 'ok', items: first.items, next: first.next });
    }
    return out;
  }

  private load(file: string): unknown[][] | null {
    const cached = this.cache.get(file);
    if (cached !== undefined) return cached;
    // File names are built from data (object ids): one name inside the export folder, never a path.
    if (file === '' || file !== basename(file) || /[\\/\0]/.test(file) || file === '.' || file === '..') {
      throw new GraphCallError(
        0,
        'bad-file',
        'a request names a file outside the export folder',
        `file:${file}`,
      );
    }
    const path = join(this.dir, file);
    let text: string;
    try {
      text = decodeInputText(readInputFileSync(path, 'export'), path, this.encoding);
    } catch (err) {
      if (isMissingFile(err)) {
        this.cache.set(file, null);
        return null;
      }
      if (err instanceof InputError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.cache.set(file, null);
        return null;
      }
      throw new InputError(`cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
        file: path,
      });
    }
    let json: unknown;
    const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    try {
      json = JSON.parse(body);
    } catch (err) {
      const line = jsonErrorLine(body, err);
      throw new InputError('is not valid JSON', line === undefined ? { file: path } : { file: path, line });
    }
    const parsed = pages.safeParse(json);
    if (!parsed.success) {
      throw new InputError('is not a Graph response body ({"value": [...]}) or an array of them', {
        file: path,
      });
    }
    const result = parsed.data.map((p) => p.value);
    // Directory objects are unique by id; relationship records are not (an appRoleAssignment's id
    // is derived from its principal, so one principal's assignments share it).
    if (DIRECTORY_OBJECT_FILES.has(file))
      refuseDuplicateIds(
        result.flatMap((items, n) =>
          items.map((item, i) => ({
            id: (item as { id?: unknown } | null)?.id,
            where: result.length > 1 ? `page ${n + 1} item ${i + 1}` : `item ${i + 1}`,
          })),
        ),
        path,
        'id',
      );
    this.cache.set(file, result);
    return result;
  }
}
