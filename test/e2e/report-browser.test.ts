/**
 * report.html in a real browser: Debian's chromium, headless, driven by playwright-core. The demo
 * (with hostile names from its input) is scanned twice, so the dashboard has a trend and overdue
 * findings; the report must draw its charts, filter, make no network request, log no console
 * error and run no injected script. A screenshot goes to test/artifacts/ (not committed).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchOfflineContext, requireChromium } from '../support/chromium';
import { accessproof, ROOT } from './cli-helpers';
import { HOSTILE, hostileDemo } from './hostile-demo';

const ARTIFACTS = join(ROOT, 'test', 'artifacts');

describe('report.html in headless chromium (hostile demo, two runs)', () => {
  const demo = hostileDemo();
  const out = join(demo.dir, 'out');
  const profile = mkdtempSync(join(tmpdir(), 'accessproof-chromium-'));
  let context: BrowserContext;
  let report = '';

  beforeAll(async () => {
    requireChromium();
    const scan = (asOf: string) =>
      accessproof([
        'scan',
        '--config',
        demo.config,
        '--as-of',
        asOf,
        '--out',
        out,
        '-q',
        '--fail-on',
        'none',
      ]);
    expect(scan('2026-10-01T00:00:00Z').code).toBe(0);
    expect(scan('2026-11-15T00:00:00Z').code).toBe(0);
    report = newest(join(out, 'evidence', 'packs'), 'report.html');
    context = await launchOfflineContext(profile);
  }, 600_000);

  afterAll(async () => {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
    rmSync(demo.dir, { recursive: true, force: true });
  });

  it('draws the dashboard, filters, requests nothing, logs no error and runs no injected script', async () => {
    const page = await context.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on('request', (r) => requests.push(r.url()));
    const url = pathToFileURL(report).href;
    await page.goto(url, { waitUntil: 'load' });

    // Nothing but the page itself was requested; no error, no CSP violation, no injected script ran.
    expect(requests).toEqual([url]);
    expect(problems).toEqual([]);
    expect(await page.title()).toMatch(/^AccessProof evidence/);
    expect(await page.locator('script').count()).toBe(1);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
    // The hostile names are on the page as text.
    const body = (await page.locator('body').textContent()) ?? '';
    for (const name of [HOSTILE.script, HOSTILE.img, HOSTILE.js, HOSTILE.formula])
      expect(body).toContain(name);

    // Charts render: bars with a size, and a trend line over the two packs.
    for (const id of ['by-severity', 'by-system', 'by-source', 'by-rule', 'aging', 'overdue']) {
      const bars = page.locator(`#chart-${id} rect.bar`);
      expect(await bars.count(), id).toBeGreaterThan(0);
      const box = await bars.first().boundingBox();
      expect(box?.width ?? 0, id).toBeGreaterThan(0);
    }
    expect(await page.locator('#chart-trend circle.dot').count()).toBe(2);
    expect(await page.locator('#chart-overdue rect.bar.overdue').count()).toBeGreaterThan(0);

    // The filter: the script unhid it and counts; text, severity, rule and system narrow the list.
    const form = page.locator('#filter');
    expect(await form.isVisible()).toBe(true);
    const total = await page.locator('section.finding').count();
    const visible = () => page.locator('section.finding:visible');
    expect(await page.locator('#filter-count').textContent()).toBe(`${total} of ${total} shown`);
    await page.fill('#filter-text', 'HYPERLINK');
    const byText = await visible().count();
    expect(byText).toBeGreaterThan(0);
    expect(byText).toBeLessThan(total);
    for (const text of await visible().allTextContents()) expect(text).toContain('HYPERLINK');
    await page.fill('#filter-text', '');
    await page.selectOption('#filter-severity', 'critical');
    const critical = await visible().count();
    expect(critical).toBeGreaterThan(0);
    expect(await page.locator('section.finding.critical').count()).toBe(critical);
    await page.selectOption('#filter-system', 'aws');
    await page.selectOption('#filter-rule', 'SOD-CONFLICT');
    const narrowed = await visible().evaluateAll((els) =>
      els.map((e) => [
        (e as unknown as { dataset: Record<string, string> }).dataset.severity,
        (e as unknown as { dataset: Record<string, string> }).dataset.rule,
        (e as unknown as { dataset: Record<string, string> }).dataset.systems,
      ]),
    );
    expect(narrowed.length).toBeGreaterThan(0);
    expect(narrowed.length).toBeLessThan(critical);
    for (const [severity, rule, systems] of narrowed) {
      expect(severity).toBe('critical');
      expect(rule).toBe('SOD-CONFLICT');
      expect(systems?.split(' ')).toContain('aws');
    }
    await page.selectOption('#filter-severity', '');
    await page.selectOption('#filter-system', '');
    await page.selectOption('#filter-rule', '');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.locator('#dashboard').screenshot({ path: join(ARTIFACTS, 'report-dashboard.png') });
    // Print: the filter and contents are not printed, and nothing hidden stays hidden.
    await page.emulateMedia({ media: 'print' });
    expect(await form.isVisible()).toBe(false);
    expect(requests).toEqual([url]);
    expect(problems).toEqual([]);
    await page.close();
  }, 300_000);
});

/** The newest pack's file (pack folders sort by date, then run id, which starts with the start time). */
function newest(packs: string, name: string): string {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name === name) found.push(join(dir, e.name));
    }
  };
  walk(packs);
  return found.sort().at(-1) ?? '';
}
