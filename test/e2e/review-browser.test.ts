/**
 * The reviewer web app in a real browser (issue 17): Debian's chromium, headless, through
 * playwright-core, against `startReviewServer` on 127.0.0.1 over a real scan of the demo tenant.
 * Reviewer A signs in by link, filters, keeps two items, revokes one with a note and delegates
 * one; reviewer B cannot open A's items by URL; the owner closes; the next scan seals the
 * campaign with the web decisions and `verify` passes.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReviewServer, startReviewServer } from '../../cli/commands/serve';
import type { ReviewItemRecord, ReviewRecord } from '../../core/reviews/records';
import { accessproof, copyDemo, tempDir } from './cli-helpers';

const CHROMIUM = process.env.ACCESSPROOF_CHROMIUM ?? '/usr/bin/chromium';
const CONTROLLER = 'controller@halvorsen-industrial.example';
const CFO = 'cfo@halvorsen-industrial.example';
const AP_LEAD = 'ap.lead@halvorsen-industrial.example';

describe('reviewer web app in headless chromium (demo tenant)', () => {
  const demo = copyDemo();
  const out = tempDir();
  let server: ReviewServer;
  let browser: Browser;
  let campaign = '';
  const links = new Map<string, string>();

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} not found: apt-get install chromium (or set ACCESSPROOF_CHROMIUM)`);
    const scan = accessproof(['scan', '--config', demo.config, '--out', out, '-q', '--fail-on', 'none']);
    expect(scan.code, scan.stderr).toBe(0);
    const start = accessproof([
      'review',
      'start',
      '--out',
      out,
      '--name',
      'Q4 privileged access (web)',
      '--due',
      '2099-12-31',
      '--privileged-only',
      '--reviewer',
      CONTROLLER,
      '--source-reviewer',
      `aws-finance-prod=${CFO}`,
      '--fallback-reviewer',
      CFO,
      '--by',
      CONTROLLER,
    ]);
    expect(start.code, start.stderr).toBe(0);
    campaign = /campaign (\S+) started/.exec(start.stdout)![1]!;
    server = await startReviewServer({ out, port: 0 });
    const printed = accessproof(['review', 'links', campaign, '--link-base', server.url, '--out', out]);
    expect(printed.code, printed.stderr).toBe(0);
    for (const m of printed.stdout.matchAll(/^ {4}(\S+): (http:\/\/127\.0\.0\.1:\d+\/l\/\S+)$/gm))
      links.set(m[1]!, m[2]!);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      // launch() gives the browser a fresh temporary profile; A and B get separate contexts (cookie jars).
    });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(out, { recursive: true, force: true });
    rmSync(demo.dir, { recursive: true, force: true });
  });

  /** A page that records console errors, CSP violations and every request it makes. */
  async function watchedPage(): Promise<{ page: Page; problems: string[]; requests: string[] }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    return { page, problems, requests };
  }

  const rows = (page: Page) => page.locator('tbody tr[data-item]');

  it('lets reviewer A filter, keep two, revoke one with a note and delegate one; B cannot open them', async () => {
    expect([...links.keys()].sort()).toEqual([CFO, CONTROLLER]);
    const a = await watchedPage();
    await a.page.goto(links.get(CONTROLLER)!);
    expect(new URL(a.page.url()).pathname).toBe(`/c/${campaign}`);
    expect(await a.page.locator('h1').textContent()).toBe('Q4 privileged access (web)');
    const total = await rows(a.page).count();
    expect(total).toBeGreaterThan(4);

    // Filter by text (keyboard: type and press Enter in the search box).
    const firstName = (await rows(a.page).first().locator('td').nth(1).locator('strong').textContent())!;
    await a.page.fill('#q', firstName);
    await a.page.press('#q', 'Enter');
    await a.page.waitForURL(/\?q=/);
    const filtered = await rows(a.page).count();
    expect(filtered).toBeGreaterThan(0);
    expect(filtered).toBeLessThan(total);
    await a.page.fill('#q', '');
    await a.page.selectOption('#status', 'undecided');
    await a.page.click('button:has-text("Apply")');
    await a.page.waitForURL(/status=undecided/);
    const ids = await rows(a.page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-item')!));

    const record = async (items: string[], action: string, fields: Record<string, string>) => {
      for (const id of items) await a.page.check(`#item-${id}`);
      await a.page.check(`#action-${action}`);
      for (const [field, value] of Object.entries(fields)) await a.page.fill(`#${field}`, value);
      await a.page.click('button:has-text("Record")');
      await a.page.waitForLoadState('load');
      return (await a.page.locator('#message').textContent()) ?? '';
    };
    // A privileged keep without a note is refused with the reason, and nothing is recorded.
    expect(await record([ids[0]!], 'keep', {})).toMatch(/keeping a privileged grant needs a note/);
    await a.page.goto(`${server.url}/c/${campaign}?status=undecided`);
    expect(await record([ids[0]!, ids[1]!], 'keep', { note: 'AP team, needed for the Q4 close' })).toBe(
      '2 item(s) kept.',
    );
    expect(await record([ids[2]!], 'revoke', { note: 'moved to sales in August' })).toBe(
      '1 item(s) revoked.',
    );
    expect(await record([ids[3]!], 'delegate', { to: AP_LEAD, reason: 'owns the AP roles' })).toBe(
      '1 item(s) delegated.',
    );
    expect(await a.page.locator('#progress').textContent()).toBe(`3 of ${total - 1} decided`);
    // The one refused keep above answered 400 (the browser logs it); nothing else went wrong.
    expect(a.problems.filter((p) => !/status of 400/.test(p))).toEqual([]);
    expect(a.requests.every((u) => u.startsWith(server.url))).toBe(true);

    // Reviewer B, in another browser context, signs in with their own link and tries A's items.
    const b = await watchedPage();
    await b.page.goto(links.get(CFO)!);
    const bItems = await rows(b.page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-item')!));
    expect(bItems.some((id) => ids.includes(id))).toBe(false);
    for (const id of ids.slice(0, 4)) {
      const res = await b.page.goto(`${server.url}/c/${campaign}/items/${id}`);
      expect(res?.status(), id).toBe(404);
    }
    // A's own detail page works for A.
    const mine = await a.page.goto(`${server.url}/c/${campaign}/items/${ids[2]}`);
    expect(mine?.status()).toBe(200);
    expect(await a.page.locator('dd').filter({ hasText: 'moved to sales in August' }).count()).toBe(1);
  });

  it('seals the web decisions into the next pack after the owner closes, and verify passes', () => {
    const close = accessproof([
      'review',
      'close',
      campaign,
      '--by',
      CONTROLLER,
      '--force',
      '--rationale',
      'browser test: remaining items move to the next campaign',
      '--out',
      out,
    ]);
    expect(close.code, close.stderr).toBe(0);
    const scan = accessproof(['scan', '--config', demo.config, '--out', out, '-q', '--fail-on', 'none']);
    expect(scan.code, scan.stderr).toBe(0);
    const verify = accessproof(['verify', join(out, 'evidence')]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const lines = readFileSync(newest(join(out, 'evidence', 'packs'), `${campaign}.jsonl`), 'utf8')
      .trim()
      .split('\n');
    const records = lines.map((l) => JSON.parse(l) as ReviewRecord);
    const head = records[0]!;
    expect(head).toMatchObject({ record: 'campaign', status: 'closed' });
    expect(head.record === 'campaign' && head.populationSha256).toMatch(/^[0-9a-f]{64}$/);
    const items = records.filter((r): r is ReviewItemRecord => r.record === 'item');
    const web = items.filter((i) => i.decision?.channel === 'web');
    expect(web.map((i) => i.decision!.outcome).sort()).toEqual(['keep', 'keep', 'revoke']);
    expect(web.every((i) => i.decision!.by === CONTROLLER && i.decision!.note)).toBe(true);
    const delegated = items.filter((i) => i.delegations?.length);
    expect(delegated).toHaveLength(1);
    expect(delegated[0]).toMatchObject({
      reviewer: AP_LEAD,
      delegations: [{ from: CONTROLLER, to: AP_LEAD }],
    });
    // The app's request log since the previous pack is sealed too, and the report has the campaign.
    const sealedAudit = readFileSync(newest(join(out, 'evidence', 'packs'), 'requests-audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(sealedAudit[0]).toMatchObject({ record: 'range', fromByte: 0, continuous: true });
    expect(sealedAudit.slice(1).map((e) => e.action)).toEqual(
      expect.arrayContaining(['session-opened', 'decide', 'delegate']),
    );
    const report = readFileSync(newest(join(out, 'evidence', 'packs'), 'report.html'), 'utf8');
    expect(report).toContain('<h2 id="review-campaigns">');
    expect(report).toContain(campaign);
    const audit = readFileSync(join(out, 'state', 'reviews-audit.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(audit.map((l) => JSON.parse(l).action)).toEqual(
      expect.arrayContaining(['session-opened', 'decide', 'delegate']),
    );
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
