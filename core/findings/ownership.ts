/**
 * Ownership of a finding's remediation, changed outside a run (`accessproof findings owner …`).
 */
import { InputError } from '../errors';
import type { Finding } from './model';

/**
 * Record who owns the remediation of a finding (outside a run). Stored with `putFinding`.
 *
 * @example
 * const owned = assignOwner(finding, 'ap-lead@example.com', 'ciso@example.com', new Date());
 */
export function assignOwner(finding: Finding, owner: string, by: string, at: Date): Finding {
  const o = owner.trim();
  if (!o) throw new InputError(`owner for finding ${finding.id} is empty`, { field: 'owner' });
  return {
    ...finding,
    owner: o,
    history: [
      ...finding.history,
      { at: at.toISOString(), event: 'owner-set', by, note: `owner ${finding.owner ?? '(none)'} → ${o}` },
    ],
  };
}
