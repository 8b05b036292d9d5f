/**
 * The default CDK app (`cdk.json`: `npx tsx infra/app.ts`). It reads its settings from context —
 * `cdk.json` defaults or `-c key=value` — and runs cdk-nag's AwsSolutions checks on every synth.
 * No lookups, no Docker: `npx cdk synth` works offline without AWS credentials.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AccessProof } from './lib/access-proof';
import { propsFromContext } from './lib/context-props';

const app = new App();
new AccessProof(
  app,
  'AccessProof',
  propsFromContext((key) => app.node.tryGetContext(key)),
);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
