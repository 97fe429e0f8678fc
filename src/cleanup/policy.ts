import { CleanupSettings, effectiveSettings, hasOwnLimits } from '../config/account-overrides';
import type { FixWorkerConfig } from '../config/fix-worker';
import { ValidationError } from '../errors';
import { INTERACTIVE_FLAGGER } from '../inventory/flags';
import type { InventoryGraph } from '../inventory/graph';
import type { InventoryNode, Metadata } from '../inventory/model';
import { describeTerms, exemptionEnded, protectTagTerms } from '../owners/exemption';
import { durationSetting, noticeStage } from '../owners/notices';
import { formatDuration, parseDuration } from '../query/durations';
import type { AuditAction } from './audit';
import type { KeyFacts } from './verify-and-act';

/**
 * Cleanup's policy, pure: which keys a run may touch (deploy-time safety settings, protection,
 * candidates, grace, the circuit breaker) and what to do with one key once IAM has been asked.
 */

// --- safety settings: the deploy-time guards -------------------------------------------------

/**
 * The guards a deployment fixes and no stored data can change (SPEC 12): CDK context for the
 * stack, passed to the cleanup Lambda by environment; the in-process runner reads the same
 * variables (or its flags). Never part of fix.worker: whoever can write the config table must
 * not be able to lower them.
 */
export interface SafetySettings {
  /** Cleanup never writes to a key that IAM shows used, or created, within this many days. */
  minimumIdleDays: number;
  /** A user carrying this tag (value not "false") is protected: by IAM on the key writes and by the code. */
  protectTag: string;
}

export const DEFAULT_SAFETY_SETTINGS: SafetySettings = { minimumIdleDays: 30, protectTag: 'cloudsweep:protect' };

export const SAFETY_ENV: Record<keyof SafetySettings, string> = {
  minimumIdleDays: 'CLOUDSWEEP_MINIMUM_IDLE_DAYS',
  protectTag: 'CLOUDSWEEP_PROTECT_TAG',
};

const DAY_MS = 86_400_000;
const MAX_IDLE_DAYS = 3650;

export function minimumIdleMs(settings: SafetySettings): number {
  return settings.minimumIdleDays * DAY_MS;
}

/**
 * A whole number of days from 1 to 3650. Zero is refused: a floor that can be set to nothing is
 * not a floor. `where` names the setting in the message (a context key, a variable, a flag).
 */
export function checkMinimumIdleDays(value: unknown, where: string): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > MAX_IDLE_DAYS) {
    throw new ValidationError(`${where} is ${JSON.stringify(value)}: expected a whole number of days from 1 to ${MAX_IDLE_DAYS}`);
  }
  return number;
}

/** An IAM tag key: 1 to 128 letters, digits, spaces and `_ . : / = + - @`, not starting with `aws:`. */
export function checkProtectTag(value: unknown, where: string): string {
  if (typeof value !== 'string' || !/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u.test(value) || value.toLowerCase().startsWith('aws:')) {
    throw new ValidationError(`${where} is ${JSON.stringify(value)}: expected an IAM tag key (1-128 letters, digits, spaces, _ . : / = + - @)`);
  }
  return value;
}

/** A flag the in-process runner was given: it wins over the environment. */
export interface SafetyFlags {
  minimumIdleDays?: string;
  protectTag?: string;
}

/** The settings from the flags, else `CLOUDSWEEP_MINIMUM_IDLE_DAYS` / `CLOUDSWEEP_PROTECT_TAG`, else the defaults. */
export function safetySettingsFromEnv(env: NodeJS.ProcessEnv, flags: SafetyFlags = {}): SafetySettings {
  const source = (key: keyof SafetySettings, flag: string): { value: string; where: string } | undefined => {
    if (flags[key] !== undefined) return { value: flags[key], where: flag };
    const value = env[SAFETY_ENV[key]];
    return value === undefined || value === '' ? undefined : { value, where: SAFETY_ENV[key] };
  };
  const days = source('minimumIdleDays', '--minimum-idle-days');
  const tag = source('protectTag', '--protect-tag');
  return {
    minimumIdleDays: days ? checkMinimumIdleDays(days.value, days.where) : DEFAULT_SAFETY_SETTINGS.minimumIdleDays,
    protectTag: tag ? checkProtectTag(tag.value, tag.where) : DEFAULT_SAFETY_SETTINGS.protectTag,
  };
}

