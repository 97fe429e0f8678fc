/** The collect step (SPEC section 8), as the in-process runner and the collect Lambda call it. */
export { listAccounts } from './accounts';
export type { CollectorConfig } from './accounts';
export { collectAccount, collectInventory, summarizeCollect, DEFAULT_CALLS_PER_ACCOUNT } from './collect';
export type { CollectDeps, CollectProgress } from './collect';
