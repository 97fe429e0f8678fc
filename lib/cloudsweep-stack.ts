import { Annotations, Aws, CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DETAILED_METRICS_ENV } from '../lambdas/shared/metric-names';
import { AUDIT_INTENT_PARTITION } from '../src/cleanup/dynamo-audit-store';
import { JOB_KEY_ATTRIBUTES, JOB_RUN_ATTRIBUTES } from '../src/jobs/store';
import { SAFETY_ENV } from '../src/cleanup/policy';
import { RESOURCE_BINDINGS, ResourceRole } from '../src/resources';
import { CloudSweepFunction } from './constructs/cloudsweep-function';
import { Monitoring } from './constructs/monitoring';
import { Notifications, OwnerEvents } from './constructs/notifications';
import { NOTIFY_SENDER_ENV } from '../src/owners/notices';
import { Schedules } from './constructs/schedules';
import { Tables } from './constructs/tables';
import { WorkflowStateMachine } from './constructs/workflow-state-machine';
import { suppressCentralFindings } from './nag-suppressions';
import { CLEANUP_IAM_READ_ACTIONS, iamReadActions, IAM_WRITE_ACTIONS, protectedUsersKeepTheirKeys } from './member-stack';
import { CloudSweepSettings, FUNCTION_ROLE_NAMES } from './settings';

/** Data writes on a table's items, PartiQL included: what the tables' resource policies keep to named principals. */
export const TABLE_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
];

/** The attributes the plan function's UpdateItem on a job may touch: the key and the run record. */
const PLAN_JOB_ATTRIBUTES = [...JOB_KEY_ATTRIBUTES, ...JOB_RUN_ATTRIBUTES];

/** AWS's pattern for limiting UpdateItem to some attributes: every attribute named is one of them, and no whole-item return. */
const PLAN_UPDATES_RUN_FIELDS_ONLY = {
  'ForAllValues:StringEquals': { 'dynamodb:Attributes': PLAN_JOB_ATTRIBUTES },
  StringEqualsIfExists: { 'dynamodb:ReturnValues': ['NONE', 'UPDATED_OLD', 'UPDATED_NEW'] },
};

function denyWritesExcept(table: dynamodb.Table, sid: string, actions: string[], principals: string[]): void {
  table.addToResourcePolicy(
    new iam.PolicyStatement({
      sid,
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions,
      // The table itself: a resource policy cannot name its own table's ARN while it is created.
      resources: ['*'],
      ...(principals.length > 0 ? { conditions: { ArnNotLike: { 'aws:PrincipalArn': principals } } } : {}),
    }),
  );
}

export interface CloudSweepStackProps extends StackProps {
  settings: CloudSweepSettings;
}

/**
 * The central account: tables, bus, the collect/plan/cleanup functions, the state machine that
 * runs the workflows, the schedules, the alarm and, when asked for, the notification topics and
 * the dashboard. Outputs name every resource the CLI needs (RESOURCE_BINDINGS in src/resources.ts).
 */
export class CloudSweepStack extends Stack {
  readonly tables: Tables;
  readonly eventBus: events.EventBus;
  readonly functions: Record<'collect' | 'plan' | 'cleanup', CloudSweepFunction>;
  readonly workflow: WorkflowStateMachine;
  readonly schedules: Schedules;
  readonly monitoring: Monitoring;
  readonly notifications?: Notifications;
  /** The key stage events' SNS topic for AWS Chatbot (context `ownerEventsTopic`). */
  readonly ownerEvents?: OwnerEvents;
  readonly settings: CloudSweepSettings;

