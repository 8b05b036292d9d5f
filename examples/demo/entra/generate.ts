/**
 * Writes the demo Entra tenant of Halvorsen Industrial (files mode: saved Graph responses) from
 * ../hr/people.csv. Deterministic: the same people give the same files, byte for byte.
 *
 *   npx tsx examples/demo/entra/generate.ts
 *
 * The scenario is described in README.md beside this file. Dates are chosen against the demo's
 * as-of time, 2026-10-01T00:00:00Z.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const TENANT = '5b7c2e9a-3f1d-4c8e-9a61-2d4f8b0c7e13';
const MICROSOFT = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';
const ORACLE = 'b2f1c6d4-7a3e-4f0b-9c5d-1e8a2b3c4d5e';
const DOCUSIGN_ORG = 'c3a2d1e0-8b7f-4e6d-a5c4-b3a2918f7e6d';
const MAILMERGE_ORG = 'd4b3c2a1-9e8d-4f7c-b6a5-c4b3a2918f70';
const SALESFORCE_ORG = 'e5c4d3b2-0f9e-4a8d-87b6-d5c4b3a29180';
const INITIAL_DOMAIN = 'halvorsenindustrial.onmicrosoft.com';
const GRAPH = 'https://graph.microsoft.com/v1.0';

type Obj = Record<string, unknown>;

/** A stable GUID for a label: the demo's ids never change between runs. */
function guid(label: string): string {
  const h = createHash('sha256').update(`halvorsen-entra:${label}`).digest('hex');
  const variant = ((Number.parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A small deterministic generator (mulberry32). */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(20261001);
const pick = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const pad = (n: number) => String(n).padStart(2, '0');
const at = (y: number, m: number, d: number, h = 9, min = 0) =>
  `${y}-${pad(m)}-${pad(d)}T${pad(h)}:${pad(min)}:${pad(pick(0, 59))}Z`;

// The HR export (BOM, CRLF, no quoted fields in these columns): employee_id,email,display_name,…
const people = readFileSync(join(here, '..', 'hr', 'people.csv'), 'utf8')
  .replace(/^\uFEFF/, '')
  .trim()
  .split(/\r?\n/)
  .slice(1)
  .map((line) => {
    const [, email = '', name = ''] = line.split(',');
    return { name, email };
  });
const staff = people.slice(0, 200);
const byEmail = (local: string) => {
  const p = staff.find((s) => s.email.startsWith(`${local}@`));
  if (!p) throw new Error(`no person ${local}`);
  return p;
};
const userId = (email: string) => guid(`user:${email}`);

// ------------------------------------------------------------------------------------- users
const DORMANT = new Set(['kofi.varga', 'julia.jensen', 'umar.zielinski', 'wen.weber']);
const DISABLED = new Set(['kofi.patel', 'dana.okafor', 'xavier.haddad', 'tara.ellis', 'caleb.ivanova']);
const FALLBACK = new Set(['ivan.reyes', 'mara.silva']);
const NEW_HIRES = new Set(['elena.rossi', 'liam.delgado']);

function signIn(local: string): Obj | undefined {
  if (NEW_HIRES.has(local)) return undefined;
  const rid = () => guid(`req:${local}:${rand()}`);
  let last: string;
  let nonInteractive: string;
  if (DORMANT.has(local)) {
    last = at(2026, pick(4, 5), pick(1, 28), pick(7, 17), pick(0, 59));
    nonInteractive = last;
  } else if (DISABLED.has(local)) {
    last = at(2026, pick(1, 6), pick(1, 28), pick(7, 17), pick(0, 59));
    nonInteractive = last;
  } else {
    last = at(2026, 9, pick(14, 30), pick(6, 18), pick(0, 59));
    nonInteractive = at(2026, 9, 30, pick(0, 23), pick(0, 59));
  }
  if (FALLBACK.has(local)) {
    // As Graph answers for accounts whose last success predates the lastSuccessful* properties.
    return {
      lastSignInDateTime: last,
      lastSignInRequestId: rid(),
      lastNonInteractiveSignInDateTime: '0001-01-01T00:00:00Z',
      lastNonInteractiveSignInRequestId: '',
      lastSuccessfulSignInDateTime: '',
      lastSuccessfulSignInRequestId: '',
    };
  }
  return {
    lastSignInDateTime: last,
    lastSignInRequestId: rid(),
    lastNonInteractiveSignInDateTime: nonInteractive,
    lastNonInteractiveSignInRequestId: rid(),
    lastSuccessfulSignInDateTime: last > nonInteractive ? last : nonInteractive,
    lastSuccessfulSignInRequestId: rid(),
  };
}

const users: Obj[] = staff.map((p, i) => {
  const local = p.email.split('@')[0] ?? '';
  const sa = signIn(local);
  const created = NEW_HIRES.has(local)
    ? '2026-09-28T08:00:00Z'
    : at(pick(2018, 2025), pick(1, 12), pick(1, 28));
  return {
    id: userId(p.email),
    displayName: p.name,
    userPrincipalName: p.email,
    mail: p.email,
    employeeId: `HI-${10_001 + i}`,
    userType: 'Member',
    accountEnabled: !DISABLED.has(local),
    createdDateTime: created,
    ...(sa ? { signInActivity: sa } : {}),
  };
});
const guests = [
  {
    name: 'Maren Kvist',
    mail: 'maren.kvist@northbridge-audit.example',
    last: '2026-09-22T13:05:12Z',
    created: '2026-01-12T10:00:00Z',
  },
  {
    name: 'Tom Okafor',
    mail: 'tom.okafor@ledgerworks-consulting.example',
    last: '2026-09-29T08:44:51Z',
    created: '2025-06-02T10:00:00Z',
  },
  {
    name: 'Lea Brandt',
    mail: 'lea.brandt@oldpartner.example',
    last: '2025-11-03T16:20:07Z',
    created: '2024-03-18T10:00:00Z',
  },
];
for (const g of guests) {
  users.push({
    id: userId(g.mail),
    displayName: g.name,
    userPrincipalName: `${g.mail.replace('@', '_')}#EXT#@${INITIAL_DOMAIN}`,
    mail: g.mail,
    employeeId: null,
    userType: 'Guest',
    accountEnabled: true,
    createdDateTime: g.created,
    signInActivity: {
      lastSignInDateTime: g.last,
      lastSignInRequestId: guid(`req:${g.mail}`),
      lastNonInteractiveSignInDateTime: g.last,
      lastNonInteractiveSignInRequestId: guid(`req2:${g.mail}`),
      lastSuccessfulSignInDateTime: g.last,
      lastSuccessfulSignInRequestId: guid(`req:${g.mail}`),
    },
  });
}
const SVC_USER = 'svc-netsuite-integration@halvorsen-industrial.example';
users.push({
  id: userId(SVC_USER),
  displayName: 'svc-netsuite-integration',
  userPrincipalName: SVC_USER,
  mail: null,
  employeeId: null,
  userType: 'Member',
  accountEnabled: true,
  createdDateTime: '2022-04-04T09:00:00Z',
  signInActivity: {
    lastSignInDateTime: '2026-08-30T02:00:11Z',
    lastSignInRequestId: guid('req:svc'),
    lastNonInteractiveSignInDateTime: '2026-09-30T02:00:07Z',
    lastNonInteractiveSignInRequestId: guid('req2:svc'),
    lastSuccessfulSignInDateTime: '2026-09-30T02:00:07Z',
    lastSuccessfulSignInRequestId: guid('req2:svc'),
  },
});

// ---------------------------------------------------------------------- apps and principals
interface Secret {
  name: string;
  start: string;
  end: string;
  hint: string;
  lastUsed?: string;
}
interface Cert {
  name: string;
  start: string;
  end: string;
  lastUsed?: string;
}
interface OwnApp {
  key: string;
  name: string;
  created: string;
  secrets?: Secret[];
  certs?: Cert[];
  owners: string[];
  /** No service principal in this tenant. */
  noSp?: boolean;
  lastSignIn?: string;
}
const OWN_APPS: OwnApp[] = [
  {
    key: 'payments',
    name: 'Payments Batch Runner',
    created: '2021-05-10T11:32:08.1234567Z',
    secrets: [
      {
        name: 'prod-2025',
        start: '2025-07-01T00:00:00Z',
        end: '2026-06-30T00:00:00Z',
        hint: 'pQ7',
        lastUsed: '2026-03-15T02:10:44Z',
      },
    ],
    owners: ['ines.ellis'],
    lastSignIn: '2026-03-15T02:10:44Z',
  },
  {
    key: 'legacy-importer',
    name: 'Legacy Invoice Importer',
    created: '2023-02-01T14:02:55.5550000Z',
    secrets: [{ name: 'initial', start: '2023-02-01T14:05:00Z', end: '2027-02-01T14:05:00Z', hint: 'Lx2' }],
    owners: ['gustav.yamamoto'],
  },
  {
    key: 'gl-recon',
    name: 'GL Reconciliation Service',
    created: '2024-10-21T09:15:00Z',
    secrets: [
      {
        name: 'prod',
        start: '2025-11-03T08:00:00Z',
        end: '2027-11-03T08:00:00Z',
        hint: 'G1r',
        lastUsed: '2026-09-29T23:40:02Z',
      },
    ],
    owners: ['carla.lindqvist'],
    lastSignIn: '2026-09-29T23:40:02Z',
  },
  {
    key: 'dirsync',
    name: 'Directory Sync Automation',
    created: '2025-02-14T10:00:00Z',
    certs: [
      {
        name: 'CN=dirsync-automation',
        start: '2026-08-20T00:00:00Z',
        end: '2027-08-20T00:00:00Z',
        lastUsed: '2026-09-30T04:00:31Z',
      },
    ],
    owners: [],
    lastSignIn: '2026-09-30T04:00:31Z',
  },
  {
    key: 'expense-bot',
    name: 'Expense Report Bot',
    created: '2025-08-01T12:00:00Z',
    certs: [
      {
        name: 'CN=expense-bot',
        start: '2026-08-15T00:00:00Z',
        end: '2027-08-15T00:00:00Z',
        lastUsed: '2026-09-30T17:12:09Z',
      },
    ],
    owners: ['sofia.ivanova'],
    lastSignIn: '2026-09-30T17:12:09Z',
  },
  {
    key: 'hr-feed',
    name: 'HR Feed Connector',
    created: '2024-01-09T08:30:00Z',
    secrets: [
      {
        name: 'rotation-2026-08',
        start: '2026-08-01T00:00:00Z',
        end: '2027-02-01T00:00:00Z',
        hint: 'H8f',
        lastUsed: '2026-09-30T01:00:12Z',
      },
    ],
    owners: ['grace.silva'],
    lastSignIn: '2026-09-30T01:00:12Z',
  },
  {
    key: 'close-scripts',
    name: 'Quarterly Close Scripts (retired)',
    created: '2022-03-30T07:45:00Z',
    secrets: [{ name: 'q4-2025', start: '2025-01-01T00:00:00Z', end: '2025-12-31T00:00:00Z', hint: 'Qc9' }],
    owners: ['tara.ellis'],
    noSp: true,
  },
];
const ownerEmail = (local: string) => `${local}@halvorsen-industrial.example`;
const ownerRef = (local: string) => {
  const email = ownerEmail(local);
  return { '@odata.type': '#microsoft.graph.user', id: userId(email), userPrincipalName: email, mail: email };
};

const applications: Obj[] = [];
const servicePrincipals: Obj[] = [];
const spSignIns: Obj[] = [];
const credSignIns: Obj[] = [];
const files: Record<string, unknown> = {};
const appIdOf: Record<string, string> = {};
const spIdOf: Record<string, string> = {};

const noCreds = { keyCredentials: [], passwordCredentials: [] };
function activity(appId: string, kinds: Partial<Record<string, string>>) {
  const entry: Obj = { id: Buffer.from(appId).toString('base64url'), appId };
  for (const k of [
    'applicationAuthenticationClientSignInActivity',
    'applicationAuthenticationResourceSignInActivity',
    'delegatedClientSignInActivity',
    'delegatedResourceSignInActivity',
  ]) {
    const t = kinds[k];
    entry[k] = t ? { lastSignInDateTime: t, lastSignInRequestId: guid(`req:${appId}:${k}`) } : null;
  }
  const latest = Object.values(kinds).sort().at(-1);
  entry.lastSignInActivity = latest
    ? { lastSignInDateTime: latest, lastSignInRequestId: guid(`req:${appId}:last`) }
    : null;
  spSignIns.push(entry);
}

for (const app of OWN_APPS) {
  const appId = guid(`appId:${app.key}`);
  const objectId = guid(`application:${app.key}`);
  appIdOf[app.key] = appId;
  const passwordCredentials = (app.secrets ?? []).map((s) => {
    const keyId = guid(`secret:${app.key}:${s.name}`);
    if (s.lastUsed) credSignIn(appId, objectId, keyId, 'clientSecret', s.end, s.lastUsed);
    // Graph returns the hint (first characters) and never the secret itself: secretText is null.
    return {
      customKeyIdentifier: null,
      displayName: s.name,
      endDateTime: s.end,
      hint: s.hint,
      keyId,
      secretText: null,
      startDateTime: s.start,
    };
  });
  const keyCredentials = (app.certs ?? []).map((c) => {
    const keyId = guid(`cert:${app.key}:${c.name}`);
    if (c.lastUsed) credSignIn(appId, objectId, keyId, 'certificate', c.end, c.lastUsed);
    return {
      customKeyIdentifier: createHash('sha1').update(c.name).digest('hex').toUpperCase(),
      displayName: c.name,
      endDateTime: c.end,
      key: null,
      keyId,
      startDateTime: c.start,
      type: 'AsymmetricX509Cert',
      usage: 'Verify',
    };
  });
  applications.push({
    id: objectId,
    appId,
    displayName: app.name,
    createdDateTime: app.created,
    signInAudience: 'AzureADMyOrg',
    publisherDomain: 'halvorsen-industrial.example',
    keyCredentials,
    passwordCredentials,
  });
  if (app.owners.length > 0) files[`application-${objectId}-owners.json`] = page(app.owners.map(ownerRef));
  if (app.noSp) continue;
  const spId = guid(`sp:${app.key}`);
  spIdOf[app.key] = spId;
  servicePrincipals.push({
    id: spId,
    accountEnabled: true,
    alternativeNames: [],
    appDisplayName: app.name,
    appId,
    appOwnerOrganizationId: TENANT,
    appRoles: [],
    displayName: app.name,
    servicePrincipalType: 'Application',
    tags: ['WindowsAzureActiveDirectoryIntegratedApp'],
    ...noCreds,
  });
  if (app.lastSignIn) activity(appId, { applicationAuthenticationClientSignInActivity: app.lastSignIn });
}

function credSignIn(
  appId: string,
  appObjectId: string,
  keyId: string,
  keyType: string,
  expires: string,
  last: string,
) {
  credSignIns.push({
    id: Buffer.from(`${keyId}|application`).toString('base64url'),
    appId,
    appObjectId,
    credentialOrigin: 'application',
    expirationDate: expires,
    keyId,
    keyType,
    keyUsage: 'verify',
    resourceId: guid('sp:graph'),
    servicePrincipalObjectId: guid(`sp:${OWN_APPS.find((a) => appIdOf[a.key] === appId)?.key}`),
    signInActivity: { lastSignInDateTime: last, lastSignInRequestId: guid(`req:${keyId}`) },
  });
}

// Microsoft's first-party service principals (a tenant has hundreds; the demo keeps three).
const GRAPH_ROLES = {
  'Directory.ReadWrite.All': '19dbc75e-c2e2-444c-a770-ec69d8559fc7',
  'Directory.Read.All': '7ab1d382-f21e-4acd-a863-ba3e13f7da61',
  'User.Read.All': 'df021288-bdef-4463-88db-98f22de89214',
  'Group.Read.All': '5b567255-7703-4780-807c-7be8301ae99b',
  'Mail.Send': 'b633e1c5-b582-4048-a93e-9f11b44c7e96',
} as const;
const firstParty = [
  {
    key: 'graph',
    name: 'Microsoft Graph',
    appId: '00000003-0000-0000-c000-000000000000',
    roles: Object.entries(GRAPH_ROLES).map(([value, id]) => ({
      allowedMemberTypes: ['Application'],
      description: `Allows the app to use ${value} without a signed-in user.`,
      displayName: value,
      id,
      isEnabled: true,
      origin: 'Application',
      value,
    })),
  },
  {
    key: 'exchange',
    name: 'Office 365 Exchange Online',
    appId: '00000002-0000-0ff1-ce00-000000000000',
    roles: [],
  },
  {
    key: 'sharepoint',
    name: 'Office 365 SharePoint Online',
    appId: '00000003-0000-0ff1-ce00-000000000000',
    roles: [],
  },
];
for (const fp of firstParty) {
  spIdOf[fp.key] = guid(`sp:${fp.key}`);
  servicePrincipals.push({
    id: spIdOf[fp.key],
    accountEnabled: true,
    alternativeNames: [],
    appDisplayName: fp.name,
    appId: fp.appId,
    appOwnerOrganizationId: MICROSOFT,
    appRoles: fp.roles,
    displayName: fp.name,
    servicePrincipalType: 'Application',
    tags: [],
    ...noCreds,
  });
  activity(fp.appId, {
    applicationAuthenticationResourceSignInActivity: '2026-09-30T23:58:41Z',
    delegatedResourceSignInActivity: '2026-09-30T23:59:02Z',
  });
}

// Third-party SaaS.
const NETSUITE_ROLES: [string, string][] = [
  ['Administrator', 'Administrator'],
  ['Controller', 'Controller'],
  ['AP.Clerk', 'AP Clerk'],
  ['AP.PaymentApprover', 'AP Payment Approver'],
  ['Vendor.Maintain', 'Vendor Master Maintenance'],
  ['AR.Clerk', 'AR Clerk'],
  ['GL.Accountant', 'GL Accountant'],
  ['EmployeeCenter', 'Employee Center'],
];
const netsuiteRole = (value: string) => guid(`netsuite-role:${value}`);
const thirdParty = [
  {
    key: 'netsuite',
    name: 'NetSuite ERP',
    org: ORACLE,
    roles: NETSUITE_ROLES.map(([value, displayName]) => ({
      allowedMemberTypes: ['User', 'Application'],
      description: `NetSuite role ${displayName}`,
      displayName,
      id: netsuiteRole(value),
      isEnabled: true,
      origin: 'Application',
      value,
    })),
    owners: ['rosa.quintero'],
    activity: { delegatedResourceSignInActivity: '2026-09-30T21:14:09Z' },
  },
  {
    key: 'salesforce',
    name: 'Salesforce',
    org: SALESFORCE_ORG,
    roles: [],
    owners: ['emil.chen'],
    activity: { delegatedResourceSignInActivity: '2026-09-30T18:01:33Z' },
  },
  {
    key: 'docusign',
    name: 'DocuSign',
    org: DOCUSIGN_ORG,
    roles: [],
    owners: [],
    activity: { delegatedClientSignInActivity: '2026-09-29T10:22:48Z' },
  },
  {
    key: 'mailmerge',
    name: 'Mail Merge Pro',
    org: MAILMERGE_ORG,
    roles: [],
    owners: [],
    activity: { delegatedClientSignInActivity: '2026-05-20T15:03:27Z' },
  },
];
for (const tp of thirdParty) {
  const appId = guid(`appId:${tp.key}`);
  appIdOf[tp.key] = appId;
  spIdOf[tp.key] = guid(`sp:${tp.key}`);
  servicePrincipals.push({
    id: spIdOf[tp.key],
    accountEnabled: true,
    alternativeNames: [],
    appDisplayName: tp.name,
    appId,
    appOwnerOrganizationId: tp.org,
    appRoleAssignmentRequired: tp.key === 'netsuite',
    appRoles: tp.roles,
    displayName: tp.name,
    servicePrincipalType: 'Application',
    tags: [
      'WindowsAzureActiveDirectoryIntegratedApp',
      'WindowsAzureActiveDirectoryGalleryApplicationNonPrimaryV1',
    ],
    ...noCreds,
  });
  if (tp.owners.length > 0)
    files[`servicePrincipal-${spIdOf[tp.key]}-owners.json`] = page(tp.owners.map(ownerRef));
  activity(appId, tp.activity);
}

// Managed identities: Azure holds and rotates their certificates.
const SUB = '/subscriptions/6d1f7a2b-3c4e-4f5a-8b9c-0d1e2f3a4b5c/resourcegroups';
const managed = [
  {
    key: 'mi-invoice-ocr',
    explicit: false,
    resource: `${SUB}/rg-finance-apps/providers/Microsoft.Web/sites/invoice-ocr`,
    last: '2026-09-30T19:45:16Z',
  },
  {
    key: 'id-finance-datapipeline',
    explicit: true,
    resource: `${SUB}/rg-finance-data/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-finance-datapipeline`,
    last: '2026-09-26T03:30:00Z',
  },
];
for (const mi of managed) {
  const appId = guid(`appId:${mi.key}`);
  spIdOf[mi.key] = guid(`sp:${mi.key}`);
  servicePrincipals.push({
    id: spIdOf[mi.key],
    accountEnabled: true,
    alternativeNames: [`isExplicit=${mi.explicit ? 'True' : 'False'}`, mi.resource],
    appDisplayName: null,
    appId,
    appOwnerOrganizationId: null,
    appRoles: [],
    displayName: mi.key,
    servicePrincipalType: 'ManagedIdentity',
    tags: [],
    keyCredentials: [
      {
        customKeyIdentifier: createHash('sha1').update(mi.key).digest('hex').toUpperCase(),
        displayName: `CN=${appId}`,
        endDateTime: '2026-12-01T00:00:00Z',
        key: null,
        keyId: guid(`mi-cert:${mi.key}`),
        startDateTime: '2026-09-02T00:00:00Z',
        type: 'AsymmetricX509Cert',
        usage: 'Verify',
      },
    ],
    passwordCredentials: [],
  });
  activity(appId, { applicationAuthenticationClientSignInActivity: mi.last });
}

// Owners of the service principals of own apps: their registrations' owners, as Entra copies them.
for (const app of OWN_APPS) {
  const spId = spIdOf[app.key];
  if (spId && app.owners.length > 0)
    files[`servicePrincipal-${spId}-owners.json`] = page(app.owners.map(ownerRef));
}

// ---------------------------------------------------------------------- app role assignments
function assignment(
  principalId: string,
  principalType: string,
  principalName: string,
  resource: string,
  roleId: string,
  created: string,
): Obj {
  return {
    id: Buffer.from(`${principalId}:${resource}:${roleId}`).toString('base64url').slice(0, 43),
    deletedDateTime: null,
    appRoleId: roleId,
    createdDateTime: created,
    principalDisplayName: principalName,
    principalId,
    principalType,
    resourceDisplayName: resource === spIdOf.graph ? 'Microsoft Graph' : 'NetSuite ERP',
    resourceId: resource,
  };
}
const spAssignments: Record<string, Obj[]> = {
  payments: [
    assignment(
      spIdOf.payments!,
      'ServicePrincipal',
      'Payments Batch Runner',
      spIdOf.netsuite!,
      netsuiteRole('AP.PaymentApprover'),
      '2021-05-12T09:00:00Z',
    ),
  ],
  'gl-recon': [
    assignment(
      spIdOf['gl-recon']!,
      'ServicePrincipal',
      'GL Reconciliation Service',
      spIdOf.netsuite!,
      netsuiteRole('GL.Accountant'),
      '2024-10-22T09:00:00Z',
    ),
  ],
  dirsync: [
    assignment(
      spIdOf.dirsync!,
      'ServicePrincipal',
      'Directory Sync Automation',
      spIdOf.graph!,
      GRAPH_ROLES['Directory.ReadWrite.All'],
      '2025-02-14T10:30:00Z',
    ),
    assignment(
      spIdOf.dirsync!,
      'ServicePrincipal',
      'Directory Sync Automation',
      spIdOf.graph!,
      GRAPH_ROLES['Group.Read.All'],
      '2025-02-14T10:30:00Z',
    ),
  ],
  'hr-feed': [
    assignment(
      spIdOf['hr-feed']!,
      'ServicePrincipal',
      'HR Feed Connector',
      spIdOf.graph!,
      GRAPH_ROLES['User.Read.All'],
      '2024-01-09T09:00:00Z',
    ),
  ],
};
for (const [key, list] of Object.entries(spAssignments))
  files[`servicePrincipal-${spIdOf[key]}-appRoleAssignments.json`] = page(
    list,
    `servicePrincipals('${spIdOf[key]}')/appRoleAssignments`,
  );

// ------------------------------------------------------------------------------------ groups
const group = (key: string, displayName: string, extra: Obj = {}): Obj => ({
  id: guid(`group:${key}`),
  displayName,
  description: null,
  isAssignableToRole: false,
  mailEnabled: false,
  securityEnabled: true,
  ...extra,
});
const groups = [
  group('all', 'All Employees', { mailEnabled: true }),
  group('finance-ap', 'Finance AP Team'),
  group('ap-contractors', 'AP Contractors'),
  group('finance-controllers', 'Finance Controllers'),
  group('it-identity-admins', 'IT Identity Admins', { isAssignableToRole: true }),
  group('sales-emea', 'Sales EMEA', { mailEnabled: true }),
  group('plant-ops', 'Plant Operations'),
];
const gid = (key: string) => guid(`group:${key}`);
const userObj = (email: string) => ({ '@odata.type': '#microsoft.graph.user', id: userId(email) });
const groupObj = (key: string) => ({ '@odata.type': '#microsoft.graph.group', id: gid(key) });
const AP_TEAM = [
  'pedro.urbanski',
  'ximena.hughes',
  'lena.ortiz',
  'zoe.haddad',
  'pedro.quintero',
  'zoe.nakamura',
].map((l) => byEmail(l).email);
const AP_CONTRACTORS = ['tom.okafor@ledgerworks-consulting.example', byEmail('viktor.rossi').email];
const CONTROLLERS = ['carla.lindqvist', 'nikolai.varga', 'mara.keller', 'sofia.ivanova'].map(
  (l) => byEmail(l).email,
);
const IT_ADMINS = ['yusuf.gallagher', 'fiona.haddad', 'emil.chen'].map((l) => byEmail(l).email);

files[`group-${gid('finance-ap')}-transitiveMembers.json`] = page([
  ...AP_TEAM.map(userObj),
  groupObj('ap-contractors'),
  ...AP_CONTRACTORS.map(userObj),
]);
files[`group-${gid('finance-ap')}-members.json`] = page([
  ...AP_TEAM.map(userObj),
  groupObj('ap-contractors'),
]);
files[`group-${gid('ap-contractors')}-members.json`] = page(AP_CONTRACTORS.map(userObj));
files[`group-${gid('finance-controllers')}-transitiveMembers.json`] = page(CONTROLLERS.map(userObj));
files[`group-${gid('it-identity-admins')}-transitiveMembers.json`] = page(IT_ADMINS.map(userObj));

// Who may use NetSuite ERP, in which role.
const ns = spIdOf.netsuite!;
const nsUser = (local: string, role: string) => {
  const p = byEmail(local);
  return assignment(
    userId(p.email),
    'User',
    p.name,
    ns,
    netsuiteRole(role),
    at(pick(2021, 2025), pick(1, 12), pick(1, 28)),
  );
};
const netsuiteAssignedTo: Obj[] = [
  nsUser('rosa.quintero', 'Administrator'),
  nsUser('dana.yamamoto', 'Administrator'),
  nsUser('fiona.garcia', 'AP.PaymentApprover'),
  nsUser('ines.ellis', 'AP.PaymentApprover'),
  nsUser('mateo.jensen', 'Vendor.Maintain'),
  nsUser('mara.eriksen', 'Vendor.Maintain'),
  ...['olga.jovanovic', 'liam.xu', 'caleb.yamamoto', 'lena.patel', 'grace.silva'].map((l) =>
    nsUser(l, 'GL.Accountant'),
  ),
  ...['julia.jensen', 'kofi.varga', 'hana.xu', 'fiona.quintero'].map((l) => nsUser(l, 'AR.Clerk')),
  ...staff.slice(60, 80).map((p) => nsUser(p.email.split('@')[0] ?? '', 'EmployeeCenter')),
  assignment(
    gid('finance-ap'),
    'Group',
    'Finance AP Team',
    ns,
    netsuiteRole('AP.Clerk'),
    '2023-04-03T10:00:00Z',
  ),
  assignment(
    gid('finance-controllers'),
    'Group',
    'Finance Controllers',
    ns,
    netsuiteRole('Controller'),
    '2023-04-03T10:00:00Z',
  ),
  ...spAssignments.payments!,
  ...spAssignments['gl-recon']!,
];
files[`appRoleAssignedTo-${appIdOf.netsuite}.json`] = page(
  netsuiteAssignedTo,
  `servicePrincipals('${ns}')/appRoleAssignedTo`,
);

// ---------------------------------------------------------------------------- directory roles
const ROLES: [string, string][] = [
  ['62e90394-69f5-4237-9190-012177145e10', 'Global Administrator'],
  ['e8611ab8-c189-46e8-94e1-60213ab1f814', 'Privileged Role Administrator'],
  ['fe930be7-5e62-47db-91af-98c3a49a38b1', 'User Administrator'],
  ['9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3', 'Application Administrator'],
  ['158c047a-c907-4556-b7ef-446551a6b5f7', 'Cloud Application Administrator'],
  ['194ae4cb-b126-40b2-bd5b-6091b380977d', 'Security Administrator'],
  ['729827e3-9c14-49f7-bb1b-9608f156bbb8', 'Helpdesk Administrator'],
  ['fdd7a751-b60b-444a-984c-02652fe8fa1c', 'Groups Administrator'],
  ['29232cdf-9323-42fd-ade2-1d097af3e4de', 'Exchange Administrator'],
  ['f28a1f50-f6e7-4571-818b-6a12f2af6b6c', 'SharePoint Administrator'],
  ['f2ef992c-3afb-46b9-b7cf-a126ee74c451', 'Global Reader'],
  ['88d8e3e3-8f55-4a1e-953a-9b9898b8876b', 'Directory Readers'],
  ['4a5d8f65-41da-4de4-8968-e035b65339cf', 'Reports Reader'],
  ['b0f54661-2d74-4c50-afa3-1ec803f12efe', 'Billing Administrator'],
];
const roleId = (name: string) => ROLES.find(([, n]) => n === name)?.[0] ?? '';
const roleDefinitions = ROLES.map(([id, displayName]) => ({
  id,
  description: `Built-in role ${displayName}.`,
  displayName,
  isBuiltIn: true,
  isEnabled: true,
  templateId: id,
  version: '1',
}));
const roleAssignment = (role: string, principal: Obj, scope = '/') => ({
  id: `${Buffer.from(roleId(role)).toString('base64url').slice(0, 20)}${Buffer.from(String(principal.id)).toString('base64url').slice(0, 20)}-1`,
  principalId: principal.id,
  roleDefinitionId: roleId(role),
  directoryScopeId: scope,
  principal,
});
const person = (local: string) => {
  const p = byEmail(local);
  return {
    '@odata.type': '#microsoft.graph.user',
    id: userId(p.email),
    displayName: p.name,
    userPrincipalName: p.email,
  };
};
const roleAssignments = [
  roleAssignment('Global Administrator', person('umar.bergstrom')),
  roleAssignment('Global Administrator', person('liam.xu')),
  roleAssignment('Privileged Role Administrator', person('tomas.dubois')),
  roleAssignment('User Administrator', person('fiona.garcia')),
  roleAssignment('Security Administrator', person('olga.jovanovic')),
  roleAssignment('Helpdesk Administrator', person('caleb.yamamoto')),
  roleAssignment('Helpdesk Administrator', person('lena.patel')),
  roleAssignment('Reports Reader', person('grace.silva')),
  roleAssignment('Global Reader', {
    '@odata.type': '#microsoft.graph.user',
    id: userId('maren.kvist@northbridge-audit.example'),
    displayName: 'Maren Kvist',
    userPrincipalName: `maren.kvist_northbridge-audit.example#EXT#@${INITIAL_DOMAIN}`,
  }),
  roleAssignment('Groups Administrator', {
    '@odata.type': '#microsoft.graph.group',
    id: gid('it-identity-admins'),
    displayName: 'IT Identity Admins',
  }),
  roleAssignment('Application Administrator', {
    '@odata.type': '#microsoft.graph.servicePrincipal',
    id: spIdOf.dirsync,
    displayName: 'Directory Sync Automation',
  }),
];

// ------------------------------------------------------------------- delegated permission grants
const oauth2PermissionGrants = [
  {
    clientId: spIdOf.docusign,
    consentType: 'AllPrincipals',
    principalId: null,
    resourceId: spIdOf.graph,
    scope: 'User.Read openid profile offline_access',
  },
  {
    clientId: spIdOf['expense-bot'],
    consentType: 'AllPrincipals',
    principalId: null,
    resourceId: spIdOf.graph,
    scope: 'User.Read',
  },
  {
    clientId: spIdOf.mailmerge,
    consentType: 'Principal',
    principalId: userId(byEmail('ximena.hughes').email),
    resourceId: spIdOf.graph,
    scope: 'User.Read Mail.ReadWrite Files.ReadWrite.All offline_access',
  },
].map((g) => ({
  id: Buffer.from(`${g.clientId}${g.resourceId}${g.principalId ?? ''}`)
    .toString('base64url')
    .slice(0, 43),
  ...g,
}));

// -------------------------------------------------------------------------------------- write
function page(value: unknown[], context?: string): Obj {
  return context ? { '@odata.context': `${GRAPH}/$metadata#${context}`, value } : { value };
}
files['users.json'] = page(
  users,
  'users(id,displayName,userPrincipalName,mail,employeeId,userType,accountEnabled,createdDateTime,signInActivity)',
);
files['applications.json'] = page(
  applications,
  'applications(id,appId,displayName,createdDateTime,passwordCredentials,keyCredentials)',
);
files['servicePrincipals.json'] = page(servicePrincipals, 'servicePrincipals');
files['servicePrincipalSignInActivities.json'] = {
  '@odata.context': 'https://graph.microsoft.com/beta/$metadata#reports/servicePrincipalSignInActivities',
  value: spSignIns,
};
files['appCredentialSignInActivities.json'] = {
  '@odata.context': 'https://graph.microsoft.com/beta/$metadata#reports/appCredentialSignInActivities',
  value: credSignIns,
};
files['roleDefinitions.json'] = page(roleDefinitions, 'roleManagement/directory/roleDefinitions');
files['roleAssignments.json'] = page(
  roleAssignments,
  'roleManagement/directory/roleAssignments(principal())',
);
files['oauth2PermissionGrants.json'] = page(oauth2PermissionGrants, 'oauth2PermissionGrants');
files['groups.json'] = page(groups, 'groups(id,displayName,isAssignableToRole,securityEnabled)');

// MFA registration (GET /v1.0/reports/authenticationMethods/userRegistrationDetails). Graph leaves
// disabled users out. Written last and without the PRNG, so the files above keep their bytes.
// liam.xu (Global Administrator) and ivan.reyes (no privileged role) never registered a method;
// the service account has none either (it is non-human: the MFA rule is for people).
const NO_MFA = new Set(['liam.xu', 'ivan.reyes', 'svc-netsuite-integration']);
const METHODS = [
  ['microsoftAuthenticatorPush', 'softwareOneTimePasscode'],
  ['microsoftAuthenticatorPush'],
  ['fido2', 'microsoftAuthenticatorPush'],
];
files['userRegistrationDetails.json'] = page(
  users
    .filter((u) => u.accountEnabled === true)
    .map((u, i) => {
      const upn = String(u.userPrincipalName);
      const off = NO_MFA.has(upn.split('@')[0] ?? '');
      const methods = off ? [] : (METHODS[i % METHODS.length] ?? []);
      return {
        id: u.id,
        userPrincipalName: upn,
        userDisplayName: u.displayName,
        userType: u.userType === 'Guest' ? 'guest' : 'member',
        isAdmin: false,
        isSsprRegistered: !off,
        isSsprEnabled: true,
        isSsprCapable: !off,
        isMfaRegistered: !off,
        isMfaCapable: !off,
        isPasswordlessCapable: methods.includes('fido2'),
        methodsRegistered: methods,
        defaultMfaMethod: off ? 'none' : 'push',
        lastUpdatedDateTime: '2026-09-30T02:00:00Z',
      };
    }),
  'reports/authenticationMethods/userRegistrationDetails',
);

// Nobody was deleted in the last 30 days (the HR export is the authority for leavers here).
files['deletedUsers.json'] = page([], 'directory/deletedItems/microsoft.graph.user');

for (const f of readdirSync(here)) if (f.endsWith('.json')) rmSync(join(here, f));
for (const [name, body] of Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))) {
  writeFileSync(join(here, name), `${JSON.stringify(body, null, 2)}\n`);
}
console.log(
  `wrote ${Object.keys(files).length} files: ${users.length} users, ${servicePrincipals.length} service principals, ${applications.length} app registrations`,
);
console.log(`svc user id (for config kinds): ${userId(SVC_USER)}`);