/** The tags that protect a user: always the deployed one, and fix.worker's `protect_tag` when it names another. */
export function protectTags(settings: SafetySettings, configured: string): string[] {
  return configured === settings.protectTag || configured === '' ? [settings.protectTag] : [settings.protectTag, configured];
}

// --- protection ------------------------------------------------------------------------------

/**
 * Why a key must not be cleaned, or undefined when nothing protects it: `metadata.protected` on the
 * key or its user, or one of the protect tags (the deployed one, and fix.worker's when it names
 * another) on the user with any value but "false" (IAM access keys carry no tags of their own).
 * An exemption whose `until` has passed no longer protects (see protectTagReason for the tag).
 */
export function protectionOf(key: InventoryNode, user: InventoryNode | undefined, protectTags: readonly string[], now: Date): string | undefined {
  if (isProtected(key.metadata, now)) return `the key is protected (metadata.protected${describeTerms(metadataTerms(key.metadata))})`;
  if (user && isProtected(user.metadata, now)) return `user ${userName(user)} is protected (metadata.protected${describeTerms(metadataTerms(user.metadata))})`;
  const tags = user?.reported.tags;
  if (tags && typeof tags === 'object') {
    const reason = protectTagReason(tags as Record<string, unknown>, protectTags, user ? userName(user) : '?', now);
    if (reason) return reason;
  }
  return undefined;
}

/** `metadata.protected`, unless its `protected_until` has passed. */
export function isProtected(metadata: Metadata, now: Date): boolean {
  return metadata.protected === true && !exemptionEnded(metadata.protected_until, now);
}

function metadataTerms(metadata: Metadata): { until?: string; reason?: string } {
  return {
    ...(typeof metadata.protected_until === 'string' ? { until: metadata.protected_until } : {}),
    ...(typeof metadata.protect_reason === 'string' ? { reason: metadata.protect_reason } : {}),
  };
}

/**
 * The protect tags' verdict on a user's tags (as collected, or fresh from ListUserTags). The first
 * of `protectTags` is the deployed one, which IAM enforces on the key writes whatever its value
 * says; fix.worker's is enforced by this code alone. A value `until=DATE; reason=...` whose date
 * has passed ends the exemption: fix.worker's tag then no longer protects; the deployed one still
 * does (IAM would refuse the writes, it cannot read dates), and the reason says to remove it.
 */
export function protectTagReason(tags: Record<string, unknown>, protectTags: readonly string[], user: string, now: Date): string | undefined {
  for (const [index, protectTag] of protectTags.entries()) {
    if (!Object.prototype.hasOwnProperty.call(tags, protectTag)) continue;
    const value = tags[protectTag];
    // Only an explicit "false" lifts the protection (IAM's deny reads it the same way): an empty or odd value still protects.
    if (typeof value === 'string' && value.toLowerCase() === 'false') continue;
    const terms = typeof value === 'string' ? protectTagTerms(value) : {};
    if (exemptionEnded(terms.until, now)) {
      if (index > 0) continue;
      return `the exemption of user ${user} ended at ${terms.until}${terms.reason ? ` (${terms.reason})` : ''}, but the user still carries the protect tag ${protectTag}, which IAM enforces: remove the tag to let cleanup act`;
    }
    return terms.until === undefined ? `user ${user} carries the protect tag ${protectTag}=${String(value)}` : `user ${user} carries the protect tag ${protectTag}${describeTerms(terms)}`;
  }
  return undefined;
}

function userName(user: InventoryNode): string {
  return typeof user.reported.name === 'string' ? user.reported.name : user.id;
}

// --- candidates ------------------------------------------------------------------------------

/** A key flagged for cleanup (`desired.clean == true`, not yet cleaned), with where it lives. */
export interface FlaggedKey {
  node: InventoryNode;
  user: InventoryNode | undefined;
  accessKeyId: string;
  userName: string;
  /** Undefined when the inventory has no account above the key: such a key is never acted on. */
  accountId: string | undefined;
  accountName: string | undefined;
  /** The job that flagged it (`metadata.flagged_by`); null for a user's own search, or unknown. */
  jobId: string | null;
  /** Flagged by a user's own `search ... | clean`, not by a job. */
  flaggedInteractively: boolean;
}

