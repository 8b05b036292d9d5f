/**
 * `accessproof review start|decide|close|list`: user access reviews (docs/reviews.md). A campaign
 * reviews the newest sealed pack's inventory; the next scan seals every campaign into its pack
 * under `reviews/`.
 */
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { relative } from 'node:path';
import { InputError } from '../../core/errors';
import { describeItem } from '../../core/reviews/campaign';
import {
  type CampaignRequest,
  createCampaign as createCampaignWith,
  parsePairs,
  reviewerOptions,
} from '../../core/reviews/create';
import { closeCampaign, decide, remainingItemIds } from '../../core/reviews/decide';
import type { Campaign } from '../../core/reviews/model';
import { withCatalog } from '../../core/reviews/owners';
import type { PackInventory } from '../../core/reviews/pack-inventory';
import { campaignRecords, summarizeCampaign } from '../../core/reviews/records';
import { type RevocationReport, verifyRevocations } from '../../core/reviews/revocation';
import {
  LINK_GRACE_DAYS,
  linkExpiry,
  OWNER_LINK_DAYS,
  ownerLink,
  reviewerLink,
} from '../../core/reviews/web/links';
import { localCampaignBase, readOwnersCatalog } from '../../stores/sqlite-reviews/local-campaign-base';
import { readLatestPackInventory } from '../../stores/sqlite-reviews/pack-inventory-reader';
import { loadOrCreateReviewLinkKey } from '../../stores/sqlite-reviews/review-app-files';
import { reviewsDbFile, SqliteReviewStore } from '../../stores/sqlite-reviews/sqlite-review-store';
import { EXIT } from '../exit-codes';
import type { Output } from '../output';
import { type LocalPaths, localPaths } from '../paths';
import { DEFAULT_SERVE_PORT } from './serve';

export interface ReviewStartOptions {
  /** The folder a scan wrote to (state and evidence). */
  out: string;
  name: string;
  /** Reviews every grant no other reviewer option assigns. */
  reviewer?: string;
  /** `SOURCE=EMAIL`, repeatable. */
  sourceReviewer?: string[];
  /** `GLOB=EMAIL`, repeatable; the first matching glob wins. */
  entitlementReviewer?: string[];
  /** Reviews the grants their assigned reviewer holds. */
  fallbackReviewer?: string;
  source?: string[];
  entitlement?: string[];
  privilegedOnly?: boolean;
  /** Only sources the base pack's policy marks financially significant. */
  financialOnly?: boolean;
  /** Only grants an open finding touches. */
  openFindingsOnly?: boolean;
  /** The entitlement-owner catalog (owners.yaml). */
  owners?: string;
  /** The holder's HR manager reviews before the source owner (default with --owners: the catalog's). */
  managers?: boolean;
  due: string;
  /** Who starts the campaign (default: the operating-system user). */
  by?: string;
  /** Where `accessproof serve` answers, for the reviewers' links (default http://127.0.0.1:8417). */
  linkBase?: string;
}

export interface ReviewLinksOptions {
  out: string;
  campaign: string;
  linkBase?: string;
  /** Only this reviewer's link. */
  reviewer?: string;
}

export { LINK_GRACE_DAYS, linkExpiry, readOwnersCatalog, reviewerLink };

export interface ReviewDecideOptions {
  out: string;
  campaign: string;
  items?: string[];
  keep?: boolean;
  revoke?: boolean;
  by: string;
  note?: string;
  /** Every undecided item assigned to `by`. */
  allRemaining?: boolean;
}

export interface ReviewCloseOptions {
  out: string;
  campaign: string;
  by: string;
  force?: boolean;
  rationale?: string;
}

export interface ReviewListOptions {
  out: string;
  /** Show this campaign's items; without it, list the campaigns. */
  campaign?: string;
  /** Only items assigned to this reviewer. */
  reviewer?: string;
  /** Only undecided items. */
  undecided?: boolean;
  format?: 'table' | 'json';
}

/**
 * `review start`: build a campaign from the newest sealed pack and store it.
 *
 * @example
 * await runReviewStart({ out: 'accessproof-out', name: 'Q4 privileged', reviewer: 'controller@example.com',
 *   fallbackReviewer: 'cfo@example.com', privilegedOnly: true, due: '2026-12-31' }, consoleOutput());
 */
