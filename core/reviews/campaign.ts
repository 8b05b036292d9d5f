/**
 * Starting a campaign: pick the grants in scope from a sealed run's inventory and give each one
 * the reviewer who must answer for it. Pure: the inventory and the time arrive as arguments.
 */
import * as z from 'zod';
import { normalizeEmail } from '../correlate';
import { InputError } from '../errors';
import { compileGlob, type StringMatcher } from '../glob';
import type { Inventory } from '../inventory';
import type { Entitlement, Grant, Principal } from '../model';
import { parseField, toDate } from './input';
import {
  CAMPAIGN_ID_PATTERN,
  type Campaign,
  type CampaignSource,
  campaignIdFor,
  type ItemContext,
  type ItemFinding,
  populationSha256,
  type ReviewerAssignment,
  type ReviewItem,
  reviewItemId,
} from './model';
import { isoDateOrTime, reviewerEmail } from './schema';

/** What a campaign needs of an inventory (`core/inventory.ts`): records, grants, sources, identities. */
export type ReviewInventory = Pick<
  Inventory,
  'principals' | 'entitlements' | 'grantsByPrincipal' | 'sources' | 'identityOf'
> &
  Partial<Pick<Inventory, 'directory'>>;

/** A campaign bigger than this is not something people can review; narrow the scope instead. */
export const DEFAULT_MAX_ITEMS = 100_000;

export interface StartCampaignOptions {
  name: string;
  /** Who starts the campaign (an email or a user name). */
  createdBy: string;
  /** ISO 8601 date or date-time, after `at`. */
  dueAt: string;
  /** The sealed run the inventory comes from. */
  base: { runId: string; manifestSha256?: string };
  scope?: {
    sources?: readonly string[];
    entitlements?: readonly string[];
    privilegedOnly?: boolean;
    /** Only sources in `financialSources` (issue 17). */
    financialOnly?: boolean;
    /** Only grants an open finding in `findings` touches (issue 17). */
    openFindingsOnly?: boolean;
  };
  /**
   * The base run's financially significant sources (its pack's policy.json); undefined when the
   * pack does not record them — then `financialOnly` is refused rather than guessed.
   */
  financialSources?: readonly string[];
  /** At least one of `default`, `bySource`, `byEntitlement` must cover every grant in scope. */
  reviewers: {
    default?: string;
    bySource?: Readonly<Record<string, string>>;
    byEntitlement?: readonly { pattern: string; reviewer: string; source?: string }[];
    /** Reviews the grants whose assigned reviewer holds them, and those no other rule covers. */
    fallback?: string;
    /** The holder's HR manager reviews what no entitlement owner covers, before source owner and default. */
    managers?: boolean;
    /** The owners catalog the entitlement and source owners came from. */
    catalog?: { file: string; sha256: string };
  };
  /** Defaults to `campaignIdFor(name, at)`. */
  id?: string;
  maxItems?: number;
  /**
   * Open findings of the base run: each item records those naming its principal (and its
   * entitlement, when the finding names grants), so the reviewer sees why the grant matters.
   */
  findings?: readonly ContextFinding[];
  /** Earlier campaigns: each item records the newest earlier answer for the same grant. */
  previous?: readonly Campaign[];
}

/** What an item's context needs of a finding (`core/findings/model.ts` Finding fits). */
export interface ContextFinding {
  id: string;
  rule: string;
  severity: string;
  title: string;
  status: string;
  subject: { principals: readonly string[] };
  evidence: readonly { kind: string; principal?: string; entitlement?: string; function?: string }[];
}

const text = (max: number) => z.string().trim().min(1, 'is required').max(max, `is longer than ${max}`);

