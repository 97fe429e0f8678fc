import { clientsForAccount, MEMBER_SESSIONS } from '../aws/accounts';
import type { AwsClients } from '../aws/clients';
import type { AccountSnapshotStore } from '../inventory/account-snapshot';
import type { AccountCollectResult, AccountRef, CollectSummary } from '../workflow/contracts';
import { accountInventory, IamReading, readIam } from './account-inventory';
import { CollectorConfig, listAccounts } from './accounts';
import { CountedIam } from './counted-iam';
import { CallBudget, mapPool } from './pool';

/** What collect works with; each part can be swapped in a test. */
export interface CollectDeps {
  aws: AwsClients;
  /** The DynamoDB inventory store (`createInventoryStore`) or any store of account snapshots. */
  store: AccountSnapshotStore;
  clock?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /**
   * AWS calls in flight per account collected at once (default 8). The accounts of one collect
   * share theirs, and one account may use up to twice its share when the others leave it free.
   */
  callsPerAccount?: number;
}

/** What a progress display is told while a collect runs. */
export type CollectProgress =
  | { type: 'accounts_listed'; accounts: AccountRef[] }
  | { type: 'account_started'; account: AccountRef }
  | { type: 'account_finished'; result: AccountCollectResult };

export const DEFAULT_CALLS_PER_ACCOUNT = 8;

/** An account's IAM reading under way; the home account's starts before the accounts are listed. */
interface Reading {
  iam: CountedIam;
  inventory: Promise<IamReading>;
  started: number;
}

/** What one collect shares between its accounts. */
interface SharedRun {
  budget: CallBudget;
  /** Calls per user or key one account has in flight at most. */
  fanOut: number;
  /** The home account's reading, already under way. */
  home?: Reading;
}

function startReading(deps: CollectDeps, aws: AwsClients, { budget, fanOut }: SharedRun): Reading {
  const iam = new CountedIam(aws.iam, budget);
  const inventory = readIam(iam, {
    concurrency: fanOut,
    sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  });
  inventory.catch(() => undefined); // reported by the account's collect, which awaits it
  return { iam, inventory, started: Date.now() };
}

/**
 * Collects one account and stores its snapshot, replacing the previous one. Never throws: a failure
 * (role not assumable, access denied, throttled out after the SDK's retries) comes back as `error`,
 * and the account's previous snapshot stands.
 */
export async function collectAccount(
  deps: CollectDeps,
  account: AccountRef,
  runId: string,
  run: SharedRun = { budget: new CallBudget(callsPerAccount(deps)), fanOut: callsPerAccount(deps) },
): Promise<AccountCollectResult> {
  const { budget } = run;
  let reading = account.role_arn ? undefined : run.home;
  const started = reading?.started ?? Date.now();
  let assumed = 0;
  const result = (fields: Partial<AccountCollectResult>): AccountCollectResult => ({
    account_id: account.id,
    account_name: account.name,
    users: 0,
    keys: 0,
    calls: assumed + (reading?.iam.calls ?? 0),
    duration_ms: Date.now() - started,
    ...fields,
  });
  try {
    // What is stored for the account is read while IAM is, so only the writes follow the collect.
    const replacement = budget.run(() => deps.store.beginReplace(account.id));
    replacement.catch(() => undefined); // awaited below, once the account is read
    if (!reading) {
      if (account.role_arn) assumed = 1;
      const aws = await budget.run(() => clientsForAccount(deps.aws, account, `${MEMBER_SESSIONS.collect}-${runId}`)).catch((error: unknown) => {
        throw new Error(`cannot assume ${account.role_arn}: ${describe(error)}`);
      });
      reading = startReading(deps, aws, run);
    }
    const inventory = accountInventory(account, await reading.inventory);
    const pending = await replacement;
    const clock = deps.clock ?? (() => new Date());
    await budget.run(() => pending.commit({ accountId: account.id, collectedAt: clock().toISOString(), nodes: inventory.nodes, edges: inventory.edges }));
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
 * time, sum up. The state machine does the same three steps with a Map state in between. The home
 * account needs neither the list nor a role, so its reading starts while the others are listed.
 */
export async function collectInventory(
  deps: CollectDeps,
  config: CollectorConfig,
  runId: string,
  onProgress: (event: CollectProgress) => void = () => undefined,
): Promise<CollectSummary> {
  const started = Date.now();
  // Until the accounts are known only the home account is under way, within its own share.
  const share = callsPerAccount(deps);
  const budget = new CallBudget(share);
  const fanOut = 2 * share;
  // Asked first, so its answers come back (and the members' AssumeRole calls go out) first.
  const listing = listAccounts(deps, config);
  const home = startReading(deps, deps.aws, { budget, fanOut });
  const { accounts } = await listing.catch(async (error: unknown) => {
    await home.inventory.catch(() => undefined); // no call left running behind the caller's back
    throw error;
  });
  onProgress({ type: 'accounts_listed', accounts });
  const collecting = mapPool(accounts, config.pool_size, async (account) => {
    onProgress({ type: 'account_started', account });
    const result = await collectAccount(deps, account, runId, { budget, fanOut, home });
    onProgress({ type: 'account_finished', result });
    return result;
  });
  // Each account's first calls are in line now, so they go before the home account's fan-out
  // takes up the others' shares.
  budget.setLimit(share * Math.min(config.pool_size, accounts.length));
  const results = await collecting;
  return summarizeCollect(results, Date.now() - started);
}

function callsPerAccount(deps: CollectDeps): number {
  return deps.callsPerAccount ?? DEFAULT_CALLS_PER_ACCOUNT;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const name = error.name && error.name !== 'Error' ? `${error.name}: ` : '';
  return `${name}${error.message}`;
}
