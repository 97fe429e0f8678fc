import type { Context } from 'aws-lambda';
import { collectBatch, DynamoCollectRunStore, listAccountBatches, summarizeCollectRun } from '../../src/collect';
import { createConfigStore, loadFixWorkerConfig } from '../../src/config/store';
import { createInventoryStore } from '../../src/inventory/dynamo-store';
import type { BatchCollectResult, CollectBatches, CollectSummary } from '../../src/workflow/step-payloads';
import { parseCollectEvent } from '../shared/events';
import { addRunMetrics, collectMetrics } from '../shared/metrics';
import { decisionLogger, invoke, lambdaRuntime } from '../shared/runtime';

const runtime = lambdaRuntime();
const { aws, names, metrics } = runtime;
const inventory = createInventoryStore(aws, names.inventoryTable);
const config = createConfigStore(aws, names.configTable);
const runs = new DynamoCollectRunStore(aws, names.runsTable, runtime.clock);

/**
 * The collect step, in three actions around the state machine's Map: list the accounts into
 * batches, collect one batch, sum up. Each account's result goes to the runs table and to the log
 * (`account collected`), not into the workflow's state.
 */
export async function handler(event: unknown, context?: Context): Promise<CollectBatches | BatchCollectResult | CollectSummary> {
  const request = parseCollectEvent(event);
  return invoke(runtime, request, context, async () => {
    switch (request.action) {
      case 'list_accounts':
        return listAccountBatches({ aws, runs }, (await loadFixWorkerConfig(config)).collector, request.run_id);
      case 'collect_batch': {
        const collector = (await loadFixWorkerConfig(config)).collector;
        const logger = decisionLogger(runtime.logger);
        return collectBatch({ aws, store: inventory, clock: runtime.clock, runs, logger }, collector, request.run_id, request.batch);
      }
      case 'summarize': {
        const summary = await summarizeCollectRun(runs, request.run_id);
        addRunMetrics(metrics, runtime.publishedMetrics, collectMetrics(summary));
        return summary;
      }
    }
  });
}
