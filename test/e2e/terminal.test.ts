/**
 * The CLI on a real terminal (a pseudo-terminal from util-linux `script`): `scan` shows progress
 * on stderr (per source: pages and records; per stage: elapsed), colours severities, and still
 * shows every control character that came from data as a visible escape. `--quiet`, `--no-color`,
 * `NO_COLOR` and `CI` turn the terminal extras off.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, copyDemo, ROOT } from './cli-helpers';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Run the CLI with stdout and stderr on one pseudo-terminal; returns what the terminal received. */
function onTerminal(
  args: string[],
  env: Record<string, string | undefined> = {},
): { code: number; screen: string } {
  const command = [...CLI, ...args].map(quote).join(' ');
  const merged: NodeJS.ProcessEnv = { ...process.env, NODE_NO_WARNINGS: '1', COLUMNS: '120', ...env };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  const r = spawnSync('script', ['-qec', command, '/dev/null'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: merged,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
  return { code: r.status ?? -1, screen: `${r.stdout}${r.stderr}`.replace(/\r/g, '\n') };
}

const ESC = '\u001b';
/** A pattern with `ESC` standing for the escape character. */
const ansi = (pattern: string) => new RegExp(pattern.replaceAll('ESC', ESC));
/** An ERP display name that would hide the rest of the line (SGR 8, conceal) if it reached the terminal. */
const CONCEALING = `EDI${ESC}[8mHidden`;

describe('accessproof on a terminal', () => {
  const demo = copyDemo();
  const out = join(demo.dir, 'out');
  const asOf = ['--as-of', '2026-10-01T00:00:00Z'];
  let first: { code: number; screen: string };

  beforeAll(() => {
    const users = join(demo.dir, 'examples', 'demo', 'erp', 'users.csv');
    const text = readFileSync(users, 'utf8').replace(
      /^SVC_EDI_LEGACY,[^,]*,/m,
      `SVC_EDI_LEGACY,${CONCEALING},`,
    );
    writeFileSync(users, text);
    first = onTerminal(['scan', '--config', demo.config, ...asOf, '--out', out], { CI: undefined });
  }, 300_000);
  afterAll(() => rmSync(demo.dir, { recursive: true, force: true }));

  it('scan shows progress per source (pages, records) and per stage (elapsed) on stderr, then the summary', () => {
    expect(first.code, first.screen).toBe(0);
    expect(first.screen).toMatch(/collecting netsuite: \d+ page\(s\), \d+ record\(s\), \d+\.\d s/);
    // Each source settles on one line with its record count and time; HR counts its people.
    expect(first.screen).toMatch(/ {2}collect netsuite +[1-9]\d* record\(s\) +\d+\.\d s/);
    expect(first.screen).toMatch(/ {2}collect hris +[1-9]\d* record\(s\) +\d+\.\d s/);
    for (const stage of ['parse', 'correlate', 'rules', 'sod', 'diff', 'store', 'seal', 'notify']) {
      expect(first.screen).toMatch(new RegExp(` {2}${stage} +\\d+ record\\(s\\) +\\d+\\.\\d s`));
    }
    expect(first.screen).toContain('Findings: ');
  }, 300_000);

  it('colours severities with real escape codes, while escape codes from data are shown as text', () => {
    // The summary's severity line and the findings table, on the terminal.
    expect(first.screen).toMatch(ansi('ESC\\[1;31mcritical \\d+ESC\\[0m'));
    expect(first.screen).not.toContain('\\x1b[1;31m');
    const table = onTerminal(['findings', '--out', out, '--rule', 'NHI-DORMANT']);
    expect(table.code, table.screen).toBe(0);
    expect(table.screen).toContain('EDI\\x1b[8mHidden');
    expect(table.screen).not.toContain(`${ESC}[8m`);
    expect(table.screen).toMatch(ansi('ESC\\[31mhigh *ESC\\[0m'));
  }, 300_000);

  it('--no-color and NO_COLOR give plain text; --quiet and CI hide the progress', () => {
    for (const extra of [
      { args: ['--no-color'], env: {} },
      { args: [], env: { NO_COLOR: '1' } },
    ]) {
      const plain = onTerminal(['findings', '--out', out, '--rule', 'NHI-DORMANT', ...extra.args], extra.env);
      expect(plain.code, plain.screen).toBe(0);
      expect(plain.screen).toContain('NHI-DORMANT');
      expect(plain.screen).not.toMatch(ansi('ESC\\[[\\d;]*m'));
    }
    const quiet = onTerminal(['scan', '--config', demo.config, ...asOf, '--out', out, '--quiet'], {
      CI: undefined,
    });
    expect(quiet.code, quiet.screen).toBe(0);
    expect(quiet.screen.trim()).toBe('');
    const ci = onTerminal(['scan', '--config', demo.config, ...asOf, '--out', out, '--no-color'], {
      CI: 'true',
    });
    expect(ci.code, ci.screen).toBe(0);
    expect(ci.screen).not.toContain('collecting ');
    expect(ci.screen).not.toContain(`${ESC}[2K`);
    expect(ci.screen).toContain('Findings: ');
  }, 300_000);
});
