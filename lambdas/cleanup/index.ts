import type { Context } from 'aws-lambda';
import { homeAccountId } from '../../src/aws/accounts';
import { DynamoAuditStore, runCleanup } from '../../src/cleanup';
import type { CleanupRunSummary } from '../../src/cleanup';
import { createConfigStore, loadFixWorkerConfig } from '../../src/config/store';
import { createInventoryStore } from '../../src/inventory/dynamo-store';
import { SesMailer } from '../../src/owners/mailer';
import { EventBridgePublisher } from '../../src/workflow/publisher';
import { parseCleanupEvent } from '../shared/events';
import { addRunMetrics, cleanupMetrics } from '../shared/metrics';
import { decisionLogger, invoke, lambdaRuntime } from '../shared/runtime';

const runtime = lambdaRuntime();
const { aws, names, clock, safety } = runtime;
const inventory = createInventoryStore(aws, names.inventoryTable, { consistentScans: false });
const audit = new DynamoAuditStore(aws.documents, names.auditTable, clock);
const config = createConfigStore(aws, names.configTable);
const publisher = new EventBridgePublisher(aws.eventbridge, names.eventBus);
const mailer = runtime.notifySender ? new SesMailer(aws.sesv2, runtime.notifySender) : undefined;
let home: Promise<string> | undefined;

/**
 * The cleanup: verify and remove the flagged keys, until the invocation's time runs short (the
 * summary's `remaining` says how many are left). A refused run throws CleanupRefusedError.
 */
export async function handler(event: unknown, context?: Context): Promise<CleanupRunSummary> {
  const request = parseCleanupEvent(event);
  return invoke(runtime, request, context, async () => {
    home ??= homeAccountId(aws);
    const summary = await runCleanup(
      {
        aws,
        store: inventory,
        audit,
        clock: { now: clock },
        publish: (name, payload) => publisher.publish(name, { workflow: request.workflow, run_id: request.run_id, summary: payload }),
        homeAccountId: await home,
        safety,
        owners: {
          ...(mailer ? { mailer } : {}),
          publishKeyStage: (event, detail) => publisher.publishKeyStage(event, detail),
        },
        logger: decisionLogger(runtime.logger),
        // Stop taking keys before Lambda ends the invocation; the state machine invokes it again.
        ...(context ? { remainingMs: () => context.getRemainingTimeInMillis() } : {}),
      },
      await loadFixWorkerConfig(config),
      request,
      undefined,
      request.summaries?.cleanup,
    );
    addRunMetrics(runtime.metrics, runtime.publishedMetrics, cleanupMetrics(summary));
    return summary;
  });
}
