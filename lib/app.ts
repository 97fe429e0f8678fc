import { App, AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CloudSweepStack } from './cloudsweep-stack';
import { CloudSweepMemberStack } from './member-stack';
import { CloudSweepSettings, settingsFromContext } from './settings';

export const CENTRAL_STACK = 'CloudSweep';
export const MEMBER_STACK = 'CloudSweepMember';

export interface CloudSweepApp {
  app: App;
  settings: CloudSweepSettings;
  central: CloudSweepStack;
  member: CloudSweepMemberStack;
}

/**
 * The CDK app: the central stack and the member stack, settings from context, and cdk-nag's
 * AwsSolutions rules on everything. bin/app.ts and the infrastructure tests build it the same way.
 */
export function createApp(props: AppProps = {}): CloudSweepApp {
  const app = new App(props);
  const settings = settingsFromContext((key) => app.node.tryGetContext(key));
  const central = new CloudSweepStack(app, CENTRAL_STACK, {
    settings,
    description: 'cloudsweep: finds and removes unused IAM access keys across accounts (central account)',
  });
  const member = new CloudSweepMemberStack(app, MEMBER_STACK, {
    settings,
    description: 'cloudsweep: the role the central cloudsweep functions assume in a member account',
  });
  // cdk-nag 3 runs as a policy-validation plugin: an unacknowledged finding fails the synth.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, settings, central, member };
}
