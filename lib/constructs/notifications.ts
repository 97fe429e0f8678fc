import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { CLEANUP_REFUSED, EVENT_SOURCE, WORKFLOW_FAILED } from '../../src/events/contracts';
import type { WorkflowEvent } from '../../src/workflow/declaration';

export interface NotificationsProps {
  eventBus: events.IEventBus;
  email: string;
  key: kms.IKey;
}

/** What a person wants to read: what the next cleanup will remove, what it removed, and every failure. */
export const NOTIFIED_EVENTS: string[] = [
  'post_cleanup_plan' satisfies WorkflowEvent,
  'post_cleanup' satisfies WorkflowEvent,
  WORKFLOW_FAILED,
  CLEANUP_REFUSED,
];

/** The optional notification topic (context `notifyEmail`), fed by a rule on the cloudsweep bus. */
export class Notifications extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'cloudsweep notifications', masterKey: props.key, enforceSSL: true });
    this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    new events.Rule(this, 'Rule', {
      description: 'cloudsweep: plan and cleanup summaries and failures to the notification topic',
      eventBus: props.eventBus,
      eventPattern: { source: [EVENT_SOURCE], detailType: NOTIFIED_EVENTS },
      targets: [new eventTargets.SnsTopic(this.topic)],
    });
  }
}
