/** Control: every non-human identity has a named, accountable owner. */
import type { FindingDraft } from '../findings/model';
import type { Principal } from '../model';
import {
  exposureEvidence,
  exposureOf,
  label,
  PLATFORM_OWNED_TAG,
  PLATFORM_OWNED_TYPES,
  principalDraft,
  type RuleContext,
  severityFor,
} from './context';

/** Owner entries that name someone (blank strings from an export do not). */
export function ownersOf(p: Principal): string[] {
  return p.owners.map((o) => o.trim()).filter((o) => o.length > 0);
}

/**
 * NHI-NO-OWNER: an active non-human principal with no owner. Skipped where the platform owns the
 * identity: service-linked roles, managed identities (owned by their Azure resource) and
 * principals a connector tagged `accessproof:platform-owned: true` (e.g. Microsoft first-party
 * service principals). Severity `medium` when privileged or in a financially significant source,
 * else `low`.
 *
 * @example
 * nhiNoOwner(principal, ctx); // [] or [draft]
 */
export function nhiNoOwner(p: Principal, ctx: RuleContext): FindingDraft[] {
  if (p.status !== 'active' || p.kind !== 'nonhuman') return [];
  if (PLATFORM_OWNED_TYPES.has(p.type) || p.tags[PLATFORM_OWNED_TAG] === 'true') return [];
  if (ownersOf(p).length > 0) return [];
  const exposure = exposureOf(p, ctx);
  return [
    principalDraft('NHI-NO-OWNER', p, ctx, {
      severity: severityFor(exposure, 'medium', 'low'),
      title: `Non-human identity ${label(p)} has no owner`,
      detail: { type: p.type, privileged: exposure.privileged.length > 0 },
      evidence: [
        {
          kind: 'attribute',
          principal: p.uid,
          signal: 'owners',
          text: `${p.type} ${p.name} in ${p.sourceId} has no owner recorded`,
        },
        ...exposureEvidence(p, exposure),
      ],
    }),
  ];
}
