/**
 * The reviewer web app and the campaign owner's screens in a real browser (issue 17): Debian's
 * chromium, headless, through playwright-core, against `startReviewServer` on 127.0.0.1 over a
 * real scan of the demo tenant. The owner signs in by link and starts the campaign in the web
 * app; reviewer A signs in by link, filters, keeps two items, revokes one with a note and
 * delegates one; reviewer B cannot open A's items by URL; A uploads a tampered workbook (refused,
 * naming the row) and an edited one (recorded with its SHA-256); the owner closes the campaign in
 * the web app; the next scan, dated after the revocation SLA, seals the campaign, `verify` passes,
 * and the revoked grant nobody removed raises REVIEW-REVOKE-NOT-DONE.
 *
 * One demo scan before, one after, one browser for the whole file (the suite's time is tight).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReviewServer, startReviewServer } from '../../cli/commands/serve';
import type { ReviewItemRecord, ReviewRecord } from '../../core/reviews/records';
import { launchChromium, requireChromium } from '../support/chromium';
import { accessproof, copyDemo, tempDir } from './cli-helpers';

const CONTROLLER = 'controller@halvorsen-industrial.example';
const CFO = 'cfo@halvorsen-industrial.example';
const AP_LEAD = 'ap.lead@halvorsen-industrial.example';
const DAY = 86_400_000;
/** Columns of the workbook's Review sheet: Entitlement (read-only), Decision and Note (to fill). */
const COL = { entitlement: 9, current: 16, decision: 17, note: 18 };

interface Watched {
  page: Page;
  problems: string[];
  requests: string[];
}

