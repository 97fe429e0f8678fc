import { formatDuration } from '../query/durations';
import type { AuditAction } from './audit-entry';
import type { FlaggedKey } from './candidates';
import { graceEnd } from './candidates';
import { protectTagReason } from './protection';
import type { KeyFacts } from './verification';

/** What to do with one verified key. Pure: the facts come from IAM, the time from the clock. */
export type Decision =
  | { kind: 'delete'; reason: string }
  | { kind: 'deactivate'; reason: string }
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

function describeFlag(key: FlaggedKey): string {
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
