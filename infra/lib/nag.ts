/**
 * cdk-nag acknowledgements that name the exact finding (CONVENTIONS.md #8). A wildcard-resource
 * finding's id embeds the resolved resource, so it is computed with cdk-nag's own flattening rather
 * than copied by hand from a synth log.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

/** The `AwsSolutions-IAM5[Resource::…]` id cdk-nag reports for `resource` as rendered in `scope`'s stack. */
export function wildcardResourceFinding(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(resource))}]`;
}

/**
 * Acknowledge one IAM5 wildcard-resource finding on `scope` (and its children), saying which API
 * needs it.
 *
 * @example
 * acknowledgeWildcardResource(fn, bucket.arnForObjects('*'), 's3:GetObject needs object ARNs');
 */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: wildcardResourceFinding(scope, resource), reason });
}

/** Acknowledge one finding id (e.g. `AwsSolutions-SQS3`) on `scope`. */
export function acknowledgeFinding(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Acknowledge every wildcard-resource finding of a policy CDK generates for us (e.g. a Distributed
 * Map's execution permissions), with one reason that names the API. Call it once the policy is
 * complete; a wildcard added later is still reported.
 */
export function acknowledgeGeneratedPolicyWildcards(policy: IConstruct, reason: string): void {
  const cfn = policy.node.defaultChild ?? policy;
  const doc = Stack.of(policy).resolve((cfn as unknown as { policyDocument: unknown }).policyDocument) as {
    Statement?: { Effect: string; Resource?: unknown }[];
  };
  for (const statement of doc.Statement ?? []) {
    if (statement.Effect !== 'Allow') continue;
    const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
    for (const resource of resources) {
      const flat = flattenCfnReference(resource);
      if (flat.includes('*'))
        Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
    }
  }
}
