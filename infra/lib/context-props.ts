/**
 * Turn CDK context (`cdk.json` defaults, `-c key=value` overrides) into `AccessProofProps`.
 * Values given with `-c` arrive as strings, so numbers and booleans are parsed here.
 */
import type { AccessProofProps } from './access-proof';

/** The context keys the default app reads (documented in docs/deploy.md). */
export const CONTEXT_KEYS = [
  'configFile',
  'scheduleExpression',
  'scheduleTimeZone',
  'retentionDays',
  'notificationEmail',
  'alarmTopicArn',
  'scheduleIntervalHours',
  'memberRoleName',
  'externalId',
  'breakGlassPrincipalArns',
  'sealRoleName',
  'anchorSubscriberAccounts',
  'evidenceDataEvents',
  'evidenceAccount',
  'collectorRoleName',
  'collectorAccountId',
  'identityCenter',
  'auditorPrincipalArns',
  'distributedMap',
  'toleratedFailurePercentage',
  'evidencePrefix',
  'dataKeyAlias',
  'signingKeyAlias',
  'namePrefix',
  'stackNamePrefix',
  'secretPrefix',
  'auditorRoleName',
  'eventBusName',
  'maxOrganizationAccounts',
  'memberStack',
  'account',
  'region',
  'securityHub',
] as const;

export type ContextReader = (key: string) => unknown;

/**
 * @example
 * const props = propsFromContext((k) => app.node.tryGetContext(k));
 */
export function propsFromContext(get: ContextReader): AccessProofProps {
  const str = (key: string): string | undefined => {
    const v = get(key);
    if (v === undefined || v === null || v === '') return undefined;
    return String(v);
  };
  const num = (key: string): number | undefined => {
    const v = str(key);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`context "${key}" must be a number, got "${v}"`);
    return n;
  };
  const bool = (key: string): boolean | undefined => {
    const v = get(key);
    if (v === undefined || v === null || v === '') return undefined;
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    throw new Error(`context "${key}" must be true or false, got "${String(v)}"`);
  };
  const list = (key: string): string[] | undefined => {
    const v = get(key);
    if (Array.isArray(v)) return v.map(String);
    const s = str(key);
    return s === undefined
      ? undefined
      : s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean);
  };

  const configFile = str('configFile');
  const externalId = str('externalId');
  if (!configFile) throw new Error('context "configFile" is required (cdk.json or -c configFile=path.yaml)');
  if (!externalId) throw new Error('context "externalId" is required (cdk.json or -c externalId=…)');
  const account = str('account');
  const region = str('region');
  const expression = str('scheduleExpression');
  const timeZone = str('scheduleTimeZone');
  const intervalHours = num('scheduleIntervalHours');
  const dataKeyAlias = str('dataKeyAlias');
  const signingKeyAlias = str('signingKeyAlias');

  const optional: Partial<AccessProofProps> = {
    retentionDays: num('retentionDays'),
    notificationEmail: str('notificationEmail'),
    alarmTopicArn: str('alarmTopicArn'),
    memberRoleName: str('memberRoleName'),
    breakGlassPrincipalArns: list('breakGlassPrincipalArns'),
    sealRoleName: str('sealRoleName'),
    anchorSubscriberAccounts: list('anchorSubscriberAccounts'),
    evidenceDataEvents: bool('evidenceDataEvents'),
    evidenceAccount: str('evidenceAccount'),
    collectorRoleName: str('collectorRoleName'),
    collectorAccountId: str('collectorAccountId'),
    identityCenter: bool('identityCenter'),
    auditorPrincipalArns: list('auditorPrincipalArns'),
    distributedMap: bool('distributedMap'),
    toleratedFailurePercentage: num('toleratedFailurePercentage'),
    evidencePrefix: str('evidencePrefix'),
    namePrefix: str('namePrefix'),
    stackNamePrefix: str('stackNamePrefix'),
    secretPrefix: str('secretPrefix'),
    auditorRoleName: str('auditorRoleName'),
    eventBus: str('eventBusName'),
    maxOrganizationAccounts: num('maxOrganizationAccounts'),
    memberStack: bool('memberStack'),
    securityHub: bool('securityHub'),
  };
  return {
    configFile,
    externalId,
    ...(Object.fromEntries(
      Object.entries(optional).filter(([, v]) => v !== undefined),
    ) as Partial<AccessProofProps>),
    ...(expression || timeZone || intervalHours !== undefined
      ? {
          schedule: {
            ...(expression ? { expression } : {}),
            ...(timeZone ? { timeZone } : {}),
            ...(intervalHours !== undefined ? { intervalHours } : {}),
          },
        }
      : {}),
    ...(dataKeyAlias || signingKeyAlias
      ? {
          kms: { ...(dataKeyAlias ? { dataKeyAlias } : {}), ...(signingKeyAlias ? { signingKeyAlias } : {}) },
        }
      : {}),
    ...(account || region ? { env: { ...(account ? { account } : {}), ...(region ? { region } : {}) } } : {}),
  };
}