/**
 * Build a campaign over every grant of `inventory` in scope. Throws `InputError` naming the field
 * when a source is unknown or failed, the due date is not in the future, a grant has no reviewer,
 * a reviewer would review their own access and no fallback reviewer is given, or nothing matches.
 *
 * @example
 * const campaign = startCampaign(inventory, {
 *   name: 'Q4 2026 privileged access', createdBy: 'controller@example.com', dueAt: '2026-12-31',
 *   base: { runId: '20261001T000000Z-ab12cd', manifestSha256 },
 *   scope: { sources: ['netsuite'], privilegedOnly: true },
 *   reviewers: { default: 'controller@example.com', fallback: 'cfo@example.com' },
 * }, new Date('2026-10-02T09:00:00Z'));
 */
export function startCampaign(inventory: ReviewInventory, options: StartCampaignOptions, at: Date): Campaign {
  if (Number.isNaN(at.getTime())) throw new RangeError('startCampaign: at is not a valid date');
  const name = parseField(text(200), options.name, 'name', 'campaign name');
  const createdBy = parseField(text(200), options.createdBy, 'createdBy', 'campaign creator');
  const dueText = parseField(isoDateOrTime, options.dueAt, 'dueAt', 'due date');
  const due = toDate(dueText);
  if (due.getTime() <= at.getTime()) {
    throw new InputError(`due date ${dueText} is not after ${at.toISOString()}`, { field: 'dueAt' });
  }
  const baseRunId = parseField(text(128), options.base.runId, 'base.runId', 'base run');
  const id = options.id ?? campaignIdFor(name, at);
  if (!CAMPAIGN_ID_PATTERN.test(id)) {
    throw new InputError(`campaign id "${id}": letters, digits, ".", "_" or "-", at most 128`, {
      field: 'id',
    });
  }

  const known = [...inventory.sources.keys()].sort();
  const checkSource = (sourceId: string, field: string) => {
    const info = inventory.sources.get(sourceId);
    if (!info) {
      throw new InputError(
        `unknown source "${sourceId}" in run ${baseRunId} (sources: ${known.join(', ')})`,
        {
          field,
        },
      );
    }
    if (info.status === 'failed') {
      throw new InputError(
        `source "${sourceId}" failed in run ${baseRunId}${info.error ? ` (${info.error})` : ''}: its grants are unknown, so they cannot be reviewed`,
        { field },
      );
    }
  };
  const scopeSources = [...new Set(options.scope?.sources ?? [])].sort();
  for (const s of scopeSources) checkSource(s, 'scope.sources');
  const scopeGlobs = [...new Set(options.scope?.entitlements ?? [])].map((p) =>
    parseField(text(500), p, 'scope.entitlements', 'entitlement glob'),
  );
  const privilegedOnly = options.scope?.privilegedOnly === true;
  const financialOnly = options.scope?.financialOnly === true;
  const openFindingsOnly = options.scope?.openFindingsOnly === true;
  if (financialOnly && options.financialSources === undefined) {
    throw new InputError(
      `run ${baseRunId}'s pack does not record which sources are financially significant (no policy.json): scope by source instead`,
      { field: 'scope.financialOnly' },
    );
  }
  if (openFindingsOnly && options.findings === undefined) {
    throw new InputError('no findings are known for the base run: cannot scope to open findings', {
      field: 'scope.openFindingsOnly',
    });
  }
  const financial = new Set(options.financialSources ?? []);

  const reviewers = parseReviewers(options.reviewers);
  for (const s of Object.keys(reviewers.bySource)) checkSource(s, `reviewers.bySource.${s}`);
  const assign = reviewerResolver(reviewers);

  const inScope = new Set(scopeSources);
  const matchers = scopeGlobs.map((p) => compileGlob(p, { caseInsensitive: true }));
  const items: ReviewItem[] = [];
  const seen = new Map<string, string>();
  const missing: ReviewItem[] = [];
  const selfReview: ReviewItem[] = [];
  const maxItems = options.maxItems ?? DEFAULT_MAX_ITEMS;
  const findingIndex = indexFindings(options.findings ?? []);
  const previousIndex = indexPrevious(options.previous ?? []);

  for (const [principalUid, grants] of inventory.grantsByPrincipal) {
    const principal = inventory.principals.get(principalUid);
    for (const grant of grants) {
      const entitlement = inventory.entitlements.get(grant.entitlement);
      const sourceId = principal?.sourceId ?? entitlement?.sourceId;
      const system = principal?.system ?? entitlement?.system;
      // A grant naming neither a known principal nor a known entitlement belongs to no source.
      if (sourceId === undefined || system === undefined) continue;
      if (inScope.size > 0 && !inScope.has(sourceId)) continue;
      if (privilegedOnly && entitlement?.privileged !== true) continue;
      if (financialOnly && !financial.has(sourceId)) continue;
      if (matchers.length > 0 && !matchesAny(matchers, entitlement, grant.entitlement)) continue;
      const id = reviewItemId(grant);
      if (openFindingsOnly && !touchedByFinding(findingIndex, grant.principal, grant.entitlement)) continue;
      const key = `${grant.principal}\u0000${grant.entitlement}\u0000${grant.path.join('\u0001')}`;
      const before = seen.get(id);
      if (before === key) continue; // the same grant recorded twice
      // 48 bits: a collision in one campaign is ~1e-5 at 100k items, but must not hide a grant.
      if (before !== undefined) throw new Error(`review item id ${id} names two grants; report this`);
      seen.set(id, key);
      if (items.length >= maxItems) {
        throw new InputError(
          `the scope holds more than ${maxItems} grants: narrow it with sources, entitlement globs or privileged-only`,
          { field: 'scope' },
        );
      }
      const item = makeItem(inventory, id, sourceId, system, principal, entitlement, grant);
      const context = itemContext(inventory, principal, item, findingIndex, previousIndex);
      if (context) item.context = context;
      const chosen = assign(item, entitlement);
      if (!chosen) missing.push(item);
      else {
        item.reviewer = chosen.reviewer;
        item.reviewerRule = chosen.rule;
        if (chosen.self) selfReview.push(item);
      }
      items.push(item);
    }
  }

  if (missing.length > 0) {
    throw new InputError(
      `no reviewer for ${missing.length} grant(s), e.g. ${describeItem(missing[0]!)}: give a default reviewer or one for source "${missing[0]!.sourceId}"`,
      { field: 'reviewers' },
    );
  }
  if (selfReview.length > 0) {
    const first = selfReview[0]!;
    throw new InputError(
      `${first.reviewer} would review their own access (${selfReview.length} grant(s), e.g. ${describeItem(first)}): a reviewer may not certify their own access, so give a fallback reviewer who does not hold it`,
      { field: 'reviewers.fallback' },
    );
  }
  if (items.length === 0) {
    throw new InputError(`the scope matches no grant in run ${baseRunId}`, { field: 'scope' });
  }
  items.sort(compareItems);

  const counts = new Map<string, number>();
  for (const item of items) counts.set(item.sourceId, (counts.get(item.sourceId) ?? 0) + 1);
  const sources: CampaignSource[] = [];
  for (const info of [...inventory.sources.values()].sort((a, b) => cmp(a.sourceId, b.sourceId))) {
    if (inScope.size > 0 && !inScope.has(info.sourceId)) continue;
    const s: CampaignSource = {
      id: info.sourceId,
      system: info.system,
      status: info.status,
      complete: info.complete,
      items: counts.get(info.sourceId) ?? 0,
    };
    if (info.collectedAt !== undefined) s.collectedAt = info.collectedAt;
    sources.push(s);
  }

  const createdAt = at.toISOString();
  const reviewerCount = new Set(items.map((i) => i.reviewer)).size;
  const campaign: Campaign = {
    id,
    name,
    scope: {
      sources: scopeSources,
      entitlements: scopeGlobs,
      privilegedOnly,
      ...(financialOnly ? { financialOnly } : {}),
      ...(openFindingsOnly ? { openFindingsOnly } : {}),
    },
    reviewers,
    createdAt,
    createdBy,
    dueAt: due.toISOString(),
    status: 'open',
    baseRunId,
    populationSha256: populationSha256(items),
    sources,
    items,
    history: [
      {
        at: createdAt,
        event: 'started',
        by: createdBy,
        note: `${items.length} grant(s) for ${reviewerCount} reviewer(s) from run ${baseRunId}`,
      },
    ],
  };
  if (options.base.manifestSha256 !== undefined) campaign.baseManifestSha256 = options.base.manifestSha256;
  const managers = reviewerManagers(inventory, [
    ...new Set([...items.map((i) => i.reviewer), ...(reviewers.fallback ? [reviewers.fallback] : [])]),
  ]);
  if (Object.keys(managers).length) campaign.reviewerManagers = managers;
  return campaign;
}

