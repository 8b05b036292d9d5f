import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CsvFileReader } from '../../../../connectors/shared/csv';
import { readInputFile, readInputFileSync } from '../../../../connectors/shared/input-file';
import { isInsideRoots, realPathOf, withInputRoots } from '../../../../connectors/shared/input-roots';
import { InputError } from '../../../../core/errors';

// root/cfg is the allowed tree; root/cfg-other shares its prefix and is outside it.
const root = realpathSync(mkdtempSync(join(tmpdir(), 'accessproof-roots-unit-')));
const cfg = join(root, 'cfg');
const other = join(root, 'cfg-other');
mkdirSync(cfg);
mkdirSync(other);
writeFileSync(join(cfg, 'inside.csv'), 'a,b\n1,2\n');
writeFileSync(join(other, 'outside.csv'), 'a,b\n1,2\n');
symlinkSync(join(other, 'outside.csv'), join(cfg, 'link.csv'));

describe('input roots (issue 11): reads limited to the config tree and inputRoots', () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('a root is matched as a folder, not as a name prefix', () => {
    expect(isInsideRoots(join(cfg, 'x.csv'), [cfg])).toBe(true);
    expect(isInsideRoots(cfg, [cfg])).toBe(true);
    expect(isInsideRoots(join(other, 'x.csv'), [cfg])).toBe(false);
  });

  it('a missing path resolves through its nearest existing parent', () => {
    expect(realPathOf(join(cfg, '..', 'cfg-other', 'nope', 'x.csv'))).toBe(join(other, 'nope', 'x.csv'));
  });

  it('refuses a symlink leaving the roots, sync and async, CSV streams included; reads what is inside', async () => {
    await withInputRoots([cfg], async () => {
      // Act / Assert: inside
      expect(readInputFileSync(join(cfg, 'inside.csv'), 'export').toString()).toContain('1,2');
      const inside = await CsvFileReader.open(join(cfg, 'inside.csv'));
      expect((await inside.read(10)).records).toHaveLength(1);
      await inside.close();

      // Act / Assert: the symlink, the `..` path into the sibling
      const outside =
        /is outside the config file's folder and every inputRoots entry \(it resolves to .*cfg-other\/outside\.csv\)/;
      expect(() => readInputFileSync(join(cfg, 'link.csv'), 'export')).toThrow(outside);
      await expect(readInputFile(join(cfg, '..', 'cfg-other', 'outside.csv'), 'export')).rejects.toThrow(
        InputError,
      );
      await expect(CsvFileReader.open(join(cfg, 'link.csv'))).rejects.toThrow(outside);
    });
  });

  it('limits nothing outside a scope, and a root may be added', async () => {
    expect(readInputFileSync(join(cfg, 'link.csv'), 'export').toString()).toContain('1,2');
    await withInputRoots([cfg, other], async () => {
      expect((await readInputFile(join(cfg, 'link.csv'), 'export')).toString()).toContain('1,2');
    });
  });
});
