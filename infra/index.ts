/**
 * The package's construct entry point (`import { AccessProof } from 'accessproof/infra'`), built
 * by `npm run build` into `dist/infra/index.js` with declarations (docs/deploy.md, "Use it from
 * your own CDK app"). The Lambda handlers are bundled from the package's own `functions/` sources
 * (esbuild, local), found from the package root whatever the consuming app's directory.
 */
export {
  AccessProof,
  type AccessProofKmsOptions,
  type AccessProofProps,
  PROJECT_ROOT,
} from './lib/access-proof';
export { CONTEXT_KEYS, type ContextReader, propsFromContext } from './lib/context-props';
export { EvidenceAccountStack, type EvidenceAccountStackProps } from './lib/evidence-account-stack';
export {
  IDENTITY_CENTER_ACTIONS,
  MEMBER_READER_ACTIONS,
  MemberAccountStack,
  type MemberAccountStackProps,
  MIN_EXTERNAL_ID_LENGTH,
} from './lib/member-account-stack';
export { AccessProofMembers, type AccessProofMembersProps } from './lib/members';
export {
  DEFAULT_NAME_PREFIX,
  type DeploymentNames,
  deploymentNames,
  type NameOverrides,
  type StackKind,
} from './lib/names';
export { RuntimeStack, type RuntimeStackProps, type StepName, type StepSettings } from './lib/runtime-stack';
export { StatefulStack, type StatefulStackProps } from './lib/stateful-stack';