/** Each reviewer's HR manager, when exactly one HR person has the reviewer's email and names one. */
function reviewerManagers(inventory: ReviewInventory, reviewers: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of [...reviewers].sort()) {
    const people = inventory.directory?.peopleWithEmail(r) ?? [];
    if (people.length !== 1) continue;
    const manager = normalizeEmail(people[0]!.managerEmail);
    if (manager !== undefined && EMAIL_SHAPE.test(manager) && manager !== r) out[r] = manager;
  }
  return out;
}

function parseReviewers(input: StartCampaignOptions['reviewers']): ReviewerAssignment {
  const out: ReviewerAssignment = { bySource: {}, byEntitlement: [] };
  if (input.default !== undefined) {
    out.default = parseField(reviewerEmail, input.default, 'reviewers.default', 'reviewer');
  }
  for (const [source, email] of Object.entries(input.bySource ?? {})) {
    out.bySource[source] = parseField(reviewerEmail, email, `reviewers.bySource.${source}`, 'reviewer');
  }
  for (const [i, rule] of (input.byEntitlement ?? []).entries()) {
    if (rule.source !== undefined) {
      out.byEntitlement.push({
        pattern: parseField(
          text(500),
          rule.pattern,
          `reviewers.byEntitlement[${i}].pattern`,
          'entitlement glob',
        ),
        reviewer: parseField(
          reviewerEmail,
          rule.reviewer,
          `reviewers.byEntitlement[${i}].reviewer`,
          'reviewer',
        ),
        source: parseField(text(128), rule.source, `reviewers.byEntitlement[${i}].source`, 'source'),
      });
      continue;
    }
    out.byEntitlement.push({
      pattern: parseField(
        text(500),
        rule.pattern,
        `reviewers.byEntitlement[${i}].pattern`,
        'entitlement glob',
      ),
      reviewer: parseField(
        reviewerEmail,
        rule.reviewer,
        `reviewers.byEntitlement[${i}].reviewer`,
        'reviewer',
      ),
    });
  }
  if (input.fallback !== undefined) {
    out.fallback = parseField(reviewerEmail, input.fallback, 'reviewers.fallback', 'fallback reviewer');
  }
  if (input.managers === true) out.managers = true;
  if (input.catalog !== undefined) out.catalog = { file: input.catalog.file, sha256: input.catalog.sha256 };
  if (
    !out.default &&
    !out.fallback &&
    !out.managers &&
    out.byEntitlement.length === 0 &&
    Object.keys(out.bySource).length === 0
  ) {
    throw new InputError('name at least one reviewer (a default, or one per source or entitlement)', {
      field: 'reviewers',
    });
  }
  return out;
}

