import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from './cloudsweep-function';

export interface MonitoringProps {
  stateMachine: sfn.StateMachine;
  notifyEmail?: string;
}

/** The metrics the Lambdas publish (lambdas/shared/metrics.ts), as the dashboard draws them. */
export const KEY_METRICS = ['KeysCollected', 'KeysFlagged', 'KeysProtected', 'KeysSkipped', 'KeysDeleted', 'KeysDeactivated', 'KeysFailed'];

/**
 * How an operator learns how cloudsweep is doing: an alarm on failed, timed out or aborted
 * executions to an SNS topic, and a dashboard of executions next to what they did to keys.
 */
export class Monitoring extends Construct {
  readonly topicKey: kms.Key;
  readonly alarmTopic: sns.Topic;
  readonly failedExecutions: cloudwatch.Alarm;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    // A key of our own: AWS-managed SNS keys cannot be used by CloudWatch alarms or EventBridge.
    this.topicKey = new kms.Key(this, 'TopicKey', { description: 'cloudsweep notification topics', enableKeyRotation: true });
    for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com']) {
      this.topicKey.grant(new iam.ServicePrincipal(service), 'kms:Decrypt', 'kms:GenerateDataKey*');
    }
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { displayName: 'cloudsweep alarms', masterKey: this.topicKey, enforceSSL: true });
    if (props.notifyEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.notifyEmail));

    const sm = props.stateMachine;
    const period = Duration.minutes(5);
    const unsuccessful = new cloudwatch.MathExpression({
      label: 'Executions failed, timed out or aborted',
      expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
      usingMetrics: {
        failed: sm.metricFailed({ period }),
        timedOut: sm.metricTimedOut({ period }),
        aborted: sm.metricAborted({ period }),
      },
      period,
    });
    this.failedExecutions = unsuccessful.createAlarm(this, 'FailedExecutions', {
      alarmDescription: 'A cloudsweep workflow execution failed, timed out or was aborted: see the state machine executions and the workflow_failed event.',
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.failedExecutions.addAlarmAction(new actions.SnsAction(this.alarmTopic));

    const keyMetric = (name: string) => new cloudwatch.MathExpression({
      label: name,
      expression: `SUM(SEARCH('{${METRICS_NAMESPACE},service} MetricName="${name}"', 'Sum', 3600))`,
      period: Duration.hours(1),
    });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Workflow executions',
            width: 12,
            left: [sm.metricStarted(), sm.metricSucceeded(), sm.metricFailed(), sm.metricTimedOut(), sm.metricAborted()],
          }),
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 12, alarms: [this.failedExecutions] }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Access keys per run', width: 12, left: KEY_METRICS.map(keyMetric) }),
          new cloudwatch.GraphWidget({
            title: 'Keys collected per account',
            width: 12,
            left: [
              new cloudwatch.MathExpression({
                label: '',
                expression: `SEARCH('{${METRICS_NAMESPACE},account,service} MetricName="KeysCollected"', 'Sum', 3600)`,
                period: Duration.hours(1),
              }),
            ],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Workflow execution time',
            width: 24,
            left: [sm.metricTime({ statistic: 'Maximum' })],
          }),
        ],
      ],
    });
  }
}