export async function runReviewStart(opts: ReviewStartOptions, out: Output): Promise<number> {
  const paths = localPaths(opts.out, undefined);
  const bySource = parsePairs(opts.sourceReviewer ?? [], '--source-reviewer', 'SOURCE=EMAIL', 'first');
  const byEntitlement = parsePairs(
    opts.entitlementReviewer ?? [],
    '--entitlement-reviewer',
    'GLOB=EMAIL',
    'last',
  );
  const catalog = opts.owners !== undefined ? await readOwnersCatalog(opts.owners) : undefined;
  const { campaign, pack } = await createCampaign(paths, {
    name: opts.name,
    createdBy: opts.by ?? osUser(),
    dueAt: opts.due,
    scope: {
      sources: opts.source ?? [],
      entitlements: opts.entitlement ?? [],
      privilegedOnly: opts.privilegedOnly === true,
      ...(opts.financialOnly ? { financialOnly: true } : {}),
      ...(opts.openFindingsOnly ? { openFindingsOnly: true } : {}),
    },
    reviewers: withCatalog(
      reviewerOptions({
        ...(opts.reviewer !== undefined ? { reviewer: opts.reviewer } : {}),
        bySource,
        byEntitlement,
        ...(opts.fallbackReviewer !== undefined ? { fallback: opts.fallbackReviewer } : {}),
        ...(opts.managers ? { managers: true } : {}),
      }),
      catalog,
    ),
  });

  const s = campaign.scope;
  out.line(`Review campaign ${campaign.id} started: ${campaign.name}`);
  out.line(`  base: run ${pack.runId} (pack #${pack.sequence}, manifest sha256 ${pack.manifestSha256})`);
  out.line(
    `  scope: sources ${s.sources.length ? s.sources.join(', ') : 'all'}; entitlements ${
      s.entitlements.length ? s.entitlements.map((g) => `"${g}"`).join(', ') : 'all'
    }${s.privilegedOnly ? '; privileged only' : ''}${s.financialOnly ? '; financially significant sources only' : ''}${s.openFindingsOnly ? '; touched by an open finding only' : ''}`,
  );
  if (campaign.reviewers.catalog) {
    out.line(`  owners: ${campaign.reviewers.catalog.file} (sha256 ${campaign.reviewers.catalog.sha256})`);
  }
  out.line(`  ${campaign.items.length} grant(s) to review, due ${campaign.dueAt}`);
  const perReviewer = new Map<string, number>();
  for (const item of campaign.items)
    perReviewer.set(item.reviewer, (perReviewer.get(item.reviewer) ?? 0) + 1);
  for (const [reviewer, n] of [...perReviewer].sort((a, b) => a[0].localeCompare(b[0]))) {
    out.line(`    ${reviewer}: ${n}`);
  }
  for (const src of campaign.sources) {
    if (src.status === 'failed')
      out.line(`  warning: source ${src.id} failed in run ${pack.runId}: not reviewed`);
    else if (!src.complete)
      out.line(`  warning: source ${src.id} was collected incompletely: the population may lack grants`);
  }
  const o = outArg(paths);
  await printLinks(campaign, paths, opts.linkBase, undefined, out);
  await printOwnerLink(campaign, paths, opts.linkBase, out);
  out.line(`Serve:  npm run accessproof -- serve --out ${o}`);
  out.line(`List:   npm run accessproof -- review list ${campaign.id} --out ${o}`);
  out.line(
    `Decide: npm run accessproof -- review decide ${campaign.id} ITEM… --keep|--revoke --by EMAIL --out ${o}`,
  );
  return EXIT.ok;
}

export type { CampaignRequest };

/**
 * Start and store a campaign over the newest sealed pack of `paths` (core `createCampaign`, the
 * same code as the owner's web form), errors naming the CLI's flags.
 *
 * @example
 * const { campaign } = await createCampaign(localPaths('accessproof-out', undefined), { name, createdBy, dueAt, reviewers });
 */
