/**
 * Test helper: synthesize the AccessProof app the way `cdk synth` does (cdk.json context, cdk-nag
 * plugin), with bundling stubbed unless a test asks for the real esbuild run.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AccessProof, type AccessProofProps, PROJECT_ROOT } from '../../infra/lib/access-proof';
import { propsFromContext } from '../../infra/lib/context-props';

export const CDK_CONTEXT: Record<string, unknown> = (
  JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
).context;

export interface Synthesized {
  app: App;
  accessProof: AccessProof;
  stateful: Template;
  runtime: Template;
  member: Template;
}

/** Synthesize with cdk.json's context, `context` overrides and `props` overrides. */
export function synth(options: SynthOptions = {}): Synthesized {
  const context = {
    ...CDK_CONTEXT,
    // Required (synth stops without it or an alarm topic): tests that check the refusal pass ''.
    notificationEmail: 'alarms@example.com',
    // Required, with no default anywhere (cdk.json carries none): a test value.
    externalId: 'ap-test-7f3c9e1d5b2a4c60',
    ...options.context,
    // Stubs NodejsFunction bundling: the one bundling test leaves this out.
    ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
  };
  const app = new App({ context, outdir: mkdtempSync(join(tmpdir(), 'accessproof-cdk-')) });
  const props = { ...propsFromContext((k) => app.node.tryGetContext(k)), ...options.props };
  const accessProof = new AccessProof(app, 'AccessProof', props);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
  return {
    app,
    accessProof,
    stateful: Template.fromStack(accessProof.stateful),
    runtime: Template.fromStack(accessProof.runtime),
    member: Template.fromStack(accessProof.member!),
  };
}

export type SynthOptions = {
  context?: Record<string, unknown>;
  props?: Partial<AccessProofProps>;
  bundle?: boolean;
};

/**
 * The app that runtime-stack and operations assert on: an Organization source (Distributed Map),
 * alarms mailed to security@, the schedule in a named time zone.
 */
export const ORG_APP: SynthOptions = {
  context: { notificationEmail: 'security@example.com', scheduleTimeZone: 'Europe/Oslo' },
};

/** The reviewer app's sign-in as the infra tests configure it: an Entra tenant's OIDC issuer. */
export const REVIEWS_OIDC = {
  issuerUrl: 'https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0',
  clientId: '66666666-7777-8888-9999-000000000000',
  clientSecretName: 'accessproof/entra-reviews-client-secret',
};

const synthesized = new Map<string, Synthesized>();

/**
 * `synth(options)`, once per test worker for equal options: the infra files run in one worker
 * without isolation (vitest.config.ts, project `infra`), so files asserting on the same app share
 * one synth instead of repeating it. For files that only read the result; a test that changes the
 * app, or expects synth to fail, calls `synth` for its own.
 */
export function sharedSynth(options: SynthOptions = {}): Synthesized {
  const key = optionsKey(options);
  let app = synthesized.get(key);
  if (!app) {
    app = synth(options);
    synthesized.set(key, app);
  }
  return app;
}

/** Equal for equal plain-data options, whatever their key order; `x: undefined` is not `{}`. */
function optionsKey(options: SynthOptions): string {
  return JSON.stringify(options, (_key, value: unknown) => {
    if (value === undefined) return '<undefined>';
    if (typeof value === 'function') throw new Error('sharedSynth: options must be plain data');
    if (value && typeof value === 'object' && !Array.isArray(value))
      return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return value;
  });
}

type Json = Record<string, unknown>;
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export const asList = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** Every statement of every identity policy attached (inline or AWS::IAM::Policy) to the role. */
export function roleStatements(template: Template, roleLogicalId: string): Statement[] {
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Json }>;
  const out: Statement[] = [];
  const role = resources[roleLogicalId];
  if (!role) throw new Error(`no role ${roleLogicalId}`);
  for (const p of asList(role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[])) {
    out.push(...p.PolicyDocument.Statement);
  }
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    const roles = asList(r.Properties.Roles as { Ref?: string }[]);
    if (roles.some((x) => x.Ref === roleLogicalId)) {
      out.push(...(r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    }
  }
  return out;
}

/** Sorted, de-duplicated Allow actions of a role. */
export function allowedActions(template: Template, roleLogicalId: string): string[] {
  return [
    ...new Set(
      roleStatements(template, roleLogicalId)
        .filter((s) => s.Effect === 'Allow')
        .flatMap((s) => asList(s.Action)),
    ),
  ].sort();
}

/** The logical id of the role of the Lambda function whose POWERTOOLS_SERVICE_NAME is `service`. */
export function functionRole(template: Template, service: string): string {
  const fns = template.findResources('AWS::Lambda::Function', {
    Properties: { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: service } } },
  });
  const fn = Object.values(fns)[0] as
    | { Properties: { Role: { 'Fn::GetAtt': [string, string] } } }
    | undefined;
  if (!fn) throw new Error(`no function for ${service}`);
  return fn.Properties.Role['Fn::GetAtt'][0];
}

/** The only resource of a type, by logical id. */
export function onlyResource(template: Template, type: string): { id: string; props: Json; resource: Json } {
  const found = Object.entries(template.findResources(type));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  const [id, resource] = found[0]!;
  return { id, props: (resource as { Properties: Json }).Properties, resource: resource as Json };
}

/**
 * The state machine definition as JSON. CloudFormation tokens (function ARNs, bucket names) only
 * ever appear inside JSON strings, so they are replaced by a marker that keeps the JSON valid.
 */
export function stateMachineDefinition(template: Template): StateMachineDefinition {
  const { props } = onlyResource(template, 'AWS::StepFunctions::StateMachine');
  const body = props.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : '<TOKEN>')).join(body['Fn::Join'][0]);
  return JSON.parse(text) as StateMachineDefinition;
}

export interface StateDefinition {
  Type: string;
  Next?: string;
  End?: boolean;
  Retry?: { ErrorEquals: string[]; IntervalSeconds?: number; MaxAttempts?: number; BackoffRate?: number }[];
  Catch?: { ErrorEquals: string[]; ResultPath?: string; Next: string }[];
  Parameters?: Json;
  ResultPath?: string | null;
  OutputPath?: string;
  Choices?: Json[];
  Default?: string;
  ItemsPath?: string;
  ItemSelector?: Json;
  ItemReader?: Json;
  ResultWriter?: Json;
  ToleratedFailurePercentage?: number;
  ItemProcessor?: StateMachineDefinition & { ProcessorConfig?: { Mode?: string; ExecutionType?: string } };
  Result?: Json;
  [key: string]: unknown;
}
export interface StateMachineDefinition {
  StartAt: string;
  States: Record<string, StateDefinition>;
}

/** Every state, nested Map processors included, by name. */
export function allStates(def: StateMachineDefinition): Record<string, StateDefinition> {
  const out: Record<string, StateDefinition> = {};
  for (const [name, state] of Object.entries(def.States)) {
    out[name] = state;
    if (state.ItemProcessor) Object.assign(out, allStates(state.ItemProcessor));
  }
  return out;
}
