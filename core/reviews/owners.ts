/**
 * The entitlement-owner catalog (`owners.yaml`, issue 17): who answers for which entitlements and
 * sources in a campaign. Checked with zod; a mistake names `owners.yaml:line (field)`.
 *
 * ```yaml
 * entitlements:                 # first match wins
 *   - match: "AP *"             # glob on the entitlement's name, native id or uid (case-insensitive)
 *     source: netsuite          # optional: only this source's entitlements
 *     owner: ap.owner@example.com
 * sources:                      # the source owner: after the HR manager, before the default
 *   netsuite: erp.owner@example.com
 * fallback: cfo@example.com     # what nobody else covers, and a reviewer's own access
 * managers: true                # the holder's HR manager before the source owner (default true)
 * ```
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { parseYamlWithSchema } from '../config-text';
import type { StartCampaignOptions } from './campaign';
import { reviewerEmail } from './schema';

const glob = z.string().trim().min(1, 'is required').max(500, 'is longer than 500');

export const ownersSchema = z.strictObject({
  entitlements: z
    .array(
      z.strictObject({
        match: glob,
        source: z.string().trim().min(1).max(128).optional(),
        owner: reviewerEmail,
      }),
    )
    .max(10_000)
    .default([]),
  sources: z.record(z.string().min(1).max(128), reviewerEmail).default({}),
  fallback: reviewerEmail.optional(),
  managers: z.boolean().default(true),
});

export type OwnersCatalog = z.output<typeof ownersSchema> & { file: string; sha256: string };

/**
 * @example
 * const catalog = parseOwnersCatalog(readFileSync('owners.yaml', 'utf8'), 'owners.yaml');
 */
export function parseOwnersCatalog(text: string, file: string): OwnersCatalog {
  const parsed = parseYamlWithSchema(text, file, ownersSchema);
  return { ...parsed, file, sha256: createHash('sha256').update(text, 'utf8').digest('hex') };
}

/**
 * The campaign's reviewer options with the catalog under them: options given explicitly (CLI
 * flags, the web form) come first; the catalog's entitlement owners, source owners, fallback and
 * `managers` fill in.
 *
 * @example
 * const reviewers = withCatalog({ default: 'controller@example.com' }, catalog);
 */
export function withCatalog(
  reviewers: StartCampaignOptions['reviewers'],
  catalog: OwnersCatalog | undefined,
): StartCampaignOptions['reviewers'] {
  if (!catalog) return reviewers;
  const out: StartCampaignOptions['reviewers'] = {
    ...reviewers,
    bySource: { ...catalog.sources, ...(reviewers.bySource ?? {}) },
    byEntitlement: [
      ...(reviewers.byEntitlement ?? []),
      ...catalog.entitlements.map((e) => ({
        pattern: e.match,
        reviewer: e.owner,
        ...(e.source !== undefined ? { source: e.source } : {}),
      })),
    ],
    managers: reviewers.managers ?? catalog.managers,
    catalog: { file: catalog.file, sha256: catalog.sha256 },
  };
  const fallback = reviewers.fallback ?? catalog.fallback;
  if (fallback !== undefined) out.fallback = fallback;
  return out;
}