export async function createCampaign(
  paths: LocalPaths,
  request: CampaignRequest,
  at = new Date(),
): Promise<{ campaign: Campaign; pack: PackInventory }> {
  if (!existsSync(paths.evidence)) {
    // Before the store is opened: a mistyped --out must not leave an empty reviews.db behind.
    throw new InputError('no sealed evidence pack here: run `accessproof scan --out DIR` first', {
      file: paths.out,
      field: '--out',
    });
  }
  const base = localCampaignBase(paths);
  return withStore(paths, true, (store) =>
    withCliFieldsAsync(() => createCampaignWith(base, store, request, at)),
  );
}

/**
 * `review decide`: record keep or revoke for items (or every item left to the reviewer).
 *
 * @example
 * await runReviewDecide({ out, campaign: id, items: ['3fa4c2d19b0e'], revoke: true, by: 'controller@example.com',
 *   note: 'left AP in August' }, consoleOutput());
 */
export async function runReviewDecide(opts: ReviewDecideOptions, out: Output): Promise<number> {
  if (Boolean(opts.keep) === Boolean(opts.revoke)) {
    throw new InputError('give exactly one of --keep or --revoke', { field: '--keep' });
  }
  const items = opts.items ?? [];
  if (opts.allRemaining && items.length > 0) {
    throw new InputError('give item ids or --all-remaining, not both', { field: '--all-remaining' });
  }
  if (!opts.allRemaining && items.length === 0) {
    throw new InputError('name the items to decide, or give --all-remaining', { field: 'ITEM' });
  }
  const outcome = opts.keep ? 'keep' : 'revoke';
  const paths = localPaths(opts.out, undefined);
  let count = 0;
  const campaign = await withStore(paths, false, (store) =>
    store.update(opts.campaign, (c) => {
      const ids = opts.allRemaining ? remainingItemIds(c, opts.by) : items;
      count = new Set(ids).size;
      if (ids.length === 0) return c;
      return decide(
        c,
        ids,
        { outcome, by: opts.by, ...(opts.note !== undefined ? { note: opts.note } : {}) },
        new Date(),
      );
    }),
  );
  const s = summarizeCampaign(campaign);
  out.line(`${campaign.id}: ${outcome} recorded for ${count} item(s) by ${opts.by.trim().toLowerCase()}`);
  out.line(
    `  ${s.decided} of ${s.items} decided (${s.kept} keep, ${s.revoked} revoke), ${s.undecided} undecided`,
  );
  return EXIT.ok;
}

/**
 * `review close`: close a campaign once every item is decided (or by force, with a rationale).
 *
 * @example
 * await runReviewClose({ out, campaign: id, by: 'controller@example.com' }, consoleOutput());
 */
export async function runReviewClose(opts: ReviewCloseOptions, out: Output): Promise<number> {
  if (opts.rationale !== undefined && !opts.force) {
    throw new InputError('--rationale explains a forced close: give --force too', { field: '--rationale' });
  }
  const paths = localPaths(opts.out, undefined);
  const campaign = await withStore(paths, false, (store) =>
    store.update(opts.campaign, (c) =>
      closeCampaign(
        c,
        {
          by: opts.by,
          ...(opts.force ? { force: true } : {}),
          ...(opts.rationale !== undefined ? { rationale: opts.rationale } : {}),
        },
        new Date(),
      ),
    ),
  );
  const s = summarizeCampaign(campaign);
  out.line(`${campaign.id} closed by ${campaign.closed?.by}`);
  out.line(
    `  ${s.decided} of ${s.items} decided (${s.kept} keep, ${s.revoked} revoke), ${s.undecided} undecided`,
  );
  if (campaign.closed?.forced) out.line(`  forced: ${campaign.closed.rationale}`);
  if (s.revoked > 0) {
    out.line(
      `  ${s.revoked} revocation(s) to carry out: a later complete scan of their sources proves each one`,
    );
  }
  out.line(`The next scan seals it into the evidence pack (reviews/${campaign.id}.jsonl).`);
  return EXIT.ok;
}

/**
 * `review list`: the campaigns, or one campaign's items with decisions and revocation status
 * (checked against the newest sealed pack).
 *
 * @example
 * await runReviewList({ out, campaign: id, reviewer: 'controller@example.com', undecided: true }, consoleOutput());
 */
