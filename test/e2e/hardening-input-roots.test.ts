/**
 * Inputs stay inside the config's folder tree or an `inputRoots` entry (issue 11, "Inputs are
 * regular, bounded and well-formed"): a ruleset or export reached through `..` or through a symlink
 * that leaves the folder is exit 2 naming the config file, line and field (or, for a file found
 * inside an export folder, that file); allowed by `inputRoots`, the same inputs scan.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessproof, ROOT, tempDir } from './cli-helpers';

const AS_OF = '2026-10-01T00:00:00Z';

/** A config with an HR and an Entra source (files mode) and one ruleset. */
function configText(o: { people: string; ruleset: string; inputRoots?: string[] }): string {
  return [
    'organization: Input Roots Test',
    ...(o.inputRoots ? [`inputRoots: [${o.inputRoots.join(', ')}]`] : []),
    'sources:',
    '  - id: hris',
    '    system: hr',
    '    files:',
    `      people: ${o.people}`,
    '  - id: entra',
    '    system: entra',
    '    tenantId: 5b7c2e9a-3f1d-4c8e-9a61-2d4f8b0c7e13',
    '    files: { dir: entra/ }',
    'policy:',
    `  sodRules: [${o.ruleset}]`,
    '',
  ].join('\n');
}

describe('input roots: nothing is read from outside the config folder unless allowed', () => {
  // root/cfg holds the configs; root/cfg-other (a name that shares cfg's prefix) and root/rules
  // are outside it.
  const root = tempDir('accessproof-roots-');
  const cfg = join(root, 'cfg');
  const other = join(root, 'cfg-other');
  const run = (name: string, text: string) => {
    const config = join(cfg, name);
    writeFileSync(config, text);
    return accessproof(['scan', '--config', config, '--as-of', AS_OF, '--out', join(root, `out-${name}`)]);
  };
  const packsOf = (name: string) => {
    const packs = join(root, `out-${name}`, 'evidence', 'packs');
    return existsSync(packs) ? readdirSync(packs, { recursive: true }).length : 0;
  };

  beforeAll(() => {
    mkdirSync(join(cfg, 'hr'), { recursive: true });
    mkdirSync(other);
    cpSync(join(ROOT, 'rules'), join(root, 'rules'), { recursive: true });
    cpSync(join(ROOT, 'rules', 'sox-core.yaml'), join(cfg, 'sox-core.yaml'));
    cpSync(join(ROOT, 'examples', 'demo', 'hr', 'people.csv'), join(cfg, 'hr', 'people.csv'));
    cpSync(join(ROOT, 'examples', 'demo', 'hr', 'people.csv'), join(other, 'people.csv'));
    cpSync(join(ROOT, 'examples', 'demo', 'entra'), join(cfg, 'entra'), { recursive: true });
    // A file inside the Entra export folder that is a symlink leaving the tree.
    cpSync(join(cfg, 'entra', 'users.json'), join(other, 'users.json'));
    rmSync(join(cfg, 'entra', 'users.json'));
    symlinkSync(join(other, 'users.json'), join(cfg, 'entra', 'users.json'));
    // A symlinked export file and a symlinked folder, both inside cfg, both pointing out of it.
    symlinkSync(join(other, 'people.csv'), join(cfg, 'hr', 'people-link.csv'));
    symlinkSync(join(root, 'rules'), join(cfg, 'rules-link'), 'dir');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('a ruleset reached through `..` is exit 2 naming config file, line and field', () => {
    // Act
    const r = run(
      'dotdot-ruleset.yaml',
      configText({ people: 'hr/people.csv', ruleset: '../rules/sox-core.yaml' }),
    );

    // Assert
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /dotdot-ruleset\.yaml:12 \(policy\.sodRules\[0\]\): \.\.\/rules\/sox-core\.yaml is outside the config file's folder and every inputRoots entry \(it resolves to .*\/rules\/sox-core\.yaml\)/,
    );
    expect(packsOf('dotdot-ruleset.yaml')).toBe(0);
  });

  it('a ruleset reached through a symlinked folder is exit 2', () => {
    // Act
    const r = run(
      'link-ruleset.yaml',
      configText({ people: 'hr/people.csv', ruleset: 'rules-link/sox-core.yaml' }),
    );

    // Assert
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /link-ruleset\.yaml:12 \(policy\.sodRules\[0\]\): rules-link\/sox-core\.yaml is outside/,
    );
  });

  it('an export reached through `..` into a folder sharing the prefix, or through a symlink, is exit 2', () => {
    // Act
    const dotdot = run(
      'dotdot-export.yaml',
      configText({ people: '../cfg-other/people.csv', ruleset: 'sox-core.yaml' }),
    );
    const link = run(
      'link-export.yaml',
      configText({ people: 'hr/people-link.csv', ruleset: 'sox-core.yaml' }),
    );

    // Assert
    expect(dotdot.code, dotdot.stderr).toBe(2);
    expect(dotdot.stderr).toMatch(
      /dotdot-export\.yaml:6 \(sources\[0\]\.files\.people\): \.\.\/cfg-other\/people\.csv is outside .*cfg-other\/people\.csv\)/,
    );
    expect(link.code, link.stderr).toBe(2);
    expect(link.stderr).toMatch(
      /link-export\.yaml:6 \(sources\[0\]\.files\.people\): hr\/people-link\.csv is outside .*\(it resolves to .*cfg-other\/people\.csv\)/,
    );
  });

  it('a file inside an export folder that is a symlink leaving the tree is exit 2 naming it; nothing sealed', () => {
    // Act: the folder itself is inside; its users.json points out
    const r = run('inner-link.yaml', configText({ people: 'hr/people.csv', ruleset: 'sox-core.yaml' }));

    // Assert
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /entra\/users\.json: is outside the config file's folder .*cfg-other\/users\.json\)/,
    );
    expect(packsOf('inner-link.yaml')).toBe(0);
  });

  it('the same inputs scan when inputRoots allows their folders; a missing root is exit 2', () => {
    // Act
    const allowed = run(
      'allowed.yaml',
      configText({
        people: 'hr/people-link.csv',
        ruleset: '../rules/sox-core.yaml',
        inputRoots: ['../rules', '../cfg-other'],
      }),
    );
    const missing = run(
      'missing-root.yaml',
      configText({ people: 'hr/people.csv', ruleset: 'sox-core.yaml', inputRoots: ['../nowhere'] }),
    );

    // Assert
    expect(allowed.code, allowed.stderr).toBeLessThan(2);
    expect(packsOf('allowed.yaml')).toBeGreaterThan(0);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /missing-root\.yaml:2 \(inputRoots\[0\]\): inputRoots entry \.\.\/nowhere does not exist/,
    );
  });
});
