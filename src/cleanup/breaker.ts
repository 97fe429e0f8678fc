import { effectiveSettings, hasOwnLimits } from '../config/account-overrides';
import type { FixWorkerConfig } from '../config/fix-worker';
import type { FlaggedKey } from './candidates';

type Limits = Pick<FixWorkerConfig['fixworker'], 'max_cleanup_per_run' | 'max_cleanup_percent'>;

/**
 * The circuit breaker (SPEC section 7 step 3): why the whole run must be refused before any write,
 * or undefined. A run that would touch more keys than a person would expect is stopped for review.
 * Each limit exceeded is named with the numbers compared.
 */
export function breakerRefusal(candidates: number, keysInScope: number, fixworker: Limits): string | undefined {
  const exceeded = exceededLimits(candidates, keysInScope, fixworker);
  if (exceeded.length === 0) return undefined;
  return exceeded.map((limit) => limit.why).join('; and ');
}

/**
 * The command that raises exactly the exceeded limits to let this run through: what a person who
 * reviewed the flagged keys and agrees types next. Undefined when nothing is exceeded.
 */
export function breakerRaiseCommand(candidates: number, keysInScope: number, fixworker: Limits): string | undefined {
  const exceeded = exceededLimits(candidates, keysInScope, fixworker);
  if (exceeded.length === 0) return undefined;
  return `cloudsweep config set fix.worker ${exceeded.map((limit) => `fixworker.${limit.key}=${limit.needed}`).join(' ')}`;
}

interface ExceededLimit {
  key: keyof Limits;
  why: string;
  /** The smallest setting that lets the run through. */
  needed: number;
}

function exceededLimits(candidates: number, keysInScope: number, fixworker: Limits): ExceededLimit[] {
  if (candidates === 0) return [];
  const exceeded: ExceededLimit[] = [];
  if (candidates > fixworker.max_cleanup_per_run) {
    exceeded.push({ key: 'max_cleanup_per_run', why: `${candidates} keys to clean exceed max_cleanup_per_run (${fixworker.max_cleanup_per_run})`, needed: candidates });
  }
  const percent = keysInScope === 0 ? 100 : (candidates * 100) / keysInScope;
  if (percent > fixworker.max_cleanup_percent) {
    exceeded.push({
      key: 'max_cleanup_percent',
      why: `${candidates} of ${keysInScope} keys in scope (${round(percent)}%) exceed max_cleanup_percent (${fixworker.max_cleanup_percent}%)`,
      needed: Math.min(100, Math.ceil(percent)),
    });
  }
  return exceeded;
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/**
 * The breaker with per-account limits (fix.worker `accounts`): the keys of an account that sets its
 * own `max_cleanup_per_run` or `max_cleanup_percent` are measured against those, over that account's
 * keys; all other keys against fixworker's, over the other keys in scope. Any group over its
 * limits refuses the whole run. Without overrides this is breakerRefusal / breakerRaiseCommand.
 */
export function accountBreaker(
  candidates: readonly FlaggedKey[],
  keysInScope: number,
  keysInScopeByAccount: ReadonlyMap<string, number>,
  config: Pick<FixWorkerConfig, 'fixworker' | 'accounts'>,
): { refusal: string; raise: string } | undefined {
  const own = new Map<string, { label: string; configKey: string; candidates: number }>();
  let rest = candidates.length;
  let restScope = keysInScope;
  for (const key of candidates) {
    const configKey = ownLimitsKey(config, key.accountId, key.accountName);
    if (configKey === undefined || key.accountId === undefined) continue;
    const group = own.get(key.accountId) ?? { label: key.accountName ?? key.accountId, configKey, candidates: 0 };
    group.candidates += 1;
    own.set(key.accountId, group);
    rest -= 1;
  }
  for (const accountId of own.keys()) restScope -= keysInScopeByAccount.get(accountId) ?? 0;
  const refusals: string[] = [];
  const raises: string[] = [];
  const global = breakerRefusal(rest, restScope, config.fixworker);
  if (global) {
    refusals.push(global);
    raises.push((breakerRaiseCommand(rest, restScope, config.fixworker) ?? '').replace(/^cloudsweep config set fix\.worker /, ''));
  }
  for (const [accountId, group] of own) {
    const limits = effectiveSettings(config, accountId, group.label);
    const scope = keysInScopeByAccount.get(accountId) ?? 0;
    const refusal = breakerRefusal(group.candidates, scope, limits);
    if (!refusal) continue;
    refusals.push(`account ${group.label}: ${refusal}`);
    const raise = (breakerRaiseCommand(group.candidates, scope, limits) ?? '').replace(/^cloudsweep config set fix\.worker /, '');
    raises.push(raise.replace(/fixworker\./g, `accounts.${group.configKey}.`));
  }
  if (refusals.length === 0) return undefined;
  return { refusal: refusals.join('; and '), raise: `cloudsweep config set fix.worker ${raises.join(' ')}` };
}

/** The `accounts` key (id, else name) that sets the account's own breaker limits, if one does. */
function ownLimitsKey(config: Pick<FixWorkerConfig, 'accounts'>, accountId: string | undefined, accountName: string | undefined): string | undefined {
  for (const key of [accountId, accountName]) {
    if (key !== undefined && Object.prototype.hasOwnProperty.call(config.accounts, key) && hasOwnLimits(config.accounts[key] ?? {})) return key;
  }
  return undefined;
}
