/**
 * The one way a finding names the person or account it is about (issue 16): titles, tables, the
 * report, OCSF and Security Hub all use it, so "Murphy, Vera", an email and "Vera Murphy" no longer
 * appear for the same identity in different places.
 */
import type { Principal } from '../model';
import type { Finding } from './model';

/** Systems whose names are people's names as the organisation writes them, most trusted first. */
const NAME_AUTHORITIES: readonly string[] = ['hr', 'entra'];

/**
 * HR's name for the identity, else the directory's (Entra displayName), else a display-name tag a
 * connector kept (Salesforce `Name`), else the first principal's name (uid order, so it is stable).
 *
 * @example
 * displayName([erpUser, entraUser]); // the Entra displayName
 */
export function displayName(
  principals: readonly Pick<Principal, 'uid' | 'system' | 'name' | 'status' | 'tags'>[],
): string | undefined {
  // Most identities have one principal (every finding of a scan asks): the same answer without
  // the sorted copy and the filtered lists.
  if (principals.length === 1) return ownName(principals[0]!);
  const sorted = [...principals].sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
  const active = <T extends { status: string }>(list: T[]) =>
    list.find((p) => p.status === 'active') ?? list[0];
  for (const system of NAME_AUTHORITIES) {
    const named = active(sorted.filter((p) => (p.system as string) === system && p.name.trim() !== ''));
    if (named) return named.name.trim();
  }
  const tagged = active(sorted.filter((p) => (p.tags.displayName ?? '').trim() !== ''));
  if (tagged) return tagged.tags.displayName!.trim();
  return active(sorted.filter((p) => p.name.trim() !== ''))?.name.trim();
}

/** {@link displayName} of a single principal. */
function ownName(p: Pick<Principal, 'system' | 'name' | 'tags'>): string | undefined {
  const name = p.name.trim();
  if (name !== '' && NAME_AUTHORITIES.includes(p.system)) return name;
  const tag = (p.tags.displayName ?? '').trim();
  if (tag !== '') return tag;
  return name !== '' ? name : undefined;
}

/**
 * Whether an open finding is past its due date at `asOf` (the run's clock). Risk-accepted and
 * resolved findings are never overdue: nobody is asked to act on them now.
 */
export function isOverdue(f: Pick<Finding, 'status' | 'dueAt'>, asOf: Date): boolean {
  if (f.status !== 'open' && f.status !== 'reopened') return false;
  const due = f.dueAt ? Date.parse(f.dueAt) : Number.NaN;
  return Number.isFinite(due) && due < asOf.getTime();
}

/** The name to show for a finding: its `display`, else its identity id. */
export function findingDisplay(f: Pick<Finding, 'display' | 'subject'>): string {
  return f.display ?? f.subject.identity;
}