export interface CleanupSelection {
  flagged: FlaggedKey[];
  protected: { key: FlaggedKey; reason: string }[];
  /** Deactivated by cloudsweep and still inside `deactivate_grace`, or noticed and inside `notice_period`: nothing to do this run. */
  waiting: { key: FlaggedKey; until: string; for: 'grace' | 'notice' }[];
  /** What this run verifies and acts on. */
  candidates: FlaggedKey[];
  /** All keys in the inventory that are not cleaned: the base of `max_cleanup_percent`. */
  keysInScope: number;
  /** The same, per account id (for accounts with their own breaker limits). */
  keysInScopeByAccount: Map<string, number>;
}

/** SPEC section 7 step 1, from the inventory alone: who is flagged, protected, waiting, or a candidate. */
export function selectCandidates(
  graph: InventoryGraph,
  protectTags: readonly string[],
  graceMs: number | ((key: FlaggedKey) => number),
  now: Date,
  noticeMs: (key: FlaggedKey) => number = () => 0,
): CleanupSelection {
  const selection: CleanupSelection = { flagged: [], protected: [], waiting: [], candidates: [], keysInScope: 0, keysInScopeByAccount: new Map() };
  for (const node of graph.nodes()) {
    if (node.kind !== 'aws_iam_access_key' || node.metadata.cleaned === true) continue;
    selection.keysInScope += 1;
    const accountId = graph.accountOf(node.id)?.id;
    if (accountId !== undefined) selection.keysInScopeByAccount.set(accountId, (selection.keysInScopeByAccount.get(accountId) ?? 0) + 1);
    if (node.desired.clean !== true) continue;
    const key = flaggedKey(graph, node);
    selection.flagged.push(key);
    const protection = protectionOf(node, key.user, protectTags, now);
    if (protection) {
      selection.protected.push({ key, reason: protection });
      continue;
    }
    const until = graceEnd(node, typeof graceMs === 'number' ? graceMs : graceMs(key));
    if (until !== undefined && until > now.getTime()) {
      selection.waiting.push({ key, until: new Date(until).toISOString(), for: 'grace' });
      continue;
    }
    const notice = noticeStage(node.metadata, noticeMs(key), now);
    if (notice.kind === 'waiting') {
      selection.waiting.push({ key, until: notice.actsAfter, for: 'notice' });
      continue;
    }
    selection.candidates.push(key);
  }
  const order = (a: FlaggedKey, b: FlaggedKey) =>
    (a.accountId ?? '').localeCompare(b.accountId ?? '') || a.userName.localeCompare(b.userName) || a.accessKeyId.localeCompare(b.accessKeyId);
  selection.flagged.sort(order);
  selection.candidates.sort(order);
  selection.protected.sort((a, b) => order(a.key, b.key));
  selection.waiting.sort((a, b) => order(a.key, b.key));
  return selection;
}

export function flaggedKey(graph: InventoryGraph, node: InventoryNode): FlaggedKey {
  const user = graph.ancestor(node.id, 'aws_iam_user');
  const account = graph.accountOf(node.id);
  const reportedUser = node.reported.user_name;
  const flaggedBy = typeof node.metadata.flagged_by === 'string' ? node.metadata.flagged_by : undefined;
  const interactive = flaggedBy === INTERACTIVE_FLAGGER;
  return {
    node,
    user,
    accessKeyId: node.id,
    userName: typeof reportedUser === 'string' ? reportedUser : typeof user?.reported.name === 'string' ? user.reported.name : '',
    accountId: account?.id,
    accountName: account && typeof account.reported.name === 'string' ? account.reported.name : account?.id,
    jobId: interactive ? null : (flaggedBy ?? null),
    flaggedInteractively: interactive,
  };
}

/** When a key cloudsweep deactivated may be deleted (epoch ms), or undefined when it has no deactivation. */
export function graceEnd(node: InventoryNode, graceMs: number): number | undefined {
  if (graceMs <= 0 || typeof node.metadata.deactivated_at !== 'string') return undefined;
  const at = Date.parse(node.metadata.deactivated_at);
  return Number.isNaN(at) ? undefined : at + graceMs;
}

/**
 * The selection without the keys of accounts where cleanup is off (fix.worker `accounts`): nothing
 * there is touched or audited, as under `cleanup: false`. `notEnabled` counts their flagged keys.
 */
