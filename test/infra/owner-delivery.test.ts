import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { logicalId, synthApp } from './support/synth';

const environmentOf = (template: Template, fn: Parameters<typeof logicalId>[0]) =>
  (template.toJSON().Resources[logicalId(fn)] as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables;

function sesStatements(template: Template): unknown[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
    ((policy as { Properties: { PolicyDocument: { Statement: { Action: unknown }[] } } }).Properties.PolicyDocument.Statement).filter((statement) => JSON.stringify(statement.Action).includes('ses:')),
  );
}

describe('telling owners (CDK context notifySender, ownerEventsTopic)', () => {
  const defaults = synthApp();

  it('by default sends no e-mail to owners and creates no owner events topic', () => {
    expect(environmentOf(defaults.centralTemplate, defaults.central.functions.cleanup.function)).not.toHaveProperty('CLOUDSWEEP_NOTIFY_SENDER');
    expect(sesStatements(defaults.centralTemplate)).toEqual([]);
    expect(defaults.centralTemplate.findResources('AWS::Events::Rule', { Properties: { EventPattern: { 'detail-type': Match.arrayWith(['key_noticed']) } } })).toEqual({});
  });

  it('with notifySender, gives the cleanup function (only) the sender and SendEmail from that address alone', () => {
    const app = synthApp({ notifySender: 'cloudsweep@example.com' });
    const template = app.centralTemplate;
    expect(environmentOf(template, app.central.functions.cleanup.function)).toMatchObject({ CLOUDSWEEP_NOTIFY_SENDER: 'cloudsweep@example.com' });
    expect(environmentOf(template, app.central.functions.plan.function)).not.toHaveProperty('CLOUDSWEEP_NOTIFY_SENDER');
    const statements = sesStatements(template);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({ Action: 'ses:SendEmail', Effect: 'Allow', Condition: { StringEquals: { 'ses:FromAddress': 'cloudsweep@example.com' } } });
    expect(JSON.stringify(statements[0])).toContain('identity/cloudsweep@example.com');
    const policies = template.findResources('AWS::IAM::Policy', { Properties: { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'MailOwners' })]) } } });
    expect(Object.values(policies).map((p) => (p as { Properties: { Roles: unknown[] } }).Properties.Roles)).toEqual([[{ Ref: logicalId(app.central.functions.cleanup.role) }]]);
  });

  it('refuses a notifySender that is not an e-mail address, naming the key', () => {
    expect(() => synthApp({ notifySender: 'cloudsweep' })).toThrow(/"notifySender"/);
  });

  it('with ownerEventsTopic, routes exactly the key stage events to an encrypted SNS topic', () => {
    const template = synthApp({ ownerEventsTopic: true }).centralTemplate;
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['cloudsweep'], 'detail-type': ['key_noticed', 'key_deactivated', 'key_deleted', 'key_kept'] },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('OwnerEventsTopic') } })],
    });
    template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'cloudsweep key stages', KmsMasterKeyId: Match.anyValue() });
    // Its own key without notifyEmail; the notification topics' key with it (one $1 key, not two).
    template.resourceCountIs('AWS::KMS::Key', 1);
    synthApp({ ownerEventsTopic: true, notifyEmail: 'ops@example.com' }).centralTemplate.resourceCountIs('AWS::KMS::Key', 1);
  });

  it.each([
    ['owner events topic and sender', { ownerEventsTopic: true, notifySender: 'cloudsweep@example.com' }],
    ['owner events topic with notifications', { ownerEventsTopic: true, notifyEmail: 'ops@example.com' }],
  ])('leaves no unacknowledged cdk-nag finding (%s)', (_name, context) => {
    const app = synthApp(context);
    const report = new AwsSolutionsChecks().validateScope(app.central);
    expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`)).toEqual([]);
  });
});
