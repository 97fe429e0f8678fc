import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { WorkflowName } from '../../src/workflow/declaration';

export interface SchedulesProps {
  stateMachine: sfn.IStateMachine;
  planFunction: lambda.IFunction;
  /** Scheduler expression for the workflow; undefined: no workflow schedule. */
  schedule?: string;
}

export const SCHEDULED_WORKFLOW: WorkflowName = 'collect_and_cleanup';

/**
 * What EventBridge Scheduler needs: the schedule that starts `collect_and_cleanup`, and the group
 * and role that `jobs add --schedule` uses to create a schedule per job, each invoking the plan
 * function with `{action: 'run_job', job_id, scheduled_time}`.
 */
export class Schedules extends Construct {
  readonly workflowSchedule?: scheduler.Schedule;
  readonly jobsGroup: scheduler.ScheduleGroup;
  readonly jobsRole: iam.Role;

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    const stack = Stack.of(this);

    if (props.schedule) {
      this.workflowSchedule = new scheduler.Schedule(this, 'Workflow', {
        description: `cloudsweep: starts the ${SCHEDULED_WORKFLOW} workflow`,
        schedule: scheduler.ScheduleExpression.expression(props.schedule),
        target: new targets.StepFunctionsStartExecution(props.stateMachine, {
          input: scheduler.ScheduleTargetInput.fromObject({ workflow: SCHEDULED_WORKFLOW }),
          retryAttempts: 3,
        }),
      });
    }

    this.jobsGroup = new scheduler.ScheduleGroup(this, 'JobsGroup', {});
    // Only schedules of this account, in the jobs group, may act with this role (confused deputy).
    this.jobsRole = new iam.Role(this, 'JobsRole', {
      description: 'cloudsweep: lets job schedules invoke the plan function',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'scheduler',
              resource: 'schedule',
              resourceName: `${this.jobsGroup.scheduleGroupName}/*`,
            }),
          },
        },
      }),
    });
    props.planFunction.grantInvoke(this.jobsRole);
  }
}