export async function runReviewList(opts: ReviewListOptions, out: Output): Promise<number> {
  const paths = localPaths(opts.out, undefined);
  const now = new Date();
  if (!opts.campaign) {
    if (opts.reviewer !== undefined || opts.undecided) {
      throw new InputError("--reviewer and --undecided filter one campaign's items: name the campaign", {
        field: 'CAMPAIGN',
      });
    }
    const campaigns = existsSync(reviewsDbFile(paths.state))
      ? await withStore(paths, false, (store) => store.list())
      : [];
    if (opts.format === 'json') {
      for (const c of campaigns) out.line(JSON.stringify(campaignRecords(c, { asOf: now })[0]));
      return EXIT.ok;
    }
    out.line(
      `${'CAMPAIGN'.padEnd(44)}  ${'STATUS'.padEnd(14)}  ${'DUE'.padEnd(10)}  ${'DECIDED'.padEnd(11)}  REVOKE  NAME`,
    );
    for (const c of campaigns) {
      const s = summarizeCampaign(c, now);
      const status = s.overdue ? 'open, overdue' : c.closed?.forced ? 'closed, forced' : c.status;
      out.line(
        `${c.id.padEnd(44)}  ${status.padEnd(14)}  ${c.dueAt.slice(0, 10)}  ${`${s.decided}/${s.items}`.padEnd(11)}  ${String(s.revoked).padEnd(6)}  ${c.name}`,
      );
    }
    out.line(`${campaigns.length} campaign(s)`);
    return EXIT.ok;
  }

  const campaign = await withStore(paths, false, async (store) => {
    const c = await store.get(opts.campaign!);
    if (!c) throw new InputError(`no review campaign ${opts.campaign}`, { field: 'CAMPAIGN' });
    return c;
  });
  const revocations = await latestRevocations(campaign, paths);
  const reviewer = opts.reviewer?.trim().toLowerCase();
  const keep = (i: Campaign['items'][number]) =>
    (reviewer === undefined || i.reviewer === reviewer) && (!opts.undecided || !i.decision);
  if (opts.format === 'json') {
    const rows = campaignRecords(campaign, { asOf: now, ...(revocations ? { revocations } : {}) });
    for (const row of rows)
      if (row.record === 'campaign' || keep(campaign.items.find((i) => i.id === row.itemId)!))
        out.line(JSON.stringify(row));
    return EXIT.ok;
  }
  const s = summarizeCampaign(campaign, now, revocations);
  out.line(`${campaign.id}: ${campaign.name}`);
  out.line(
    `  ${campaign.status}${s.overdue ? ' (overdue)' : ''}, due ${campaign.dueAt}, base run ${campaign.baseRunId}, started ${campaign.createdAt} by ${campaign.createdBy}`,
  );
  out.line(
    `  ${s.decided} of ${s.items} decided (${s.kept} keep, ${s.revoked} revoke), ${s.undecided} undecided`,
  );
  if (campaign.closed) {
    out.line(
      `  closed ${campaign.closed.at} by ${campaign.closed.by}${campaign.closed.forced ? `, forced: ${campaign.closed.rationale}` : ''}`,
    );
  }
  if (revocations && s.revocations) {
    out.line(
      `  revocations checked in run ${revocations.runId}: ${s.revocations.revoked} done, ${s.revocations.stillPresent} still present, ${s.revocations.unverified} unverified`,
    );
  }
  const checks = new Map((revocations?.checks ?? []).map((c) => [c.itemId, c]));
  const width = Math.max(8, ...campaign.items.filter(keep).map((i) => i.reviewer.length));
  out.line(`${'ITEM'.padEnd(12)}  ${'DECISION'.padEnd(22)}  ${'REVIEWER'.padEnd(width)}  GRANT`);
  let shown = 0;
  for (const item of campaign.items) {
    if (!keep(item)) continue;
    shown++;
    const check = checks.get(item.id);
    const decision = item.decision
      ? `${item.decision.outcome}${check ? ` (${check.status})` : ''}`
      : 'undecided';
    out.line(
      `${item.id}  ${decision.padEnd(22)}  ${item.reviewer.padEnd(width)}  ${describeItem(item)}${item.privileged ? ' [privileged]' : ''}`,
    );
  }
  out.line(`${shown} item(s)`);
  return EXIT.ok;
}

