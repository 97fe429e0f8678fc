import { hostname } from 'node:os';
import { homeAccountId } from '../aws/accounts';
import type { AwsClients } from '../aws/clients';
import { DEFAULT_SAFETY_SETTINGS, DynamoAuditStore, drawCleanupPlan, runCleanup } from '../cleanup';
import type { SafetySettings } from '../cleanup';
import type { CollectProgress } from '../collect/collect';
import { collectInventory } from '../collect/collect';
import { createConfigStore, loadFixWorkerConfig } from '../config/store';
import { createInventoryStore } from '../inventory/dynamo-store';
import { SesMailer } from '../owners/mailer';
import { runJobsForEvent } from '../jobs/run';
import { createJobStore } from '../jobs/store';
import type { ResourceNames } from '../resources';
import { DynamoLease, LeaseTiming } from './lease';
import { EventBridgePublisher, EventPublisher } from './publisher';
import type { RunnerDeps, RunProgress, StepActions } from './runner';
import { DynamoRunStore } from './runs';

/**
 * Wires the runner to the real stores, bus and actions, for `workflow run --in-process`: the same
 * tables, bus and IAM the deployed stack uses, with collect, the plan and cleanup called directly.
 */
export interface InProcessOptions {
  clock?: () => Date;
  /** The deploy-time guards (CLI: flags or `CLOUDSWEEP_*` variables); the defaults when not given. */
  safety?: SafetySettings;
  leaseTiming?: Partial<LeaseTiming>;
  onProgress?: (progress: RunProgress) => void;
  /** The verified SES identity owners' digests are sent from (CLI: --notify-sender or CLOUDSWEEP_NOTIFY_SENDER); none: not mailed. */
  notifySender?: string;
}

export function inProcessRunner(aws: AwsClients, names: ResourceNames, options: InProcessOptions = {}): RunnerDeps {
  const clock = options.clock ?? (() => new Date());
  const publisher = new EventBridgePublisher(aws.eventbridge, names.eventBus);
  const inventory = createInventoryStore(aws, names.inventoryTable);
  const jobs = createJobStore(aws, names.jobsTable);
  return {
    publisher,
    runJobs: (event, ref) => runJobsForEvent({ jobs, inventory, clock }, event, ref),
    actions: inProcessActions(aws, names, publisher, clock, options.safety ?? DEFAULT_SAFETY_SETTINGS, options.notifySender),
    runs: new DynamoRunStore(aws, names.runsTable),
    lease: new DynamoLease(aws, names.runsTable, clock),
    clock,
    where: `${hostname()}:${process.pid}`,
    ...(options.leaseTiming ? { leaseTiming: options.leaseTiming } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
}

/** The three actions; each reads `fix.worker` when it starts, so an edit applies to the next step. */
export function inProcessActions(
  aws: AwsClients,
  names: ResourceNames,
  publisher: EventPublisher,
  clock: () => Date,
  safety: SafetySettings,
  notifySender?: string,
): StepActions {
  const inventory = createInventoryStore(aws, names.inventoryTable);
  const configStore = createConfigStore(aws, names.configTable);
  return {
    async collect(ref, progress) {
      const config = await loadFixWorkerConfig(configStore);
      return collectInventory({ aws, store: inventory, clock }, config.collector, ref.run_id, (event) => {
        const line = describeCollectProgress(event);
        if (line) progress(line);
      });
    },
    async plan() {
      const config = await loadFixWorkerConfig(configStore);
      return drawCleanupPlan({ store: inventory, clock: { now: clock }, safety }, config);
    },
    async cleanup(ref, progress, previous) {
      const config = await loadFixWorkerConfig(configStore);
      return runCleanup(
        {
          aws,
          store: inventory,
          audit: new DynamoAuditStore(aws.documents, names.auditTable, clock),
          clock: { now: clock },
          publish: (event, summary) => publisher.publish(event, { workflow: ref.workflow, run_id: ref.run_id, summary }),
          homeAccountId: await homeAccountId(aws),
          safety,
          owners: {
            ...(notifySender ? { mailer: new SesMailer(aws.sesv2, notifySender) } : {}),
            ...(publisher instanceof EventBridgePublisher ? { publishKeyStage: (event, detail) => publisher.publishKeyStage(event, detail) } : {}),
          },
        },
        config,
        ref,
        (step) => progress(`${step.done}/${step.total} ${step.access_key_id}: ${step.result}`),
        previous,
      );
    },
  };
}

function describeCollectProgress(event: CollectProgress): string | undefined {
  switch (event.type) {
    case 'accounts_listed':
      return `collecting ${event.accounts.length} account${event.accounts.length === 1 ? '' : 's'}: ${event.accounts.map((a) => a.id).join(', ')}`;
    case 'account_started':
      return undefined;
    case 'account_finished': {
      const r = event.result;
      return r.error !== undefined
        ? `account ${r.account_id} (${r.account_name}) failed: ${r.error}`
        : `account ${r.account_id} (${r.account_name}): ${r.users} users, ${r.keys} keys, ${r.calls} calls, ${(r.duration_ms / 1000).toFixed(1)}s`;
    }
  }
}