export function onlyEnabledAccounts(selection: CleanupSelection, config: Pick<FixWorkerConfig, 'fixworker' | 'accounts' | 'notify'>): { kept: CleanupSelection; notEnabled: number } {
  const enabled = (key: FlaggedKey) => effectiveSettings(config, key.accountId, key.accountName).cleanup;
  const kept: CleanupSelection = {
    ...selection,
    protected: selection.protected.filter(({ key }) => enabled(key)),
    waiting: selection.waiting.filter(({ key }) => enabled(key)),
    candidates: selection.candidates.filter(enabled),
  };
  const notEnabled = selection.protected.length + selection.waiting.length + selection.candidates.length - (kept.protected.length + kept.waiting.length + kept.candidates.length);
  return { kept, notEnabled };
}

// --- grace -----------------------------------------------------------------------------------

/** `deactivate_grace` in milliseconds; 0 means delete at once. */
export function graceMs(fixworker: FixWorkerConfig['fixworker']): number {
  const ms = parseDuration(fixworker.deactivate_grace);
  if (ms === undefined || ms < 0 || !Number.isFinite(ms)) {
    throw new ValidationError(
      `fixworker.deactivate_grace: ${JSON.stringify(fixworker.deactivate_grace)} is not a duration of zero or more (such as 0d, 7d, P7D)`,
    );
  }
  return ms;
}

/** `notify.notice_period` (per account) in milliseconds; 0 means no notice, cleanup acts at once. */
export function noticeMs(settings: Pick<CleanupSettings, 'notice_period'>): number {
  return durationSetting(settings.notice_period, 'notify.notice_period');
}

// --- the circuit breaker ---------------------------------------------------------------------

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
  config: Pick<FixWorkerConfig, 'fixworker' | 'accounts' | 'notify'>,
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

// --- the decision for one verified key -------------------------------------------------------

/** What to do with one verified key. Pure: the facts come from IAM, the time from the clock. */
export type Decision =
  | { kind: 'delete'; reason: string }
  | { kind: 'deactivate'; reason: string }
  /** Notice period: the owner is told now; nothing is written to IAM; cleanup acts after `actsAfter`. */
  | { kind: 'notice'; reason: string; actsAfter: string; then: 'deactivate' | 'delete' }
  /** Gone already: counts as done (SPEC 7 step 5, NoSuchEntity). */
  | { kind: 'absent'; action: AuditAction; reason: string }
  | {
      kind: 'skip';
      reason: string;
      /** Used or reactivated since it was flagged: the flag is withdrawn. */
      unflag: boolean;
      /** Found inactive, not by cloudsweep: the grace period starts now. */
      startGrace?: boolean;
    };

export interface DecisionContext {
  /** The deployed protect tag, and fix.worker's when it names another. */
  protectTags: readonly string[];
  graceMs: number;
  now: Date;
  /** The act-time floor (deploy-time `minimumIdleDays`): no write to a key IAM shows used or created within it. */
  minimumIdleMs: number;
  /** `notify.notice_period` for the key's account; 0 or absent: no notice stage. */
  noticeMs?: number;
}

/**
 * A last-use this much later than what the inventory recorded counts as a new use. AWS reports
 * last use to the minute in some places and to the second in others; within a minute is the same use.
 */
export const LAST_USE_TOLERANCE_MS = 60_000;

