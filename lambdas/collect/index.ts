import { collectAccount, listAccounts, summarizeCollect } from '../../src/collect';
import { createConfigStore, loadFixWorkerConfig } from '../../src/config/store';
import { createInventoryStore } from '../../src/inventory/dynamo-store';
import type { AccountCollectResult, CollectSummary, ListAccountsOutput } from '../../src/workflow/contracts';
import { parseCollectEvent } from '../shared/events';
import { accountCollectMetrics, addKeyMetrics, collectSummaryMetrics } from '../shared/metrics';
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
        const result = await collectAccount({ aws, store: inventory, clock: runtime.clock }, request.account, request.run_id);
        addKeyMetrics(metrics, accountCollectMetrics(result));
        return result;
      }
      case 'summarize': {
        const summary = summarizeCollect(request.results);
        addKeyMetrics(metrics, collectSummaryMetrics(summary));
        return summary;
      }
    }
  });
}
