/**
 * The repository stands alone (issue 10): a user's clone has no design notes from outside it, so no
 * file may send a reader to `DESIGN.md` (only docs/design-changes.md, which records how the
 * contracts changed, names it) or to the folder the product was built beside (`../shared/fixtures`, `/work/shared`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
/** Not the repository's own text: dependencies, build and run output, git's store. */
const SKIP_DIRS = new Set([
  'node_modules',
  '.git',
  'cdk.out',
  'accessproof-out',
  'out',
  'coverage',
  'artifacts',
]);
const TEXT = /\.(ts|js|mjs|cjs|md|ya?ml|json|sh|txt|csv|html|css)$|^[^.]+$/;
/** Files allowed to name DESIGN.md: the record of changes to it, and this test. */
const MAY_NAME_DESIGN = new Set(['docs/design-changes.md', 'test/unit/docs/stand-alone.test.ts']);

function* files(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) yield* files(join(dir, e.name));
    } else if (e.isFile() && TEXT.test(e.name)) {
      yield join(dir, e.name);
    }
  }
}

/** `file:line: text` for every line matching `re`. */
function hits(re: RegExp, allowed: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const file of files(ROOT)) {
    const rel = relative(ROOT, file);
    if (allowed.has(rel)) continue;
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (re.test(line)) out.push(`${rel}:${i + 1}: ${line.trim().slice(0, 120)}`);
    });
  }
  return out;
}

describe('the repository stands alone', () => {
  it('cites no DESIGN.md section (or DESIGN.md at all) outside docs/design-changes.md', () => {
    expect(hits(/DESIGN\.md/, MAY_NAME_DESIGN)).toEqual([]);
  });

  it('cites no section of DESIGN.md anywhere, not even in docs/design-changes.md', () => {
    expect(hits(/DESIGN\.md\s*§/, new Set(['test/unit/docs/stand-alone.test.ts']))).toEqual([]);
  });

  it('refers to no file in the ../shared folder the product was built beside', () => {
    expect(
      hits(
        /\/work\/shared|\.\.\/shared\/(fixtures|DESIGN|CONVENTIONS)/,
        new Set(['test/unit/docs/stand-alone.test.ts']),
      ),
    ).toEqual([]);
  });
});
