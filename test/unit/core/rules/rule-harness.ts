/** Shared arrangement for rule tests: a fixed clock, day arithmetic and a context over an inventory. */
import type { Policy, Thresholds } from '../../../../core/config';
import type { Entitlement, Grant, Person, PersonLink, Principal } from '../../../../core/model';
import { createRuleContext, type RuleContext } from '../../../../core/rules';
import { buildInventory, makePolicyConfig } from '../../../support/factories';

export const AS_OF = new Date('2026-10-01T00:00:00.000Z');
export const DAY = 86_400_000;

/** The ISO time `days` days (plus `ms` milliseconds) before AS_OF. */
export function daysAgo(days: number, ms = 0): string {
  return new Date(AS_OF.getTime() - days * DAY - ms).toISOString();
}

export function contextFor(
  records: {
    principals?: Principal[];
    entitlements?: Entitlement[];
    grants?: Grant[];
    people?: Person[];
    links?: PersonLink[];
    hr?: 'complete' | 'incomplete' | 'failed';
  },
  options: {
    policy?: Partial<Policy>;
    financiallySignificant?: string[];
    sourcePolicy?: Record<string, Thresholds>;
  } = {},
): RuleContext {
  const significant = new Set(options.financiallySignificant ?? []);
  const inv = buildInventory({ ...records, financiallySignificant: [...significant] });
  return createRuleContext(inv, {
    asOf: AS_OF,
    policy: makePolicyConfig(options.policy),
    sod: undefined,
    financiallySignificant: (id) => significant.has(id),
    sourcePolicy: (id) => options.sourcePolicy?.[id],
  });
}