/** `self`: the only reviewer left holds the grant (an error once every grant is assigned). */
type Resolved = { reviewer: string; rule: string; self?: true } | undefined;

/** First matching entitlement glob, then the source's reviewer, then the default; never the holder. */
function reviewerResolver(r: ReviewerAssignment): (item: ReviewItem, e: Entitlement | undefined) => Resolved {
  const globs = r.byEntitlement.map((rule) => ({
    ...rule,
    match: compileGlob(rule.pattern, { caseInsensitive: true }),
  }));
  return (item, e) => {
    let chosen: { reviewer: string; rule: string } | undefined;
    const byGlob = globs.find(
      (g) =>
        (g.source === undefined || g.source === item.sourceId) && matchesAny([g.match], e, item.entitlement),
    );
    const manager = item.context?.manager;
    if (byGlob) chosen = { reviewer: byGlob.reviewer, rule: `entitlement:${byGlob.pattern}` };
    else if (r.managers && manager !== undefined && !item.holderEmails.includes(manager))
      chosen = { reviewer: manager, rule: 'manager' };
    else if (r.bySource[item.sourceId])
      chosen = { reviewer: r.bySource[item.sourceId]!, rule: `source:${item.sourceId}` };
    else if (r.default) chosen = { reviewer: r.default, rule: 'default' };
    else if (r.fallback) chosen = { reviewer: r.fallback, rule: 'fallback' };
    if (!chosen) return undefined;
    if (!item.holderEmails.includes(chosen.reviewer)) return chosen;
    // The holder's HR manager answers for the reviewer's own access before the fallback does.
    if (manager !== undefined && !item.holderEmails.includes(manager)) {
      return { reviewer: manager, rule: `manager:${chosen.rule}` };
    }
    if (r.fallback && !item.holderEmails.includes(r.fallback)) {
      return { reviewer: r.fallback, rule: `fallback:${chosen.rule}` };
    }
    return { ...chosen, self: true };
  };
}

