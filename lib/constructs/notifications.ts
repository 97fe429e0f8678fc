import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CLEANUP_REFUSED, EVENT_SOURCE, KEY_STAGE_EVENTS, WORKFLOW_FAILED } from '../../src/events/contracts';
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

export interface OwnerEventsProps {
  eventBus: events.IEventBus;
  /** The notification topics' key when `notifyEmail` made one; otherwise the topic gets its own ($1 a month). */
  key?: kms.IKey;
}

/**
 * The optional owner events topic (context `ownerEventsTopic`): the key stage events (key_noticed,
 * key_deactivated, key_deleted, key_kept) on an SNS topic that AWS Chatbot subscribes to for a Slack
 * channel or a Teams channel (docs/deploy.md). Any other EventBridge target can take the same rule.
 */
export class OwnerEvents extends Construct {
  readonly topic: sns.Topic;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: OwnerEventsProps) {
    super(scope, id);
    const key = props.key ?? this.ownKey();
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'cloudsweep key stages', masterKey: key, enforceSSL: true });
    this.rule = new events.Rule(this, 'Rule', {
      description: 'cloudsweep: key stage events (noticed, deactivated, deleted, kept) to the owner events topic',
      eventBus: props.eventBus,
      eventPattern: { source: [EVENT_SOURCE], detailType: [...KEY_STAGE_EVENTS] },
      targets: [new eventTargets.SnsTopic(this.topic)],
    });
  }

  /** AWS-managed SNS keys cannot be used by EventBridge: a key of our own, as the notification topics have. */
  private ownKey(): kms.Key {
    const key = new kms.Key(this, 'TopicKey', { description: 'cloudsweep owner events topic', enableKeyRotation: true });
    key.grant(new iam.ServicePrincipal('events.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    return key;
  }
}
