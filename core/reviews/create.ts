/**
 * Starting a campaign from a request (issue 17): the one code path behind `review start` and the
 * owner's "Start a campaign" form. The population comes from the newest sealed pack and the
 * context from the open findings through a port (locally the evidence folder and findings.db);
 * earlier campaigns of the store give each item its previous answer. No I/O here.
 */
import { InputError } from '../errors';
import { type ContextFinding, type StartCampaignOptions, startCampaign } from './campaign';
import type { Campaign } from './model';
import type { PackInventory } from './pack-inventory';
import type { ReviewStore } from './repository';

/** What a campaign is drawn from. */
export interface CampaignBasePort {
  /** The newest sealed pack's inventory; `InputError` when there is none yet. */
  latestPack(): Promise<PackInventory>;
  /** The open (and reopened) findings: item context, and the open-findings scope. */
  openFindings(): Promise<readonly ContextFinding[]>;
}

/** What the CLI and the owner's web form give to start a campaign over the newest pack. */
export type CampaignRequest = Omit<
  StartCampaignOptions,
  'base' | 'findings' | 'previous' | 'financialSources'
>;

/**
 * Start a campaign over the newest sealed pack and store it.
 *
 * @example
 * const { campaign } = await createCampaign(base, store, { name, createdBy, dueAt, reviewers }, new Date());
 */
export async function createCampaign(
  base: CampaignBasePort,
  store: ReviewStore,
  request: CampaignRequest,
  at: Date,
): Promise<{ campaign: Campaign; pack: PackInventory }> {
  const pack = await base.latestPack();
  const findings = await base.openFindings();
  const previous = await store.list();
  const campaign = startCampaign(
    pack.inventory,
    {
      ...request,
      base: { runId: pack.runId, manifestSha256: pack.manifestSha256 },
      findings,
      previous,
      ...(pack.financialSources ? { financialSources: pack.financialSources } : {}),
    },
    at,
  );
  await store.create(campaign);
  return { campaign, pack };
}

/**
 * `LEFT=RIGHT` pairs (`SOURCE=EMAIL`, `GLOB=EMAIL`) as the CLI flags and the web form's lines
 * give them. `split` says which `=` divides: the first (a source id has none) or the last (a glob
 * may hold one). `InputError` naming `field` for a malformed pair.
 *
 * @example
 * parsePairs(['aws-prod=cloud@example.com'], '--source-reviewer', 'SOURCE=EMAIL', 'first'); // [['aws-prod', 'cloud@example.com']]
 */
export function parsePairs(
  pairs: readonly string[],
  field: string,
  shape: string,
  split: 'first' | 'last',
): [string, string][] {
  return pairs.map((pair) => {
    const at = split === 'first' ? pair.indexOf('=') : pair.lastIndexOf('=');
    const left = pair.slice(0, Math.max(at, 0)).trim();
    const right = pair.slice(at + 1).trim();
    if (at <= 0 || !left || !right) throw new InputError(`"${pair}" is not ${shape}`, { field });
    return [left, right];
  });
}

/** The reviewer options of a request from the pairs: the CLI's flags and the form's fields alike. */
export function reviewerOptions(input: {
  reviewer?: string;
  /** `SOURCE=EMAIL` (already checked with `parsePairs`). */
  bySource: readonly [string, string][];
  /** `GLOB=EMAIL`, the first matching wins. */
  byEntitlement: readonly [string, string][];
  fallback?: string;
  managers?: boolean;
}): StartCampaignOptions['reviewers'] {
  const bySource: Record<string, string> = {};
  for (const [source, email] of input.bySource) bySource[source] = email;
  return {
    ...(input.reviewer !== undefined ? { default: input.reviewer } : {}),
    bySource,
    byEntitlement: input.byEntitlement.map(([pattern, reviewer]) => ({ pattern, reviewer })),
    ...(input.fallback !== undefined ? { fallback: input.fallback } : {}),
    ...(input.managers ? { managers: true } : {}),
  };
}