export function decide(key: FlaggedKey, facts: KeyFacts, context: DecisionContext): Decision {
  const intended = intendedAction(key, context.graceMs);
  if (!facts.present) return { kind: 'absent', action: intended, reason: `IAM no longer lists the key for user ${key.userName}` };
  if (facts.owner !== key.userName) {
    return { kind: 'skip', unflag: false, reason: `IAM lists the key under user ${facts.owner}, the inventory under ${key.userName}: collect again first` };
  }
  const protection = protectTagReason(facts.userTags, context.protectTags, facts.owner, context.now);
  if (protection) return { kind: 'skip', unflag: false, reason: `protected: ${protection}` };
  const used = useSinceFlagged(key, facts.lastUsed);
  if (used) return { kind: 'skip', unflag: true, reason: used };
  // Whatever query flagged the key and whatever the inventory says: IAM's own answer must show it idle.
  const tooRecent = belowFloor(facts, context);
  if (tooRecent) return { kind: 'skip', unflag: true, reason: tooRecent };

  const flagReason = describeFlag(key);
  // The notice comes before any write: it can only make cleanup act later than without it.
  const notice = noticeStage(key.node.metadata, context.noticeMs ?? 0, context.now);
  if (notice.kind === 'due') {
    return { kind: 'notice', then: intended, actsAfter: notice.actsAfter, reason: `${flagReason}; the owner is noticed, cleanup acts after ${notice.actsAfter}` };
  }
  if (notice.kind === 'waiting') return { kind: 'skip', unflag: false, reason: `noticed at ${notice.noticedAt}; cleanup acts after ${notice.actsAfter}` };
  if (context.graceMs <= 0) return { kind: 'delete', reason: flagReason };
  const deactivatedAt = key.node.metadata.deactivated_at;
  if (typeof deactivatedAt === 'string') {
    if (facts.status === 'Active') {
      return { kind: 'skip', unflag: true, reason: `reactivated since cloudsweep deactivated it at ${deactivatedAt}` };
    }
    const end = graceEnd(key.node, context.graceMs);
    if (end !== undefined && end > context.now.getTime()) {
      return { kind: 'skip', unflag: false, reason: `inactive since ${deactivatedAt}; deleting after ${new Date(end).toISOString()}` };
    }
    return { kind: 'delete', reason: `${flagReason}; inactive since ${deactivatedAt}, grace ${graceText(context.graceMs)} passed` };
  }
  if (facts.status === 'Inactive') {
    return {
      kind: 'skip',
      unflag: false,
      startGrace: true,
      reason: `already inactive, not by cloudsweep: the grace of ${graceText(context.graceMs)} starts now`,
    };
  }
  return { kind: 'deactivate', reason: `${flagReason}; deleting after a grace of ${graceText(context.graceMs)}` };
}

/** The IAM write a key would get: deactivate first under a grace period, unless cloudsweep already did. */
export function intendedAction(key: FlaggedKey, graceMs: number): 'delete' | 'deactivate' {
  return graceMs > 0 && typeof key.node.metadata.deactivated_at !== 'string' ? 'deactivate' : 'delete';
}

/** Why the key counts as used since the flag, or undefined. */
export function useSinceFlagged(key: FlaggedKey, lastUsed: Date | null): string | undefined {
  if (lastUsed === null) return undefined;
  const used = lastUsed.getTime();
  const flaggedAt = parseTime(key.node.metadata.flagged_at);
  if (flaggedAt !== undefined && used > flaggedAt) {
    return `used at ${lastUsed.toISOString()}, after it was flagged at ${new Date(flaggedAt).toISOString()}`;
  }
  // The flag was decided on the collected last use: a later use means the decision was made on stale facts.
  const known = parseTime(key.node.reported.atime);
  if (known === undefined) return `used at ${lastUsed.toISOString()}; the inventory knew no use`;
  if (used > known + LAST_USE_TOLERANCE_MS) {
    return `used at ${lastUsed.toISOString()}; the inventory knew only ${new Date(known).toISOString()}`;
  }
  return undefined;
}

/** Why IAM's fresh answer puts the key below the act-time floor, or undefined when it is idle long enough. */
export function belowFloor(facts: Pick<KeyFacts, 'lastUsed' | 'createdAt'>, context: Pick<DecisionContext, 'minimumIdleMs' | 'now'>): string | undefined {
  const floor = `the minimum idle time of ${formatDuration(context.minimumIdleMs)} (deploy-time minimumIdleDays)`;
  const since = facts.lastUsed ?? facts.createdAt;
  if (since === undefined) return `below the act-time floor: IAM shows neither a last use nor a creation date, so it cannot show the key idle for ${floor}`;
  const idle = context.now.getTime() - since.getTime();
  if (idle >= context.minimumIdleMs) return undefined;
  const what = facts.lastUsed ? `last used at ${since.toISOString()}` : `never used, created at ${since.toISOString()}`;
  return `below the act-time floor: IAM shows it ${what}, idle ${formatDuration(Math.max(0, idle))}, less than ${floor}`;
}

export function describeFlag(key: FlaggedKey): string {
  const by = key.jobId ? `flagged by ${key.jobId}` : key.flaggedInteractively ? 'flagged by a search at the CLI' : 'flagged';
  const why = typeof key.node.metadata.clean_reason === 'string' && key.node.metadata.clean_reason !== '' ? `: ${key.node.metadata.clean_reason}` : '';
  return `${by}${why}`;
}

function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function graceText(ms: number): string {
  const days = ms / 86_400_000;
  if (Number.isInteger(days)) return `${days}d`;
  const hours = ms / 3_600_000;
  return Number.isInteger(hours) ? `${hours}h` : `${Math.round(ms / 1000)}s`;
}
