/** The collect step (SPEC section 8), as the in-process runner and the collect Lambda call it. */
export { listAccounts } from './accounts';
export type { CollectorConfig } from './accounts';
export {
  accountBatches,
  collectAccount,
  collectBatch,
  collectInventory,
  listAccountBatches,
  summarizeCollect,
  summarizeCollectRun,
  MAX_ACCOUNTS_PER_BATCH,
} from './collect';
export { IAM_CALLS_IN_FLIGHT_PER_ACCOUNT } from './account-iam';
export { DynamoCollectRunStore } from './run-store';
export type { CollectRunStore } from './run-store';
export type { CollectDeps, CollectProgress } from './collect';
