import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayName } from '../../../../core/findings/display';
import type { Principal } from '../../../../core/model';

type NamePrincipal = Pick<Principal, 'uid' | 'system' | 'name' | 'status' | 'tags'>;

/** displayName as written before its one-principal shortcut: the reference it must agree with. */
function reference(principals: readonly NamePrincipal[]): string | undefined {
  const sorted = [...principals].sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
  const active = <T extends { status: string }>(list: T[]) =>
    list.find((p) => p.status === 'active') ?? list[0];
  for (const system of ['hr', 'entra']) {
    const named = active(sorted.filter((p) => (p.system as string) === system && p.name.trim() !== ''));
    if (named) return named.name.trim();
  }
  const tagged = active(sorted.filter((p) => (p.tags.displayName ?? '').trim() !== ''));
  if (tagged) return tagged.tags.displayName!.trim();
  return active(sorted.filter((p) => p.name.trim() !== ''))?.name.trim();
}

const principal = fc.record({
  uid: fc.constantFrom('a', 'b', 'c', 'd'),
  system: fc.constantFrom('hr', 'entra', 'erp', 'aws', 'salesforce'),
  name: fc.constantFrom('', '  ', 'Vera Murphy', ' Murphy, Vera ', 'vmurphy'),
  status: fc.constantFrom('active', 'disabled'),
  tags: fc.constantFrom({}, { displayName: '' }, { displayName: ' Vera M. ' }, { other: 'x' }),
}) as fc.Arbitrary<NamePrincipal>;

describe('displayName', () => {
  it('gives the reference answer for one principal and for several', () => {
    fc.assert(
      fc.property(fc.array(principal, { minLength: 0, maxLength: 4 }), (list) => {
        expect(displayName(list)).toBe(reference(list));
      }),
      { numRuns: 2000 },
    );
  });
});