function touchedByFinding(index: FindingIndex, principal: string, entitlement: string): boolean {
  // As in the item's context: a finding about grants touches the grants it names; one about the principal, all.
  return (index.get(principal) ?? []).some(
    (f) => f.entitlements.size === 0 || f.entitlements.has(entitlement),
  );
}

function matchesAny(matchers: StringMatcher[], e: Entitlement | undefined, uid: string): boolean {
  return matchers.some((m) => m(uid) || (e !== undefined && (m(e.name) || m(e.nativeId))));
}

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Every email that names the holder: the identity's, each of its principals', an email-shaped user name. */
function holderEmails(inventory: ReviewInventory, principalUid: string, principal: Principal | undefined) {
  const out = new Set<string>();
  const add = (v: string | undefined) => {
    const e = normalizeEmail(v);
    if (e !== undefined && EMAIL_SHAPE.test(e)) out.add(e);
  };
  const identity = inventory.identityOf(principalUid);
  add(identity?.email);
  for (const uid of identity?.principals ?? [principalUid]) {
    const p = uid === principalUid ? principal : inventory.principals.get(uid);
    add(p?.email);
    add(p?.name);
  }
  add(principal?.email);
  add(principal?.name);
  return [...out].sort();
}

function makeItem(
  inventory: ReviewInventory,
  id: string,
  sourceId: string,
  system: ReviewItem['system'],
  principal: Principal | undefined,
  entitlement: Entitlement | undefined,
  grant: Grant,
): ReviewItem {
  const identity = inventory.identityOf(grant.principal);
  const item: ReviewItem = {
    id,
    sourceId,
    system,
    identity: identity?.id ?? `principal:${grant.principal}`,
    identityName: identity?.name ?? principal?.name ?? grant.principal,
    holderEmails: holderEmails(inventory, grant.principal, principal),
    principal: grant.principal,
    principalName: principal?.name ?? grant.principal,
    principalKind: principal?.kind ?? 'human',
    principalType: principal?.type ?? 'unknown',
    principalStatus: principal?.status ?? 'unknown',
    entitlement: grant.entitlement,
    entitlementName: entitlement?.name ?? grant.entitlement,
    entitlementType: entitlement?.type ?? 'unknown',
    privileged: entitlement?.privileged === true,
    path: [...grant.path],
    pathNames: grant.path.map((uid) => inventory.entitlements.get(uid)?.name ?? uid),
    reviewer: '',
    reviewerRule: '',
  };
  if (grant.grantedAt !== undefined) item.grantedAt = grant.grantedAt;
  return item;
}

/** `U10002 → AP Payment Release (via …) on netsuite` */
export function describeItem(item: ReviewItem): string {
  const via = item.pathNames.length ? ` via ${item.pathNames.join(' > ')}` : '';
  return `${item.principalName} → ${item.entitlementName}${via} on ${item.sourceId}`;
}

