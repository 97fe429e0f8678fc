import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DETAILED_METRICS } from '../../lambdas/shared/metric-names';
import { METRICS_NAMESPACE } from './cloudsweep-function';

export interface MonitoringProps {
  stateMachine: sfn.StateMachine;
  /** With an address, the alarm goes to an encrypted topic it is subscribed to; without, the alarm only changes state. */
  notifyEmail?: string;
  /** Draw the dashboard ($3 a month). */
  dashboard: boolean;
  /** The Lambdas publish DETAILED_METRICS too ($0.30 a month each); the dashboard draws them. */
  detailedMetrics: boolean;
}

/** Where the alarm is sent: the topic and its key exist only when someone is notified. */
export interface AlarmTopic {
  topic: sns.Topic;
  key: kms.Key;
}

/**
 * How an operator learns how cloudsweep is doing, at the price of what it is worth: an alarm on
 * the workflow's failed or timed out executions (Step Functions' own metrics, which cost nothing;
 * an aborted execution is somebody's StopExecution, not news), sent to an e-mail topic when
 * notifications are on, and, when asked for, a dashboard.
 */
export class Monitoring extends Construct {
  readonly failedExecutions: cloudwatch.Alarm;
  readonly alarmTopic?: AlarmTopic;
  readonly dashboard?: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const sm = props.stateMachine;
    const period = Duration.minutes(5);
    const unsuccessful = new cloudwatch.MathExpression({
      label: 'Executions failed or timed out',
      expression: 'FILL(failed, 0) + FILL(timedOut, 0)',
      usingMetrics: { failed: sm.metricFailed({ period }), timedOut: sm.metricTimedOut({ period }) },
      period,
    });
    this.failedExecutions = unsuccessful.createAlarm(this, 'FailedExecutions', {
      alarmDescription: 'A cloudsweep workflow execution failed or timed out: see the state machine executions and the workflow_failed event.',
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.notifyEmail) {
      this.alarmTopic = this.alarmTopicFor(props.notifyEmail);
      this.failedExecutions.addAlarmAction(new actions.SnsAction(this.alarmTopic.topic));
    }
    if (props.dashboard) this.dashboard = this.drawDashboard(sm, props.detailedMetrics);
  }

  /**
   * A key of our own ($1 a month): AWS-managed SNS keys cannot be used by CloudWatch alarms or
   * EventBridge. The notification topic (lib/constructs/notifications.ts) shares it.
   */
  private alarmTopicFor(email: string): AlarmTopic {
    const key = new kms.Key(this, 'TopicKey', { description: 'cloudsweep notification topics', enableKeyRotation: true });
    for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com']) {
      key.grant(new iam.ServicePrincipal(service), 'kms:Decrypt', 'kms:GenerateDataKey*');
    }
    const topic = new sns.Topic(this, 'AlarmTopic', { displayName: 'cloudsweep alarms', masterKey: key, enforceSSL: true });
    topic.addSubscription(new subscriptions.EmailSubscription(email));
    return { topic, key };
  }

  private drawDashboard(sm: sfn.StateMachine, detailed: boolean): cloudwatch.Dashboard {
    const runMetric = (name: string) =>
      new cloudwatch.MathExpression({
        label: name,
        expression: `SUM(SEARCH('{${METRICS_NAMESPACE},service} MetricName="${name}"', 'Sum', 3600))`,
        period: Duration.hours(1),
      });
    return new cloudwatch.Dashboard(this, 'Dashboard', {
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
          // Without detailed metrics the functions publish none: what a run did is in the logs.
          ...(detailed ? [new cloudwatch.GraphWidget({ title: 'Per run', width: 12, left: DETAILED_METRICS.map(runMetric) })] : []),
          new cloudwatch.GraphWidget({ title: 'Workflow execution time', width: 12, left: [sm.metricTime({ statistic: 'Maximum' })] }),
        ],
      ],
    });
  }
}
