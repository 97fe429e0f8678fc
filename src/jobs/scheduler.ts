import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { RunJobInput, SCHEDULED_JOB_INPUT_TIME } from '../workflow/step-payloads';
import type { Job } from './job';
import { parseSchedule } from './schedule';

/**
 * Keeps the deployed stack's EventBridge Scheduler schedules in step with the `--schedule` jobs:
 * one schedule per job, which invokes the plan function with `{action: 'run_job', job_id,
 * scheduled_time}` (the time it fired, which makes a repeated delivery recognisable).
 * In-process (no stack) there is no scheduler and the schedule is only stored and shown.
 */
export interface JobScheduler {
  /** Creates or replaces the job's schedule; removes it when the job is no longer scheduled. */
  sync(job: Job): Promise<void>;
  remove(jobId: string): Promise<void>;
}

export interface SchedulerTarget {
  group: string;
  /** The role EventBridge Scheduler assumes to invoke the plan function. */
  roleArn: string;
  /** The plan function: a name or an ARN. */
  planFunction: string;
}

export function scheduleName(jobId: string): string {
  return `job-${jobId}`;
}

export class EventBridgeJobScheduler implements JobScheduler {
  constructor(
    private readonly scheduler: SchedulerClient,
    private readonly target: SchedulerTarget,
  ) {}

  async sync(job: Job): Promise<void> {
    if (!('schedule' in job.trigger)) return this.remove(job.id);
    const input = await this.scheduleInput(job, job.trigger.schedule);
    try {
      await this.scheduler.send(new CreateScheduleCommand(input));
    } catch (error) {
      if (!(error instanceof ConflictException) && (error as { name?: string }).name !== 'ConflictException') throw error;
      await this.scheduler.send(new UpdateScheduleCommand(input));
    }
  }

  async remove(jobId: string): Promise<void> {
    try {
      await this.scheduler.send(new DeleteScheduleCommand({ Name: scheduleName(jobId), GroupName: this.target.group }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException) && (error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
    }
  }

  private async scheduleInput(job: Job, schedule: string): Promise<CreateScheduleCommandInput> {
    const payload: RunJobInput = { action: 'run_job', job_id: job.id, scheduled_time: SCHEDULED_JOB_INPUT_TIME };
    return {
      Name: scheduleName(job.id),
      GroupName: this.target.group,
      ScheduleExpression: parseSchedule(schedule).scheduler,
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: job.active ? 'ENABLED' : 'DISABLED',
      Description: `cloudsweep job ${job.id}: ${job.command}`.slice(0, 512),
      Target: {
        Arn: await this.functionArn(),
        RoleArn: this.target.roleArn,
        Input: JSON.stringify(payload),
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
      },
    };
  }

  /** The stack exports the function's name; Scheduler wants its ARN, in the role's account. */
  private async functionArn(): Promise<string> {
    const { planFunction, roleArn } = this.target;
    if (planFunction.startsWith('arn:')) return planFunction;
    const [, partition = 'aws', , , account = ''] = roleArn.split(':');
    const region = await this.scheduler.config.region();
    return `arn:${partition}:lambda:${region}:${account}:function:${planFunction}`;
  }
}

/** The scheduler for a deployed stack, or none when its names are missing (in-process use). */
export function jobSchedulerFor(
  scheduler: () => SchedulerClient,
  names: { scheduleGroup?: string; schedulerRoleArn?: string; planFunction?: string },
): JobScheduler | undefined {
  const { scheduleGroup, schedulerRoleArn, planFunction } = names;
  if (!scheduleGroup || !schedulerRoleArn || !planFunction) return undefined;
  return new EventBridgeJobScheduler(scheduler(), { group: scheduleGroup, roleArn: schedulerRoleArn, planFunction });
}
