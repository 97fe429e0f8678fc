import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { drawCleanupPlan } from '../../src/cleanup';
import { createConfigStore, loadFixWorkerConfig } from '../../src/config/store';
import { ValidationError } from '../../src/errors';
import { createInventoryStore } from '../../src/inventory/dynamo-store';
import { runJobById, runJobsForEvent } from '../../src/jobs/run';
import { createJobStore } from '../../src/jobs/store';
import { stretchFrom } from '../../src/workflow/declaration';
import { acquireRunLease, DynamoLease, EXECUTION_LEASE_ADVICE, releaseRunLease } from '../../src/workflow/lease';
import { EventBridgePublisher } from '../../src/workflow/publisher';
import { abandonStaleRuns, DynamoRunStore } from '../../src/workflow/runs';
import type { JobRunResult, LeaseRelease, LeaseTaken, RunJobInput, RunStepsInput } from '../../src/workflow/step-payloads';
import { runStretch, StretchDeps } from '../../src/workflow/stretch';
import { parsePlanEvent } from '../shared/events';
import { addRunMetrics, planMetrics } from '../shared/metrics';
import { invoke, lambdaRuntime } from '../shared/runtime';

const runtime = lambdaRuntime();
const { aws, names, clock, safety } = runtime;
const inventory = createInventoryStore(aws, names.inventoryTable, { consistentScans: false });
const jobs = createJobStore(aws, names.jobsTable);
const config = createConfigStore(aws, names.configTable);
const lease = new DynamoLease(aws, names.runsTable, clock);
const runs = new DynamoRunStore(aws, names.runsTable);
const publisher = new EventBridgePublisher(aws.eventbridge, names.eventBus);

// Outside a workflow run: a flagging job waits a minute for a run's lease, then is refused and recorded so.
const runJob = (request: RunJobInput) => runJobById({ jobs, inventory, clock }, request.job_id, 'schedule', { lease, where: `lambda:plan`, waitMs: 60_000 });

/**
 * EventBridge Scheduler delivers at least once, and Lambda retries an asynchronous invocation: a
 * job's schedule firing at one time runs the job once, a repeated delivery gets the first run's
 * result. The record (job id and scheduled time, hashed) lives in the runs table beside the runs
 * and expires with its TTL after a day, longer than Scheduler (1 hour) and Lambda (6 hours) retry.
 */
const scheduledRuns = new IdempotencyConfig({ eventKeyJmesPath: '[job_id, scheduled_time]', expiresAfterSeconds: 24 * 3600 });
const runScheduledJobOnce = makeIdempotent(runJob, {
  persistenceStore: new DynamoDBPersistenceLayer({
    tableName: names.runsTable,
    keyAttr: 'pk',
    sortKeyAttr: 'sk',
    staticPkValue: 'idempotency#scheduled_job',
    expiryAttr: 'expires_at',
    awsSdkV3Client: aws.dynamodb,
  }),
  config: scheduledRuns,
  keyPrefix: 'scheduled_job',
});

/**
 * A stretch of the workflow's steps: each event published, its jobs run, the cleanup plan drawn
 * at cleanup_plan, and the lease given up after the workflow's last step (one state for several
 * steps, as Standard workflows bill per state transition).
 */
function runSteps(request: RunStepsInput): Promise<RunStepsInput['state']> {
  const stretch = stretchFrom(request.from);
  if (!stretch) throw new ValidationError(`no stretch of steps begins at ${request.from}`);
  const ref = { workflow: request.workflow, run_id: request.run_id };
  const deps: StretchDeps = {
    publisher,
    runJobs: (event) => runJobsForEvent({ jobs, inventory, clock }, event, ref),
    act: async (step) => {
      if (step.action !== 'plan') throw new ValidationError(`the ${step.action} action runs in states of its own, not in a stretch`);
      const plan = await drawCleanupPlan({ store: inventory, clock: { now: clock }, safety }, await loadFixWorkerConfig(config));
      addRunMetrics(runtime.metrics, runtime.publishedMetrics, planMetrics(plan));
      return plan as unknown as Record<string, unknown>;
    },
    clock,
    releaseLease: () => releaseRunLease(lease, request.run_id),
  };
  return runStretch(deps, ref, stretch, request.state);
}

/**
 * A stretch of workflow steps, one scheduled job (EventBridge Scheduler), the cleanup plan, and the
 * workflow lease (given back by the execution, or by the rule for an execution that ended without).
 */
export async function handler(event: unknown, context?: Context): Promise<RunStepsInput['state'] | JobRunResult | LeaseTaken | LeaseRelease> {
  const request = parsePlanEvent(event);
  return invoke(runtime, request, context, async () => {
    switch (request.action) {
      case 'run_steps':
        return runSteps(request);
      case 'run_job':
        if (request.scheduled_time === undefined) return runJob(request);
        // A run cut short (timeout) frees its record when the invocation's time is up, so a retry runs it.
        if (context) scheduledRuns.registerLambdaContext(context);
        return runScheduledJobOnce(request);
      case 'acquire_lease': {
        const holder = { holder: request.run_id, workflow: request.workflow, where: `step-functions:${request.run_id}`, acquired_at: clock().toISOString() };
        const taken = await acquireRunLease(lease, holder, request.ttl_seconds, EXECUTION_LEASE_ADVICE);
        const abandoned = await abandonStaleRuns(runs, request.run_id, clock());
        if (abandoned.length > 0) runtime.logger.warn('marked runs left running abandoned', { abandoned: abandoned.map((run) => run.run_id) });
        return taken;
      }
      case 'release_lease':
      case 'execution_ended':
        return releaseRunLease(lease, request.run_id);
    }
  });
}
