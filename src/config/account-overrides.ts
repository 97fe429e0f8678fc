import type { FixWorkerConfig } from './fix-worker';

/**
 * Account-by-account rollout (issue 18 item 6): fix.worker `accounts: {ID_OR_NAME: {overrides}}`
 * replaces these `fixworker` settings for the keys of one account, so a team can go live in its
 * sandbox accounts first. Pure: the config and the account come in, the effective settings go out.
 */
export const ACCOUNT_OVERRIDE_KEYS = ['cleanup', 'cleanup_dry_run', 'deactivate_grace', 'max_cleanup_per_run', 'max_cleanup_percent'] as const;
export type AccountOverrideKey = (typeof ACCOUNT_OVERRIDE_KEYS)[number];
export type AccountOverrides = Partial<Pick<FixWorkerConfig['fixworker'], AccountOverrideKey>>;
export type CleanupSettings = FixWorkerConfig['fixworker'];

/**
 * The overrides that apply to an account: those set under its name, then those under its id
 * (the id is the more precise, so it wins where both set a key).
 */
export function overridesFor(config: Pick<FixWorkerConfig, 'accounts'>, accountId: string | undefined, accountName: string | undefined): AccountOverrides {
  const byName = accountName !== undefined && accountName !== accountId ? own(config.accounts, accountName) : undefined;
  const byId = accountId !== undefined ? own(config.accounts, accountId) : undefined;
  return { ...byName, ...byId };
}

/** `fixworker` with the account's overrides applied. */
export function effectiveSettings(config: Pick<FixWorkerConfig, 'fixworker' | 'accounts'>, accountId: string | undefined, accountName?: string): CleanupSettings {
  return { ...config.fixworker, ...overridesFor(config, accountId, accountName) };
}

/** True when cleanup may act in at least one account: globally enabled, or enabled for one. */
export function cleanupEnabledAnywhere(config: Pick<FixWorkerConfig, 'fixworker' | 'accounts'>): boolean {
  return config.fixworker.cleanup || Object.values(config.accounts).some((overrides) => overrides.cleanup === true);
}

/** True when a breaker limit is set for the account itself: its keys are then measured on their own. */
export function hasOwnLimits(overrides: AccountOverrides): boolean {
  return overrides.max_cleanup_per_run !== undefined || overrides.max_cleanup_percent !== undefined;
}

function own(accounts: FixWorkerConfig['accounts'], key: string): AccountOverrides | undefined {
  return Object.prototype.hasOwnProperty.call(accounts, key) ? accounts[key] : undefined;
}
