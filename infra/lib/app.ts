/**
 * Builds the stacks of Berth's environments into a CDK app: `Berth-<env>` in the environment's
 * account and region, and `Berth-<env>-Edge` in us-east-1 when the gateway sits behind
 * CloudFront. cdk-nag's AwsSolutions pack checks every stack at synthesis: an unacknowledged
 * finding stops `cdk synth` and `cdk deploy`.
 */
import { type App, Validations } from 'aws-cdk-lib';
import nag from 'cdk-nag';
import { BerthEdgeStack } from './edge-stack.ts';
import { BerthStack } from './berth-stack.ts';
import { ENVIRONMENTS, readEnvironmentSettings } from './settings.ts';

/** The context key holding the environments' settings (see infra/cdk.json). */
export const SETTINGS_CONTEXT = 'berth:environments';

/**
 * Adds the stacks of `environment` (`-c environment=…`), or of every environment when absent.
 * @returns the stacks added
 * @throws SettingsError when a setting is missing or malformed
 */
export function addBerthStacks(app: App, environment?: string): Array<BerthStack | BerthEdgeStack> {
  const names = environment === undefined ? [...ENVIRONMENTS] : [environment];
  const stacks: Array<BerthStack | BerthEdgeStack> = [];
  for (const name of names) {
    const settings = readEnvironmentSettings(app.node.tryGetContext(SETTINGS_CONTEXT), name);
    const main = new BerthStack(app, `Berth-${name}`, {
      settings,
      env: { region: settings.region, ...(settings.account ? { account: settings.account } : {}) },
      terminationProtection: settings.production,
      description: `Berth control plane (${name})`,
    });
    stacks.push(main);
    if (settings.exposure === 'cloudfront') {
      const edge = new BerthEdgeStack(app, `Berth-${name}-Edge`, {
        settings,
        originHost: main.originHost,
        env: { region: 'us-east-1', ...(settings.account ? { account: settings.account } : {}) },
        terminationProtection: settings.production,
        description: `Berth gateway behind CloudFront (${name})`,
      });
      edge.addStackDependency(main, 'CloudFront reaches origin.<zone>, a record of the main stack');
      stacks.push(edge);
    }
  }
  Validations.of(app).addPlugins(new nag.AwsSolutionsChecks(app));
  return stacks;
}