describe('reviewer app and owner screens in headless chromium (demo tenant)', () => {
  const demo = copyDemo();
  const out = tempDir();
  let server: ReviewServer;
  let browser: Browser;
  let ownerLink = '';
  let campaign = '';
  const links = new Map<string, string>();
  let owner: Watched;
  let a: Watched;
  /** The item A revoked, and the item and SHA-256 of the workbook A uploaded. */
  let revokedItem = '';
  let uploadedSha = '';
  let uploadedItem = '';

  beforeAll(async () => {
    requireChromium();
    const scan = accessproof(['scan', '--config', demo.config, '--out', out, '-q', '--fail-on', 'none']);
    expect(scan.code, scan.stderr).toBe(0);
    // No campaign yet: the owner starts it in the web app, over the sealed pack.
    server = await startReviewServer({ out, port: 0 });
    const printed = accessproof([
      'review',
      'owner-link',
      '--owner',
      CONTROLLER,
      '--link-base',
      server.url,
      '--out',
      out,
    ]);
    expect(printed.code, printed.stderr).toBe(0);
    ownerLink = /^ {2}\S+: (http:\/\/127\.0\.0\.1:\d+\/o\/\S+)$/m.exec(printed.stdout)?.[1] ?? '';
    // A fresh temporary profile; each person gets a context (cookie jar).
    browser = await launchChromium();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(out, { recursive: true, force: true });
    rmSync(demo.dir, { recursive: true, force: true });
  });

  /** A page that records console errors, CSP violations and every request it makes. */
  async function watchedPage(): Promise<Watched> {
    const context = await browser.newContext({ acceptDownloads: true });
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
  const message = async (page: Page) => ((await page.locator('#message').textContent()) ?? '').trim();

  it('lets the owner sign in by link and start the campaign in the web app (keyboard only in the form)', async () => {
    owner = await watchedPage();
    await owner.page.goto(ownerLink);
    expect(new URL(owner.page.url()).pathname).toBe('/o');
    await owner.page.click('#new-campaign');
    await owner.page.waitForURL(/\/o\/new$/);
    // Keyboard: type into each labelled field, tick with Space, submit with Enter.
    await owner.page.getByLabel('Name', { exact: true }).fill('Q4 privileged access (web)');
    await owner.page.getByLabel('Due date').fill('2099-12-31');
    await owner.page.getByLabel('Privileged entitlements only').focus();
    await owner.page.keyboard.press('Space');
    await owner.page.getByLabel('Source reviewers', { exact: false }).fill(`aws-finance-prod=${CFO}`);
    await owner.page.getByLabel('Default reviewer (email)').fill(CONTROLLER);
    await owner.page.getByLabel('Fallback reviewer', { exact: false }).fill(CFO);
    await owner.page.keyboard.press('Enter');
    await owner.page.waitForURL(/\/o\/c\/[^/?]+\?done=created$/);
    campaign = /\/o\/c\/([^/?]+)/.exec(owner.page.url())![1]!;
    expect(await message(owner.page)).toMatch(/^Campaign started: \d+ item\(s\) to review\./);
    // The reviewers' links, to send each their own.
    for (const li of await owner.page.locator('details li').allTextContents()) {
      const m = /^(\S+): (http:\/\/127\.0\.0\.1:\d+\/l\/\S+)$/.exec(li.trim());
      if (m) links.set(m[1]!, m[2]!);
    }
    expect([...links.keys()].sort()).toEqual([CFO, CONTROLLER]);
    expect(await owner.page.locator(`tr[data-reviewer="${CONTROLLER}"] td`).first().textContent()).toMatch(
      /^\d+$/,
    );
    expect(owner.problems).toEqual([]);
    expect(owner.requests.every((u) => u.startsWith(server.url))).toBe(true);
  });

  it('lets reviewer A filter, keep two, revoke one with a note and delegate one; B cannot open them', async () => {
    a = await watchedPage();
    await a.page.goto(links.get(CONTROLLER)!);
    expect(new URL(a.page.url()).pathname).toBe(`/c/${campaign}`);
    expect(await a.page.locator('h1').textContent()).toBe('Q4 privileged access (web)');
    const total = await rows(a.page).count();
    expect(total).toBeGreaterThan(5);

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
      return message(a.page);
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
    revokedItem = ids[2]!;
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
    // Nor the owner's screens, with B's reviewer session.
    expect((await b.page.goto(`${server.url}/o/c/${campaign}`))?.status()).toBe(401);
    // A's own detail page works for A.
    const mine = await a.page.goto(`${server.url}/c/${campaign}/items/${ids[2]}`);
    expect(mine?.status()).toBe(200);
    expect(await a.page.locator('dd').filter({ hasText: 'moved to sales in August' }).count()).toBe(1);
  });

  it('refuses a tampered workbook naming the row, and records an edited one with its SHA-256', async () => {
    // Arrange: A downloads their workbook in the browser.
    await a.page.goto(`${server.url}/c/${campaign}`);
    await a.page.click('summary:has-text("Work offline")');
    const [download] = await Promise.all([a.page.waitForEvent('download'), a.page.click('#download')]);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile((await download.path())!);
    const ws = wb.getWorksheet('Review')!;
    const undecided: number[] = [];
    for (let r = 2; r <= ws.rowCount; r++)
      if (ws.getRow(r).getCell(COL.current).text === '') undecided.push(r);
    expect(undecided.length).toBeGreaterThan(1);
    const [keepRow, tamperRow] = undecided as [number, number];
    uploadedItem = ws.getRow(keepRow).getCell(1).text;
    ws.getRow(keepRow).getCell(COL.decision).value = 'keep';
    ws.getRow(keepRow).getCell(COL.note).value = 'confirmed offline with the AP lead';
    const filled = join(out, 'filled.xlsx');
    await wb.xlsx.writeFile(filled);
    ws.getRow(tamperRow).getCell(COL.entitlement).value = 'Administrator';
    const tampered = join(out, 'tampered.xlsx');
    await wb.xlsx.writeFile(tampered);
    const upload = async (file: string) => {
      await a.page.setInputFiles('#file', file);
      await a.page.click('#upload');
      await a.page.waitForLoadState('load');
      return message(a.page);
    };
    const before = await a.page.locator('#progress').textContent();

    // Act + Assert: the tampered one is refused as a whole, naming the row; nothing is recorded.
    const refused = await upload(tampered);
    expect(refused).toContain('The workbook was refused; nothing was recorded.');
    expect(await a.page.locator('#message li').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`^Row ${tamperRow}: .*Entitlement`))]),
    );
    expect(await a.page.locator('#progress').textContent()).toBe(before);
    // The edited one is recorded (the offline section stays open after a refusal).
    expect(await upload(filled)).toBe('Workbook recorded: 1 decision(s).');
    uploadedSha = createHash('sha256').update(readFileSync(filled)).digest('hex');
    expect(a.problems.filter((p) => !/status of 400/.test(p))).toEqual([]);
  });

  it('lets the owner follow progress and close the campaign in the web app (forced, with a rationale)', async () => {
    await owner.page.goto(`${server.url}/o/c/${campaign}`);
    const cells = await owner.page.locator(`tr[data-reviewer="${CONTROLLER}"] td`).allTextContents();
    // Items, decided (3 on the web + 1 from the workbook), undecided, overdue.
    expect(cells[1]).toBe('4');
    expect(Number(cells[2])).toBeGreaterThan(0);
    expect(cells[3]).toBe('0');
    // Refused while items are undecided.
    await owner.page.click('#close');
    await owner.page.waitForLoadState('load');
    expect(await message(owner.page)).toMatch(/undecided.*close with force and a rationale/);
    await owner.page.check('#force');
    await owner.page.fill('#rationale', 'browser test: remaining items move to the next campaign');
    await owner.page.click('#close');
    await owner.page.waitForURL(/done=closed$/);
    expect(await message(owner.page)).toBe('Campaign closed. The next scan seals it into the evidence pack.');
    expect(await owner.page.locator('#status').textContent()).toBe('closed');
    // Readable at 200 % zoom: at half the width (1280 → 640 CSS pixels) nothing needs sideways scrolling.
    for (const [who, url] of [
      [owner, `${server.url}/o/c/${campaign}`],
      [a, `${server.url}/c/${campaign}`],
    ] as const) {
      await who.page.setViewportSize({ width: 640, height: 800 });
      await who.page.goto(url);
      const overflow = Number(
        await who.page.evaluate('document.documentElement.scrollWidth - window.innerWidth'),
      );
      expect(overflow, url).toBeLessThanOrEqual(0);
    }
    expect(owner.problems.filter((p) => !/status of 400/.test(p))).toEqual([]);
  });

  it('seals the campaign into the next pack, verify passes, and the undone revocation raises REVIEW-REVOKE-NOT-DONE', () => {
    // One scan: after the owner closed, and dated past the revocation SLA (high: 30 days).
    const asOf = new Date(Date.now() + 90 * DAY).toISOString();
    const scan = accessproof([
      'scan',
      '--config',
      demo.config,
      '--out',
      out,
      '-q',
      '--fail-on',
      'none',
      '--as-of',
      asOf,
    ]);
    expect(scan.code, scan.stderr).toBe(0);
    const verify = accessproof(['verify', join(out, 'evidence')]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const packs = join(out, 'evidence', 'packs');
    const records = readFileSync(newest(packs, `${campaign}.jsonl`), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ReviewRecord);
    const head = records[0]!;
    expect(head).toMatchObject({
      record: 'campaign',
      status: 'closed',
      createdBy: CONTROLLER,
      closed: { by: CONTROLLER, forced: true },
    });
    expect(head.record === 'campaign' && head.populationSha256).toMatch(/^[0-9a-f]{64}$/);
    const items = records.filter((r): r is ReviewItemRecord => r.record === 'item');
    const web = items.filter((i) => i.decision?.channel === 'web');
    expect(web.map((i) => i.decision!.outcome).sort()).toEqual(['keep', 'keep', 'revoke']);
    expect(web.every((i) => i.decision!.by === CONTROLLER && i.decision!.note)).toBe(true);
    const xlsx = items.filter((i) => i.decision?.channel === 'xlsx');
    expect(xlsx.map((i) => [i.itemId, i.decision!.outcome, i.decision!.fileSha256])).toEqual([
      [uploadedItem, 'keep', uploadedSha],
    ]);
    const delegated = items.filter((i) => i.delegations?.length);
    expect(delegated).toHaveLength(1);
    expect(delegated[0]).toMatchObject({
      reviewer: AP_LEAD,
      delegations: [{ from: CONTROLLER, to: AP_LEAD }],
    });
    // The revoked grant is still there (nobody removed it) past the SLA.
    const revoked = items.find((i) => i.itemId === revokedItem)!;
    expect(revoked.revocation).toMatchObject({ status: 'still-present', overdue: true });
    const findings = readFileSync(newest(packs, 'findings.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as { rule: string; status: string; owner?: string; detail: Record<string, unknown> },
      );
    expect(findings.filter((f) => f.rule === 'REVIEW-REVOKE-NOT-DONE')).toEqual([
      expect.objectContaining({
        status: 'open',
        owner: CONTROLLER,
        detail: expect.objectContaining({ campaignId: campaign, itemId: revokedItem }),
      }),
    ]);
    // The app's request log since the previous pack is sealed too (reviewers' and owner's).
    const sealedAudit = readFileSync(newest(packs, 'requests-audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(sealedAudit[0]).toMatchObject({ record: 'range', fromByte: 0, continuous: true });
    const actions = sealedAudit.slice(1).map((e) => `${e.action}:${e.outcome}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'owner-session-opened:ok',
        'campaign-create:ok',
        'session-opened:ok',
        'decide:ok',
        'delegate:ok',
        'upload:refused',
        'upload:ok',
        'close:refused',
        'close:ok',
      ]),
    );
    expect(sealedAudit.find((e) => e.action === 'upload' && e.outcome === 'ok').detail).toContain(
      uploadedSha,
    );
    const report = readFileSync(newest(packs, 'report.html'), 'utf8');
    expect(report).toContain('<h2 id="review-campaigns">');
    expect(report).toContain(campaign);
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
