import type { AccountOverrides, FixWorkerConfig } from './fix-worker';

/**
 * Account-by-account rollout (issue 18 item 6): fix.worker `accounts: {ID_OR_NAME: {overrides}}`
 * replaces these `fixworker` settings for the keys of one account, so a team can go live in its
 * sandbox accounts first (the keys: ACCOUNT_OVERRIDE_FIELDS in ./fix-worker.ts). Pure: the config
 * and the account come in, the effective settings go out.
 */

/** The settings cleanup applies to one key: `fixworker`, and `notify.notice_period` (overridable per account too). */
export type CleanupSettings = FixWorkerConfig['fixworker'] & Pick<FixWorkerConfig['notify'], 'notice_period'>;
type SettingsSource = Pick<FixWorkerConfig, 'fixworker' | 'accounts'> & { notify: Pick<FixWorkerConfig['notify'], 'notice_period'> };

/**
 * The overrides that apply to an account: those set under its name, then those under its id
 * (the id is the more precise, so it wins where both set a key).
 */
export function overridesFor(config: Pick<FixWorkerConfig, 'accounts'>, accountId: string | undefined, accountName: string | undefined): AccountOverrides {
  const byName = accountName !== undefined && accountName !== accountId ? own(config.accounts, accountName) : undefined;
  const byId = accountId !== undefined ? own(config.accounts, accountId) : undefined;
  return { ...byName, ...byId };
}

/** `fixworker` and `notify.notice_period` with the account's overrides applied. */
export function effectiveSettings(config: SettingsSource, accountId: string | undefined, accountName?: string): CleanupSettings {
  return { ...config.fixworker, notice_period: config.notify.notice_period, ...overridesFor(config, accountId, accountName) };
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
