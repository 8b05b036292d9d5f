/**
 * Every physical name a deployment gives its resources, derived from one `namePrefix` so two
 * deployments in one account and region never collide (issue 15: "a construct that composes").
 * The default prefix `AccessProof` gives the names earlier releases used, so an existing
 * deployment keeps its resources.
 *
 * Names are explicit only where something outside the stack must find the resource by name: the
 * stacks, the buckets (auditors type them; the runtime and the evidence account address them
 * without exports), the KMS aliases, the connector secrets, the event bus, the anchor topic, the
 * roles other accounts or policies name by ARN, and the metrics namespace the alarms read. Every
 * other resource (table, functions, log groups, state machine, schedule, alarms, queues, topics)
 * gets a CloudFormation-generated name and cannot collide.
 *
 * IAM role names are global to an account: a deployment in a second region of the same account
 * needs its own prefix, exactly like a second deployment in the same region (docs/deploy.md).
 * No CDK imports: plain strings.
 */

/** The prefix of earlier releases' names. */
export const DEFAULT_NAME_PREFIX = 'AccessProof';

/**
 * A letter, then letters, digits or `-`, 21 characters at most: lower-cased it must fit an S3
 * bucket name (`<prefix>-access-logs-<account>-<region>` ≤ 63 characters).
 */
const NAME_PREFIX = /^[A-Za-z](?:[A-Za-z0-9-]{0,19}[A-Za-z0-9])?$/;

export type StackKind = 'Stateful' | 'Runtime' | 'Member' | 'Evidence' | 'Reviews';

export interface DeploymentNames {
  /** As given, e.g. `AccessProof`: stacks, roles, metrics namespace. */
  readonly prefix: string;
  /** Lower-cased, e.g. `accessproof`: buckets, secrets, aliases, topic and bus names. */
  readonly lower: string;
  /** `<prefix>-Stateful`, `<prefix>-Runtime`, `<prefix>-Member`, `<prefix>-Evidence`. */
  stack(kind: StackKind): string;
  /** `<lower>`: buckets are `<lower>-{evidence,staging,access-logs}-<account>-<region>`. */
  readonly bucketNamePrefix: string;
  /** `<lower>`: secrets are `<lower>/sources/<source id>`. */
  readonly secretPrefix: string;
  readonly dataKeyAlias: string;
  readonly signingKeyAlias: string;
  /** The dedicated evidence account's SSE-KMS key. */
  readonly evidenceKeyAlias: string;
  readonly anchorTopicName: string;
  readonly eventBusName: string;
  readonly memberRoleName: string;
  readonly collectorRoleName: string;
  readonly sealRoleName: string;
  readonly auditorRoleName: string;
  /** CloudWatch namespace of the run metrics: the alarms of one deployment read only its own. */
  readonly metricsNamespace: string;
}

/** Names that may be set one by one over the prefix's (props of the same name). */
export type NameOverrides = { stackNamePrefix?: string | undefined } & Partial<
  Pick<
    DeploymentNames,
    | 'secretPrefix'
    | 'dataKeyAlias'
    | 'signingKeyAlias'
    | 'eventBusName'
    | 'memberRoleName'
    | 'collectorRoleName'
    | 'sealRoleName'
    | 'auditorRoleName'
  >
>;

/**
 * @example
 * deploymentNames('Blue').bucketNamePrefix; // 'blue'
 * deploymentNames().collectorRoleName; // 'AccessProofCollector'
 */
export function deploymentNames(
  prefix: string = DEFAULT_NAME_PREFIX,
  overrides: NameOverrides = {},
): DeploymentNames {
  if (!NAME_PREFIX.test(prefix)) {
    throw new Error(
      `namePrefix must be 1-21 letters, digits or "-", starting with a letter and not ending with "-", got "${prefix}"`,
    );
  }
  const lower = prefix.toLowerCase();
  const { stackNamePrefix, ...named } = overrides;
  const defined = Object.fromEntries(Object.entries(named).filter(([, v]) => v !== undefined));
  const stacks = stackNamePrefix ?? prefix;
  return {
    prefix,
    lower,
    stack: (kind) => `${stacks}-${kind}`,
    bucketNamePrefix: lower,
    secretPrefix: lower,
    dataKeyAlias: `alias/${lower}/data`,
    signingKeyAlias: `alias/${lower}/manifest-signing`,
    evidenceKeyAlias: `alias/${lower}/evidence`,
    anchorTopicName: `${lower}-chain-anchors`,
    eventBusName: `${lower}-findings`,
    memberRoleName: `${prefix}Reader`,
    collectorRoleName: `${prefix}Collector`,
    sealRoleName: `${prefix}Seal`,
    auditorRoleName: `${prefix}Auditor`,
    metricsNamespace: prefix,
    ...defined,
  };
}
