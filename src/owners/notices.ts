import { ValidationError } from '../errors';
import type { Metadata } from '../inventory/model';
import { parseDuration } from '../query/durations';

/**
 * The notice stage (issue 18 item 2): with `notify.notice_period` above zero, a newly flagged key's
 * owner is first told, and cleanup acts on the key only once the period has passed since the notice.
 * Pure: the key's metadata, the period and the clock come in. A notice only ever delays cleanup.
 */
export type NoticeStage =
  /** No notice gates the key: the period is zero, or cleanup already deactivated it. Act as without notices. */
  | { kind: 'none' }
  /** The key's flag has no notice yet: the owner gets one now and nothing else happens to the key. */
  | { kind: 'due'; actsAfter: string }
  /** Noticed; the period has not passed. */
  | { kind: 'waiting'; noticedAt: string; actsAfter: string }
  /** Noticed and the period has passed: cleanup may act (deactivate, then delete after the grace, as without notices). */
  | { kind: 'passed'; noticedAt: string; actsAfter: string };

export function noticeStage(metadata: Metadata, noticePeriodMs: number, now: Date): NoticeStage {
  if (noticePeriodMs <= 0) return { kind: 'none' };
  // A key cloudsweep deactivated is past notices: its grace and `restore` take over.
  if (typeof metadata.deactivated_at === 'string') return { kind: 'none' };
  const noticedAt = noticeOfThisFlag(metadata);
  if (noticedAt === undefined) return { kind: 'due', actsAfter: new Date(now.getTime() + noticePeriodMs).toISOString() };
  const actsAfter = new Date(noticedAt + noticePeriodMs).toISOString();
  const at = new Date(noticedAt).toISOString();
  return now.getTime() < noticedAt + noticePeriodMs ? { kind: 'waiting', noticedAt: at, actsAfter } : { kind: 'passed', noticedAt: at, actsAfter };
}

/**
 * When the key's owner was noticed about its current flag (epoch ms), or undefined. A notice older
 * than the flag was about an earlier flag (the key was kept or unflagged since): it does not count,
 * so a key flagged again gets a notice of its own.
 */
export function noticeOfThisFlag(metadata: Metadata): number | undefined {
  const noticed = time(metadata.noticed_at);
  if (noticed === undefined) return undefined;
  const flagged = time(metadata.flagged_at);
  return flagged !== undefined && noticed < flagged ? undefined : noticed;
}

/** What a notice leaves on the key; cleared with the flag (unclean, unflag, restore). */
export const NOTICE_FIELDS = ['noticed_at', 'notice_acts_after', 'noticed_by', 'noticed_owner'] as const;

/** The metadata a notice leaves on the key. */
export function noticedMetadata(metadata: Metadata, at: string, actsAfter: string, runId: string, owner: string | undefined): Metadata {
  return { ...metadata, noticed_at: at, notice_acts_after: actsAfter, noticed_by: runId, ...(owner !== undefined ? { noticed_owner: owner } : {}) };
}

/** A duration setting in ms (`notify.notice_period`, `notify.exemption_warning`), or a ValidationError naming it. */
export function durationSetting(value: string, name: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms < 0 || !Number.isFinite(ms)) {
    throw new ValidationError(`${name}: ${JSON.stringify(value)} is not a duration of zero or more (such as 0d, 7d, 36h, P7D)`);
  }
  return ms;
}

function time(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The variable that names the SES sender (CDK context notifySender) in the cleanup Lambda and the CLI's in-process run. */
export const NOTIFY_SENDER_ENV = 'CLOUDSWEEP_NOTIFY_SENDER';
