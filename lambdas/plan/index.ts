import { drawCleanupPlan } from '../../src/cleanup';
import { createConfigStore, loadFixWorkerConfig } from '../../src/config/store';
import { createInventoryStore } from '../../src/inventory/dynamo-store';
import { runJobById, runJobsForEvent } from '../../src/jobs/run';
import { createJobStore } from '../../src/jobs/store';
import type { JobRunResult, JobsSummary, PlanSummary } from '../../src/workflow/contracts';
import { parsePlanEvent } from '../shared/events';
import { addKeyMetrics, planMetrics } from '../shared/metrics';
import { invoke, lambdaRuntime } from '../shared/runtime';

const runtime = lambdaRuntime();
const { aws, names, clock } = runtime;
const inventory = createInventoryStore(aws, names.inventoryTable);
const jobs = createJobStore(aws, names.jobsTable);
const config = createConfigStore(aws, names.configTable);

/** Jobs of a workflow event, one scheduled job (EventBridge Scheduler), and the cleanup plan. */
export async function handler(event: unknown): Promise<JobsSummary | JobRunResult | PlanSummary> {
  const request = parsePlanEvent(event);
  return invoke(runtime, request, async () => {
    switch (request.action) {
      case 'run_jobs':
        return runJobsForEvent({ jobs, inventory, clock }, request.event, request);
      case 'run_job':
        return runJobById({ jobs, inventory, clock }, request.job_id, 'schedule');
      case 'plan': {
        const plan = await drawCleanupPlan({ store: inventory, clock: { now: clock } }, await loadFixWorkerConfig(config));
        addKeyMetrics(runtime.metrics, planMetrics(plan));
        return plan;
      }
    }
  });
}