function compareItems(a: ReviewItem, b: ReviewItem): number {
  return (
    cmp(a.sourceId, b.sourceId) ||
    cmp(a.principal, b.principal) ||
    cmp(a.entitlement, b.entitlement) ||
    cmp(a.path.join('\u0001'), b.path.join('\u0001'))
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

type FindingIndex = Map<
  string,
  { finding: ContextFinding; entitlements: Set<string>; functions: Map<string, string[]> }[]
>;

function indexFindings(findings: readonly ContextFinding[]): FindingIndex {
  const out: FindingIndex = new Map();
  for (const f of findings) {
    if (f.status !== 'open' && f.status !== 'reopened') continue;
    const entitlements = new Set<string>();
    const functions = new Map<string, string[]>();
    for (const e of f.evidence) {
      if (e.kind !== 'grant' || e.entitlement === undefined) continue;
      entitlements.add(e.entitlement);
      if (e.function !== undefined)
        functions.set(e.entitlement, [...(functions.get(e.entitlement) ?? []), e.function]);
    }
    for (const p of new Set(f.subject.principals)) {
      const list = out.get(p) ?? [];
      list.push({ finding: f, entitlements, functions });
      out.set(p, list);
    }
  }
  return out;
}

type PreviousIndex = Map<string, NonNullable<ItemContext['previous']>>;

/** Newest earlier answer per item id: campaigns by creation time, the later one wins. */
function indexPrevious(campaigns: readonly Campaign[]): PreviousIndex {
  const out: PreviousIndex = new Map();
  const ordered = [...campaigns].sort((a, b) => cmp(a.createdAt, b.createdAt) || cmp(a.id, b.id));
  for (const c of ordered) {
    for (const item of c.items) {
      if (!item.decision) continue;
      const prev: NonNullable<ItemContext['previous']> = {
        campaignId: c.id,
        outcome: item.decision.outcome,
        by: item.decision.by,
        at: item.decision.at,
      };
      if (item.decision.note !== undefined) prev.note = item.decision.note;
      out.set(item.id, prev);
    }
  }
  return out;
}

function itemContext(
  inventory: ReviewInventory,
  principal: Principal | undefined,
  item: ReviewItem,
  findings: FindingIndex,
  previous: PreviousIndex,
): ItemContext | undefined {
  const ctx: ItemContext = {};
  const person = inventory.directory?.matchOf(item.principal)?.person;
  if (person) {
    ctx.hrStatus = person.status;
    if (person.status === 'terminated') ctx.leaver = true;
    if (person.department) ctx.department = person.department;
    const manager = normalizeEmail(person.managerEmail);
    if (manager !== undefined && EMAIL_SHAPE.test(manager)) ctx.manager = manager;
    if (person.title) ctx.title = person.title;
  }
  if (principal?.lastActivity) {
    ctx.lastUsedAt = principal.lastActivity.at;
    ctx.lastUsedSignal = principal.lastActivity.source;
  }
  const touching: ItemFinding[] = [];
  const functions = new Set<string>();
  for (const { finding, entitlements, functions: fns } of findings.get(item.principal) ?? []) {
    // A finding about grants touches only the grants it names; one about the principal, all of them.
    if (entitlements.size > 0 && !entitlements.has(item.entitlement)) continue;
    const f: ItemFinding = {
      id: finding.id,
      rule: finding.rule,
      severity: finding.severity,
      title: finding.title,
    };
    const own = fns.get(item.entitlement);
    if (own?.length) {
      f.functions = [...new Set(own)].sort();
      for (const fn of own) functions.add(fn);
    }
    touching.push(f);
  }
  if (touching.length) ctx.findings = touching.sort((a, b) => cmp(a.rule, b.rule) || cmp(a.id, b.id));
  if (functions.size) ctx.functions = [...functions].sort();
  const prev = previous.get(item.id);
  if (prev) ctx.previous = prev;
  return Object.keys(ctx).length ? ctx : undefined;
}