/**
 * `review links`: print each reviewer's signed link again (e.g. after a delegation).
 *
 * @example
 * await runReviewLinks({ out, campaign: id }, consoleOutput());
 */
export async function runReviewLinks(opts: ReviewLinksOptions, out: Output): Promise<number> {
  const paths = localPaths(opts.out, undefined);
  const campaign = await withStore(paths, false, async (store) => {
    const c = await store.get(opts.campaign);
    if (!c) throw new InputError(`no review campaign ${opts.campaign}`, { field: 'CAMPAIGN' });
    return c;
  });
  if (campaign.status !== 'open') {
    throw new InputError(`campaign ${campaign.id} is closed: there is nothing left to decide`, {
      field: 'CAMPAIGN',
    });
  }
  await printLinks(campaign, paths, opts.linkBase, opts.reviewer?.trim().toLowerCase(), out);
  return EXIT.ok;
}

/** One signed link per reviewer with items; valid until the due date plus the grace days. */
async function printLinks(
  campaign: Campaign,
  paths: LocalPaths,
  linkBase: string | undefined,
  only: string | undefined,
  out: Output,
): Promise<void> {
  const base = parseLinkBase(linkBase ?? `http://127.0.0.1:${DEFAULT_SERVE_PORT}`);
  const key = await loadOrCreateReviewLinkKey(paths.state);
  const exp = linkExpiry(campaign);
  const reviewers = [...new Set(campaign.items.map((i) => i.reviewer))].sort();
  if (only !== undefined && !reviewers.includes(only)) {
    throw new InputError(`${only} reviews no item of campaign ${campaign.id}`, { field: '--reviewer' });
  }
  out.line(`  reviewer links (valid until ${exp}; each signs in one reviewer, keep them private):`);
  for (const reviewer of reviewers) {
    if (only !== undefined && reviewer !== only) continue;
    out.line(`    ${reviewer}: ${reviewerLink(key, base, campaign, reviewer)}`);
  }
}

