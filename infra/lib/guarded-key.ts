/**
 * KMS keys whose loss would make evidence unreadable or unverifiable: the key policy denies
 * `kms:ScheduleKeyDeletion` and `kms:DisableKey` to every principal except one named break-glass
 * role, so neither a compromised admin session nor a stray `cdk destroy` can take them away.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/** The actions only the break-glass role may call on a guarded key. */
export const GUARDED_KEY_ACTIONS = ['kms:ScheduleKeyDeletion', 'kms:DisableKey'];

export interface GuardedKeyProps {
  description: string;
  alias: string;
  /** The only principal allowed to schedule deletion or disable the key. */
  breakGlassRoleArn: string;
  /** Asymmetric signing key (ECC_NIST_P256, SIGN_VERIFY) instead of a symmetric data key. */
  signing?: boolean;
  /** @default 30 days (the maximum waiting period) */
  pendingWindow?: Duration;
}

/**
 * @example
 * const dataKey = guardedKey(this, 'DataKey', { description: 'AccessProof data', alias: 'alias/accessproof/data', breakGlassRoleArn });
 */
export function guardedKey(scope: Construct, id: string, props: GuardedKeyProps): Key {
  const key = new Key(scope, id, {
    description: props.description,
    alias: props.alias,
    removalPolicy: RemovalPolicy.RETAIN,
    pendingWindow: props.pendingWindow ?? Duration.days(30),
    ...(props.signing
      ? { keySpec: KeySpec.ECC_NIST_P256, keyUsage: KeyUsage.SIGN_VERIFY }
      : { enableKeyRotation: true }),
  });
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'DenyKeyDestructionExceptBreakGlass',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: GUARDED_KEY_ACTIONS,
      resources: ['*'],
      conditions: { ArnNotEquals: { 'aws:PrincipalArn': props.breakGlassRoleArn } },
    }),
  );
  return key;
}
