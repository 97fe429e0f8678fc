import { clientsForAccount } from '../aws/accounts';
import type { AwsClients } from '../aws/clients';
import type { AccountSnapshotStore } from '../inventory/account-snapshot';
import type { AccountCollectResult, AccountRef, CollectSummary } from '../workflow/contracts';
import { readAccountInventory } from './account-inventory';
import { CollectorConfig, listAccounts } from './accounts';
import { CountedIam } from './counted-iam';
import { mapPool } from './pool';

/** What collect works with; each part can be swapped in a test. */
export interface CollectDeps {
  aws: AwsClients;
  /** The DynamoDB inventory store (`createInventoryStore`) or any store of account snapshots. */
  store: AccountSnapshotStore;
  clock?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** IAM calls in flight at once within one account (ListAccessKeys fan-out). Default 8. */
  iamConcurrency?: number;
}

/** What a progress display is told while a collect runs. */
export type CollectProgress =
  | { type: 'accounts_listed'; accounts: AccountRef[] }
  | { type: 'account_started'; account: AccountRef }
  | { type: 'account_finished'; result: AccountCollectResult };

export const DEFAULT_IAM_CONCURRENCY = 8;

/**
 * Collects one account and stores its snapshot, replacing the previous one. Never throws: a failure
 * (role not assumable, access denied, throttled out after the SDK's retries) comes back as `error`,
 * and the account's previous snapshot stands.
 */
export async function collectAccount(deps: CollectDeps, account: AccountRef, runId: string): Promise<AccountCollectResult> {
  const clock = deps.clock ?? (() => new Date());
  const started = Date.now();
  let calls = 0;
  let iam: CountedIam | undefined;
  const result = (fields: Partial<AccountCollectResult>): AccountCollectResult => ({
    account_id: account.id,
    account_name: account.name,
    users: 0,
    keys: 0,
    calls: calls + (iam?.calls ?? 0),
    duration_ms: Date.now() - started,
    ...fields,
  });
  try {
    // What is stored for the account is read while IAM is, so only the writes follow the collect.
    const replacement = deps.store.beginReplace(account.id);
    if (account.role_arn) calls += 1; // the AssumeRole
    const aws = await clientsForAccount(deps.aws, account, `cloudsweep-collect-${runId}`).catch((error: unknown) => {
      throw new Error(`cannot assume ${account.role_arn}: ${describe(error)}`);
    });
    iam = new CountedIam(aws.iam);
    const inventory = await readAccountInventory(iam, account, {
      concurrency: deps.iamConcurrency ?? DEFAULT_IAM_CONCURRENCY,
      sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    });
    await replacement.commit({ accountId: account.id, collectedAt: clock().toISOString(), nodes: inventory.nodes, edges: inventory.edges });
    return result({ users: inventory.users, keys: inventory.keys });
  } catch (error) {
    return result({ error: describe(error) });
  }
}

/** The run's totals over every account's result. */
export function summarizeCollect(results: readonly AccountCollectResult[], durationMs?: number): CollectSummary {
  return {
    accounts: [...results],
    users: results.reduce((sum, r) => sum + r.users, 0),
    keys: results.reduce((sum, r) => sum + r.keys, 0),
    failed_accounts: results.filter((r) => r.error !== undefined).map((r) => r.account_id),
    duration_ms: durationMs ?? results.reduce((max, r) => Math.max(max, r.duration_ms), 0),
  };
}

/**
 * The whole collect step in one process: list the accounts, collect `pool_size` of them at a
 * time, sum up. The state machine does the same three steps with a Map state in between.
 */
export async function collectInventory(
  deps: CollectDeps,
  config: CollectorConfig,
  runId: string,
  onProgress: (event: CollectProgress) => void = () => undefined,
): Promise<CollectSummary> {
  const started = Date.now();
  const { accounts } = await listAccounts(deps, config);
  onProgress({ type: 'accounts_listed', accounts });
  const results = await mapPool(accounts, config.pool_size, async (account) => {
    onProgress({ type: 'account_started', account });
    const result = await collectAccount(deps, account, runId);
    onProgress({ type: 'account_finished', result });
    return result;
  });
  return summarizeCollect(results, Date.now() - started);
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const name = error.name && error.name !== 'Error' ? `${error.name}: ` : '';
  return `${name}${error.message}`;
}
