import { collectAccount, listAccounts, summarizeCollect } from '../../src/collect';
import { createConfigStore, loadFixWorkerConfig } from '../../src/config/store';
import { createInventoryStore } from '../../src/inventory/dynamo-store';
import type { AccountCollectResult, CollectSummary, ListAccountsOutput } from '../../src/workflow/contracts';
import { parseCollectEvent } from '../shared/events';
import { addRunMetrics, collectMetrics } from '../shared/metrics';
import { invoke, lambdaRuntime } from '../shared/runtime';

const runtime = lambdaRuntime();
const { aws, names, metrics } = runtime;
const inventory = createInventoryStore(aws, names.inventoryTable);
const config = createConfigStore(aws, names.configTable);

/** The collect step, in three actions around the state machine's Map: list, collect one account, sum up. */
export async function handler(event: unknown): Promise<ListAccountsOutput | AccountCollectResult | CollectSummary> {
  const request = parseCollectEvent(event);
  return invoke(runtime, request, async () => {
    switch (request.action) {
      case 'list_accounts':
        return listAccounts({ aws }, (await loadFixWorkerConfig(config)).collector);
      case 'collect_account': {
        // Its detail goes to the log (the invocation's `done` line), not to a metric per account.
        return collectAccount({ aws, store: inventory, clock: runtime.clock }, request.account, request.run_id);
      }
      case 'summarize': {
        const summary = summarizeCollect(request.results);
        addRunMetrics(metrics, runtime.publishedMetrics, collectMetrics(summary));
        return summary;
      }
    }
  });
}