/** `review start`: the owner's link to the new campaign, when its creator is an email. */
async function printOwnerLink(
  campaign: Campaign,
  paths: LocalPaths,
  linkBase: string | undefined,
  out: Output,
): Promise<void> {
  const owner = campaign.createdBy.trim().toLowerCase();
  if (!EMAIL.test(owner)) {
    out.line(
      `  owner link: start with --by EMAIL, or run \`review owner-link ${campaign.id} --owner EMAIL\`, to manage it in the web app`,
    );
    return;
  }
  const base = parseLinkBase(linkBase ?? `http://127.0.0.1:${DEFAULT_SERVE_PORT}`);
  const key = await loadOrCreateReviewLinkKey(paths.state);
  const link = ownerLink(key, base, { owner, campaign: campaign.id }, new Date());
  out.line(`  owner link (progress, reminders, close; valid until ${link.exp}; keep it private):`);
  out.line(`    ${owner}: ${link.url}`);
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface ReviewOwnerLinkOptions {
  out: string;
  /** The campaign the link manages; without it, the campaigns the owner starts (and starting new ones). */
  campaign?: string;
  owner: string;
  linkBase?: string;
  /** Days the link is valid (default 14). */
  days?: number | string;
}

/**
 * `review owner-link [CAMPAIGN] --owner EMAIL`: a campaign owner's signed link to the web app
 * (`/o/<token>`): progress per reviewer, reminders, close; without CAMPAIGN also "Start a campaign".
 *
 * @example
 * await runReviewOwnerLink({ out, campaign: id, owner: 'controller@example.com' }, consoleOutput());
 */
export async function runReviewOwnerLink(opts: ReviewOwnerLinkOptions, out: Output): Promise<number> {
  const owner = opts.owner.trim().toLowerCase();
  if (!EMAIL.test(owner) || owner.length > 320) {
    throw new InputError(`"${opts.owner}" is not an email address`, { field: '--owner' });
  }
  const days = Number(opts.days ?? OWNER_LINK_DAYS);
  if (!Number.isInteger(days) || days < 1 || days > 90) {
    throw new InputError(`${opts.days}: a whole number of days from 1 to 90`, { field: '--days' });
  }
  const base = parseLinkBase(opts.linkBase ?? `http://127.0.0.1:${DEFAULT_SERVE_PORT}`);
  const paths = localPaths(opts.out, undefined);
  if (opts.campaign !== undefined) {
    await withStore(paths, false, async (store) => {
      const c = await store.get(opts.campaign!);
      if (!c) throw new InputError(`no review campaign ${opts.campaign}`, { field: 'CAMPAIGN' });
    });
  } else if (!existsSync(paths.evidence)) {
    throw new InputError('no sealed evidence pack here: run `accessproof scan --out DIR` first', {
      file: paths.out,
      field: '--out',
    });
  }
  const key = await loadOrCreateReviewLinkKey(paths.state);
  const link = ownerLink(
    key,
    base,
    { owner, ...(opts.campaign !== undefined ? { campaign: opts.campaign } : {}) },
    new Date(),
    days,
  );
  out.line(
    opts.campaign !== undefined
      ? `Owner link for campaign ${opts.campaign} (valid until ${link.exp}; keep it private):`
      : `Owner link for ${owner}'s campaigns and starting new ones (valid until ${link.exp}; keep it private):`,
  );
  out.line(`  ${owner}: ${link.url}`);
  out.line(`Serve:  npm run accessproof -- serve --out ${outArg(paths)}`);
  return EXIT.ok;
}

export function parseLinkBase(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError(`"${text}" is not a URL such as http://127.0.0.1:8417`, { field: '--link-base' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(`"${text}": http or https only`, { field: '--link-base' });
  }
  return url.origin;
}

/** Revocations checked against the newest pack, when the campaign has any and a pack exists. */
async function latestRevocations(
  campaign: Campaign,
  paths: LocalPaths,
): Promise<RevocationReport | undefined> {
  if (!campaign.items.some((i) => i.decision?.outcome === 'revoke')) return undefined;
  if (!existsSync(paths.evidence)) return undefined;
  const pack = await readLatestPackInventory(paths.evidence);
  return verifyRevocations(campaign, pack.inventory, pack.runId);
}

export async function withStore<T>(
  paths: LocalPaths,
  create: boolean,
  fn: (store: SqliteReviewStore) => Promise<T>,
): Promise<T> {
  const file = reviewsDbFile(paths.state);
  if (!create && !existsSync(file)) {
    throw new InputError('no review campaigns here yet: start one with `accessproof review start`', {
      file: paths.out,
      field: '--out',
    });
  }
  const store = SqliteReviewStore.open({ file });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Core names option fields (`dueAt`, `reviewers.fallback`); a CLI user knows the flags. */
const FLAG_OF: [RegExp, string][] = [
  [/^name$/, '--name'],
  [/^dueAt$/, '--due'],
  [/^createdBy$/, '--by'],
  [/^scope\.sources/, '--source'],
  [/^scope\.entitlements/, '--entitlement'],
  [/^scope\.financialOnly/, '--financial-only'],
  [/^scope\.openFindingsOnly/, '--open-findings-only'],
  [/^scope$/, '--source / --entitlement / --privileged-only'],
  [/^reviewers\.default/, '--reviewer'],
  [/^reviewers\.bySource/, '--source-reviewer'],
  [/^reviewers\.byEntitlement/, '--entitlement-reviewer'],
  [/^reviewers\.fallback/, '--fallback-reviewer'],
  [/^reviewers$/, '--reviewer'],
];

export function withCliFields<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw cliFieldError(err);
  }
}

export async function withCliFieldsAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw cliFieldError(err);
  }
}

/** The error with the core's field named as the CLI flag (anything else unchanged). */
function cliFieldError(err: unknown): unknown {
  {
    const field = err instanceof InputError ? err.location.field : undefined;
    const flag = field === undefined ? undefined : FLAG_OF.find(([re]) => re.test(field))?.[1];
    if (!(err instanceof InputError) || field === undefined || flag === undefined) return err;
    const raw = err.message.startsWith(`${field}: `) ? err.message.slice(field.length + 2) : err.message;
    return new InputError(raw, { ...err.location, field: flag });
  }
}

export function osUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

export function outArg(paths: LocalPaths): string {
  return relative(process.cwd(), paths.out) || '.';
}
