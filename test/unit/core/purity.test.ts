// Guards CONVENTIONS.md #2: core/ reads no clock and no process state, so a run is reproducible.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const coreDir = join(root, 'core');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Code without comments and string contents, so documentation may mention what code may not do. */
function codeOnly(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, ''))
    .replace(/(^|[^:])\/\/.*$/gm, '$1')
    .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g, "''");
}

const FORBIDDEN: [RegExp, string][] = [
  [/\bDate\.now\s*\(/, 'Date.now('],
  [/\bnew\s+Date\s*\(\s*\)/, 'new Date()'],
  [/\bprocess\./, 'process.'],
];

describe('core/ purity', () => {
  it('has TypeScript files to check', () => {
    expect(tsFiles(coreDir).length).toBeGreaterThan(10);
  });

  it('never reads the clock or the process', () => {
    // Arrange
    const offences: string[] = [];

    // Act
    for (const file of tsFiles(coreDir)) {
      const code = codeOnly(readFileSync(file, 'utf8'));
      code.split('\n').forEach((line, i) => {
        for (const [pattern, name] of FORBIDDEN) {
          if (pattern.test(line)) offences.push(`${relative(root, file)}:${i + 1}: ${name}`);
        }
      });
    }

    // Assert
    expect(offences).toEqual([]);
  });

  it('detects each forbidden form (the scanner itself can fail)', () => {
    for (const sample of ['const t = Date.now();', 'const d = new Date();', 'const e = process.env.X;']) {
      expect(FORBIDDEN.some(([p]) => p.test(codeOnly(sample)))).toBe(true);
    }
    expect(
      FORBIDDEN.some(([p]) => p.test(codeOnly("// Date.now() is forbidden\nconst s = 'new Date()';"))),
    ).toBe(false);
  });
});
