/**
 * The CDK app: `npx cdk deploy --all -c environment=production` from `infra/`
 * (`cdk.json` runs this file with the repository's Node 24). Without
 * `-c environment=…` it synthesises every environment.
 */
import { App } from 'aws-cdk-lib';
import { addBerthStacks } from '../lib/app.ts';

const app = new App();
const environment: unknown = app.node.tryGetContext('environment');
addBerthStacks(app, typeof environment === 'string' ? environment : undefined);
app.synth();
