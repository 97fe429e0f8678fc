import { setTimeout as sleep } from 'node:timers/promises';
import { clientsForAccount, homeAccountId, MEMBER_SESSIONS, memberRoleArn } from '../aws/accounts';
import { meteringCapacity, roundUnits } from '../aws/capacity';
import type { AwsClients } from '../aws/clients';
import { awsErrorText } from '../aws/errors';
import type { AccountSnapshotStore } from '../inventory/account-snapshot';
import { mapPool } from '../pool';
import type { AccountCollectResult, AccountRef, BatchCollectResult, CollectBatches, CollectSummary } from '../workflow/step-payloads';
import { AccountIam, accountIam } from './account-iam';
import { accountInventory, readIam, storedKeysOf } from './account-inventory';
import { CollectorConfig, listAccounts } from './accounts';
import type { CollectRunStore } from './run-store';

/** What collect works with; each part can be swapped in a test. */
export interface CollectDeps {
  aws: AwsClients;
  /** The DynamoDB inventory store (`createInventoryStore`) or any store of account snapshots. */
  store: AccountSnapshotStore;
  /** When snapshots are collected and how long accounts take; the system clock when not given. */
  clock?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

/** What a progress display is told while a collect runs. */
export type CollectProgress =
  | { type: 'accounts_listed'; accounts: AccountRef[] }
  | { type: 'account_started'; account: AccountRef }
  | { type: 'account_finished'; result: AccountCollectResult };

const systemClock = (): Date => new Date();

/**
 * Collects one account and stores its snapshot, replacing the previous one: what the state
 * machine's Map runs for each account of a batch, and the in-process collect for each account.
 * Never throws: a failure (role not assumable, access denied, throttled out after the SDK's
 * retries) comes back as `error`, and the account's previous snapshot stands.
 */
export async function collectAccount(deps: CollectDeps, account: AccountRef, runId: string): Promise<AccountCollectResult> {
  const { result, units } = await meteringCapacity(() => readAndStore(deps, account, runId));
  return { ...result, ...units };
}

async function readAndStore(deps: CollectDeps, account: AccountRef, runId: string): Promise<AccountCollectResult> {
  const clock = deps.clock ?? systemClock;
  const started = clock().getTime();
  let assumed = 0;
  let counted: AccountIam | undefined;
  const result = (fields: Partial<AccountCollectResult>): AccountCollectResult => ({
    account_id: account.id,
    account_name: account.name,
    users: 0,
    keys: 0,
    calls: assumed + (counted?.calls() ?? 0),
    duration_ms: clock().getTime() - started,
    ...fields,
  });
  try {
    // What is stored for the account is read while IAM is, so only the writes follow the collect.
    const replacement = deps.store.beginReplace(account.id);
    replacement.catch(() => undefined); // awaited below, once the account is read
    if (account.role_arn) assumed = 1;
    const aws = await clientsForAccount(deps.aws, account, `${MEMBER_SESSIONS.collect}-${runId}`).catch((error: unknown) => {
      throw new Error(`cannot assume ${account.role_arn}: ${awsErrorText(error)}`);
    });
    counted = accountIam(aws);
    const reading = await readIam(counted.iam, {
      sleep: deps.sleep ?? sleep,
      // Without the stored keys (the read failed) every user with keys is listed, as on a first collect.
      stored: replacement.then((pending) => storedKeysOf(pending.previous)).catch(() => new Map()),
    });
    const inventory = accountInventory(account, reading);
    const pending = await replacement;
    await pending.commit({ accountId: account.id, collectedAt: clock().toISOString(), nodes: inventory.nodes, edges: inventory.edges });
    return result({ users: inventory.users, keys: inventory.keys });
  } catch (error) {
    return result({ error: awsErrorText(error) });
  }
}

/** The run's totals over every account's result. */
export function summarizeCollect(results: readonly AccountCollectResult[], durationMs?: number): CollectSummary {
  return {
    accounts: results.length,
    users: results.reduce((sum, r) => sum + r.users, 0),
    keys: results.reduce((sum, r) => sum + r.keys, 0),
    calls: results.reduce((sum, r) => sum + r.calls, 0),
    failed_accounts: results.filter((r) => r.error !== undefined).map((r) => r.account_id),
    duration_ms: durationMs ?? results.reduce((max, r) => Math.max(max, r.duration_ms), 0),
    read_units: roundUnits(results.reduce((sum, r) => sum + (r.read_units ?? 0), 0)),
    write_units: roundUnits(results.reduce((sum, r) => sum + (r.write_units ?? 0), 0)),
  };
}

/**
 * The whole collect step in one process: list the accounts, collect them `pool_size` at a time,
 * each with `collectAccount`, sum up. The state machine does the same in batches
 * (listAccountBatches, collectBatch, summarizeCollectRun).
 */
export async function collectInventory(
  deps: CollectDeps,
  config: CollectorConfig,
  runId: string,
  onProgress: (event: CollectProgress) => void = () => undefined,
): Promise<CollectSummary> {
  const clock = deps.clock ?? systemClock;
  const started = clock().getTime();
  const { accounts } = await listAccounts(deps, config);
  onProgress({ type: 'accounts_listed', accounts });
  const results = await collectAccounts(deps, accounts, config.pool_size, runId, onProgress);
  return summarizeCollect(results, clock().getTime() - started);
}

/** Collects `accounts`, `poolSize` at a time; each account caps its own IAM calls in flight. */
async function collectAccounts(
  deps: CollectDeps,
  accounts: readonly AccountRef[],
  poolSize: number,
  runId: string,
  onProgress: (event: CollectProgress) => void,
): Promise<AccountCollectResult[]> {
  return mapPool(accounts, poolSize, async (account) => {
    onProgress({ type: 'account_started', account });
    const result = await collectAccount(deps, account, runId);
    onProgress({ type: 'account_finished', result });
    return result;
  });
}

/** At most this many accounts in one batch, so one Lambda invocation collects them well within its 15 minutes. */
export const MAX_ACCOUNTS_PER_BATCH = 25;

/**
 * Splits the accounts into as few contiguous batches as hold MAX_ACCOUNTS_PER_BATCH each, of nearly
 * equal size: 20 accounts make one batch, 5,000 make 200. A batch collects `pool_size` of its
 * accounts at once in one invocation, which waits on IAM for all of them together: more, smaller
 * batches would pay a Lambda's duration and a state transition for each without collecting faster.
 */
export function accountBatches<T>(accounts: readonly T[], perBatch = MAX_ACCOUNTS_PER_BATCH): T[][] {
  if (accounts.length === 0) return [];
  const count = Math.ceil(accounts.length / perBatch);
  return Array.from({ length: count }, (_, i) =>
    accounts.slice(Math.floor((i * accounts.length) / count), Math.floor(((i + 1) * accounts.length) / count)),
  );
}

/** The state machine's list_accounts: the accounts, stored in batches; the state gets their numbers. */
export async function listAccountBatches(
  deps: { aws: AwsClients; runs: CollectRunStore },
  config: CollectorConfig,
  runId: string,
  perBatch = MAX_ACCOUNTS_PER_BATCH,
): Promise<CollectBatches> {
  const { accounts } = await listAccounts(deps, config);
  const batches = accountBatches(accounts, perBatch);
  await deps.runs.saveBatches(runId, batches);
  return { accounts: accounts.length, batches: batches.map((_, n) => n) };
}

/**
 * The state machine's collect_batch: collects one batch's accounts, logging each result as it
 * comes (`account collected`, for Logs Insights), and stores the batch's results together. A batch
 * whose invocation dies stores none: summarize counts its accounts failed, as the log shows which
 * of them were collected.
 */
export async function collectBatch(
  deps: CollectDeps & { runs: CollectRunStore; logger?: { info(message: string, attributes: Record<string, unknown>): void } },
  config: CollectorConfig,
  runId: string,
  batch: number,
): Promise<BatchCollectResult> {
  const home = await homeAccountId(deps.aws);
  const accounts = (await deps.runs.batch(runId, batch)).map((account) => trustedAccount(account, home, config.member_role));
  const results = await collectAccounts(deps, accounts, config.pool_size, runId, (event) => {
    if (event.type === 'account_finished') deps.logger?.info('account collected', { ...event.result });
  });
  await deps.runs.saveResults(runId, batch, results);
  return { batch, accounts: results.length, failed: results.filter((r) => r.error !== undefined).length };
}

/**
 * The account as collect enters it: the role ARN is derived from the account id and the config,
 * never taken from what the runs table (or an event) says, so a row written there cannot send
 * collect into another role or read the home account under a member's name.
 */
export function trustedAccount(account: AccountRef, homeAccount: string, memberRole: string): AccountRef {
  if (!/^\d{12}$/.test(account.id)) throw new Error(`collect batch names account ${JSON.stringify(account.id)}, not a 12-digit account id`);
  const { role_arn: _stored, ...rest } = account;
  return account.id === homeAccount ? rest : { ...rest, role_arn: memberRoleArn(account.id, memberRole) };
}

/**
 * The state machine's summarize: the totals over the results stored by the run's batches. An
 * account with no result was in a batch whose invocation failed as a whole (its Lambda timed
 * out, say): it counts as failed, and its previous snapshot stands.
 */
export async function summarizeCollectRun(runs: CollectRunStore, runId: string): Promise<CollectSummary> {
  const { accounts, results } = await runs.load(runId);
  const byId = new Map(results.map((result) => [result.account_id, result]));
  return summarizeCollect(
    accounts.map(
      (account) =>
        byId.get(account.id) ?? {
          account_id: account.id,
          account_name: account.name,
          users: 0,
          keys: 0,
          calls: 0,
          duration_ms: 0,
          error: 'its batch did not finish: see the execution history for the collect function error',
        },
    ),
  );
}