  constructor(scope: Construct, id: string, props: CloudSweepStackProps) {
    super(scope, id, props);
    const { settings } = props;
    this.settings = settings;
    const logRetention = settings.logRetentionDays as logs.RetentionDays;

    this.tables = new Tables(this, 'Tables', { removalPolicy: settings.removalPolicy });
    this.eventBus = new events.EventBus(this, 'EventBus', { description: 'cloudsweep workflow events' });

    const environment: Record<string, string> = {
      [RESOURCE_BINDINGS.inventoryTable.env]: this.tables.inventory.tableName,
      [RESOURCE_BINDINGS.configTable.env]: this.tables.config.tableName,
      [RESOURCE_BINDINGS.jobsTable.env]: this.tables.jobs.tableName,
      [RESOURCE_BINDINGS.auditTable.env]: this.tables.audit.tableName,
      [RESOURCE_BINDINGS.runsTable.env]: this.tables.runs.tableName,
      [RESOURCE_BINDINGS.eventBus.env]: this.eventBus.eventBusName,
      ...(settings.detailedMetrics ? { [DETAILED_METRICS_ENV]: 'true' } : {}),
      // Deploy-time guards: the config table cannot change them, only a new deployment.
      [SAFETY_ENV.minimumIdleDays]: String(settings.safety.minimumIdleDays),
      [SAFETY_ENV.protectTag]: settings.safety.protectTag,
    };
    const common = { environment, logRetention };
    this.functions = {
      collect: new CloudSweepFunction(this, 'Collect', {
        ...common,
        name: 'collect',
        description: 'cloudsweep collect: lists accounts, collects IAM users and access keys per account',
        roleName: FUNCTION_ROLE_NAMES.collect,
        timeout: Duration.minutes(15),
        // Measured by the cost bench at 1 account x 20,000 users: left alone, the heap grows by up
        // to 430 MB in the first collect (every user's keys listed) and 236 MB in a steady one,
        // most of it garbage; the whole bench, handlers and all, completes the first collect
        // within a 384 MB heap (--max-old-space-size=384). Collect waits on IAM, so more memory
        // (and CPU) would cost more without finishing sooner.
        memorySize: 512,
      }),
      plan: new CloudSweepFunction(this, 'Plan', {
        ...common,
        name: 'plan',
        description: 'cloudsweep plan: runs the jobs subscribed to workflow events, draws the cleanup plan',
        roleName: FUNCTION_ROLE_NAMES.plan,
        timeout: Duration.minutes(5),
        // Measured at 1 account x 20,000 users with a key each: loading the inventory and running the
        // seed's job, or drawing the plan, grows the heap by about 40 MB (165 MB resident) and takes
        // 0.7 s of CPU. The work is CPU-bound, so a smaller size would bill the same GB-seconds over
        // a longer step; 1024 MB keeps the step short at no extra cost.
        memorySize: 1024,
      }),
      cleanup: new CloudSweepFunction(this, 'Cleanup', {
        ...common,
        name: 'cleanup',
        description: 'cloudsweep cleanup: verifies and deletes or deactivates flagged access keys',
        roleName: FUNCTION_ROLE_NAMES.cleanup,
        timeout: Duration.minutes(15),
        // One cleanup at a time, whatever starts it: two would race on the same keys.
        reservedConcurrentExecutions: 1,
        ...(settings.notifySender ? { environment: { ...environment, [NOTIFY_SENDER_ENV]: settings.notifySender } } : {}),
      }),
    };
    this.grantPermissions(settings);
    this.guardTables(settings);

    this.workflow = new WorkflowStateMachine(this, 'Workflow', {
      collect: this.functions.collect.function,
      plan: this.functions.plan.function,
      cleanup: this.functions.cleanup.function,
      eventBus: this.eventBus,
      mapMaxConcurrency: settings.mapMaxConcurrency,
      timeout: Duration.minutes(settings.workflowTimeoutMinutes),
      logRetention,
    });
    this.schedules = new Schedules(this, 'Schedules', {
      stateMachine: this.workflow.stateMachine,
      planFunction: this.functions.plan.function,
      ...(settings.schedule ? { schedule: settings.schedule } : {}),
    });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      stateMachine: this.workflow.stateMachine,
      dashboard: settings.dashboard,
      detailedMetrics: settings.detailedMetrics,
      ...(settings.notifyEmail ? { notifyEmail: settings.notifyEmail } : {}),
    });
    if (settings.notifyEmail && this.monitoring.alarmTopic) {
      this.notifications = new Notifications(this, 'Notifications', {
        eventBus: this.eventBus,
        email: settings.notifyEmail,
        key: this.monitoring.alarmTopic.key,
      });
    }
    if (settings.ownerEventsTopic) {
      this.ownerEvents = new OwnerEvents(this, 'OwnerEvents', {
        eventBus: this.eventBus,
        ...(this.monitoring.alarmTopic ? { key: this.monitoring.alarmTopic.key } : {}),
      });
    }

    this.outputs({
      inventoryTable: this.tables.inventory.tableName,
      configTable: this.tables.config.tableName,
      jobsTable: this.tables.jobs.tableName,
      auditTable: this.tables.audit.tableName,
      runsTable: this.tables.runs.tableName,
      eventBus: this.eventBus.eventBusName,
      stateMachineArn: this.workflow.stateMachine.stateMachineArn,
      planFunction: this.functions.plan.function.functionName,
      schedulerRoleArn: this.schedules.jobsRole.roleArn,
      scheduleGroup: this.schedules.jobsGroup.scheduleGroupName,
    });
    suppressCentralFindings(this);
  }

  /** Each function gets what its part of the workflow touches, nothing more. */
  private grantPermissions(settings: CloudSweepSettings): void {
    const { collect, plan, cleanup } = this.functions;
    const { inventory, config, jobs, runs } = this.tables;

    inventory.grantReadWriteData(collect.role);
    config.grantReadData(collect.role);
    // A deployed collect keeps its batches of accounts and their results under the run (src/collect/run-store.ts).
    runs.grantReadWriteData(collect.role);
    collect.role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadIam', actions: iamReadActions(), resources: ['*'] }));
    collect.role.addToPolicy(this.enterMemberAccounts(settings));
    if (settings.organization) {
      collect.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ListOrganizationAccounts',
          actions: ['organizations:ListAccounts'],
          resources: ['*'],
        }),
      );
    }

    // Plan: jobs flag keys in the inventory and record their runs; the lease and the runs it marks abandoned live in runs.
    inventory.grantReadWriteData(plan.role);
    config.grantReadData(plan.role);
    jobs.grantReadData(plan.role);
    plan.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RecordJobRunsOnly',
        actions: ['dynamodb:UpdateItem'],
        resources: [jobs.tableArn],
        conditions: PLAN_UPDATES_RUN_FIELDS_ONLY,
      }),
    );
    runs.grantReadWriteData(plan.role);
    this.eventBus.grantPutEventsTo(plan.role); // it publishes each workflow event before the event's jobs

    inventory.grantReadWriteData(cleanup.role);
    config.grantReadData(cleanup.role);
    this.grantAuditWrites(cleanup.role);
    this.eventBus.grantPutEventsTo(cleanup.role);
    const users = this.formatArn({ service: 'iam', region: '', resource: 'user', resourceName: '*' });
    // Its own short list, not collect's: no account-wide reads (authorization details, credential report).
    cleanup.role.addToPolicy(new iam.PolicyStatement({ sid: 'VerifyKeys', actions: CLEANUP_IAM_READ_ACTIONS, resources: [users] }));
    cleanup.role.addToPolicy(new iam.PolicyStatement({ sid: 'CleanUpAccessKeys', actions: IAM_WRITE_ACTIONS, resources: [users] }));
    cleanup.role.addToPolicy(protectedUsersKeepTheirKeys(settings.safety.protectTag, users));
    cleanup.role.addToPolicy(this.enterMemberAccounts(settings));
    if (settings.notifySender) {
      // Owners' digests: SendEmail from the sender's identity only (the address, or its domain when that is what SES verified).
      const domain = settings.notifySender.slice(settings.notifySender.lastIndexOf('@') + 1);
      const identity = (name: string) => this.formatArn({ service: 'ses', resource: 'identity', resourceName: name });
      cleanup.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'MailOwners',
          actions: ['ses:SendEmail'],
          resources: [identity(settings.notifySender), identity(domain)],
          conditions: { StringEquals: { 'ses:FromAddress': settings.notifySender } },
        }),
      );
    }
  }

  /**
   * Resource policies on the jobs, config and audit tables: data writes (item and PartiQL) are
   * denied to every principal but the function roles that need them and the deploy-time
   * `adminPrincipals`, whatever their identity policies say. The deny names principals by
   * `aws:PrincipalArn` in a condition, so nothing in it must exist first, and it leaves the
   * control plane (CloudFormation's own calls) alone. The plan role may update a job's run fields
   * only, in its identity policy and again here.
   */
  private guardTables(settings: CloudSweepSettings): void {
    const { jobs, config, audit } = this.tables;
    const admins = settings.adminPrincipals;
    const role = (name: string) => `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${name}`;
    const plan = role(FUNCTION_ROLE_NAMES.plan);
    const cleanup = role(FUNCTION_ROLE_NAMES.cleanup);
    const others = TABLE_WRITE_ACTIONS.filter((action) => action !== 'dynamodb:UpdateItem');

    denyWritesExcept(config, 'OnlyAdminsWriteConfig', TABLE_WRITE_ACTIONS, admins);
    denyWritesExcept(jobs, 'OnlyAdminsWriteJobs', others, admins);
    denyWritesExcept(jobs, 'OnlyAdminsAndPlanUpdateJobs', ['dynamodb:UpdateItem'], [...admins, plan]);
    jobs.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'PlanUpdatesRunFieldsOnly',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['dynamodb:UpdateItem'],
        resources: ['*'],
        conditions: { ArnEquals: { 'aws:PrincipalArn': plan }, 'ForAnyValue:StringNotEquals': { 'dynamodb:Attributes': PLAN_JOB_ATTRIBUTES } },
      }),
    );
    denyWritesExcept(audit, 'OnlyCleanupAndAdminsWriteAudit', TABLE_WRITE_ACTIONS, [...admins, cleanup]);
    if (admins.length === 0) {
      Annotations.of(this).addWarningV2(
        'cloudsweep:noAdminPrincipals',
        'CDK context "adminPrincipals" is empty: no person can write the jobs and config tables, so cleanup stays off. Name the roles that administer cloudsweep (docs/deploy.md).',
      );
    }
  }

  /**
   * AssumeRole into the member role: of the listed accounts only, or in organization mode of any
   * account of the functions' own organization (`aws:ResourceOrgID` must equal the caller's org).
   */
  private enterMemberAccounts(settings: CloudSweepSettings): iam.PolicyStatement {
    const accounts = settings.organization || settings.accounts.length === 0 ? ['*'] : settings.accounts;
    return new iam.PolicyStatement({
      sid: 'EnterMemberAccounts',
      actions: ['sts:AssumeRole'],
      resources: accounts.map((account) => `arn:${this.partition}:iam::${account}:role/${settings.memberRoleName}`),
      ...(settings.organization ? { conditions: { StringEquals: { 'aws:ResourceOrgID': '${aws:PrincipalOrgID}' } } } : {}),
    });
  }

  /**
   * Cleanup writes audit entries and intents; it may delete only intents (the `intent` partition,
   * dynamodb:LeadingKeys), so it can never remove a past decision from the audit log.
   */
  private grantAuditWrites(role: iam.IRole): void {
    const audit = this.tables.audit;
    audit.grant(role, 'dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable', 'dynamodb:PutItem');
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DeleteOnlyAuditIntents',
        actions: ['dynamodb:DeleteItem'],
        resources: [audit.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [AUDIT_INTENT_PARTITION] } },
      }),
    );
  }

  private outputs(values: Record<ResourceRole, string>): void {
    for (const role of Object.keys(values) as ResourceRole[]) {
      new CfnOutput(this, RESOURCE_BINDINGS[role].output, { value: values[role], description: `cloudsweep ${role} (${RESOURCE_BINDINGS[role].env})` });
    }
  }
}
