import { KEY_DEACTIVATED, KEY_DELETED, KEY_KEPT, KEY_NOTICED, KEY_STAGE_VERSION, KeyStageDetail, KeyStageEvent } from '../events/contracts';
import type { RunRef } from '../workflow/step-payloads';
import { composeDigests, OwnerDigest, OwnerItem } from './digest';
import type { Mailer } from './mailer';

/**
 * Telling owners what one cleanup run did (issue 18 items 2 and 3): a digest per owner through the
 * mailer, and an event per key stage on the bus. Items of dry-run accounts are never sent nor
 * published: the summary lists them as what would have been sent.
 */
export interface OwnerDeliveryDeps {
  /** Absent without CDK context `notifySender`: notices are recorded and listed, not mailed. */
  mailer: Mailer | undefined;
  /** Absent: no bus (a test, a run without one); the events are not published. */
  publishKeyStage?: (event: KeyStageEvent, detail: KeyStageDetail) => Promise<void>;
  log: { info(message: string, attributes?: Record<string, unknown>): void; error(message: string, attributes?: Record<string, unknown>): void };
}

/** What the run summary says about owners. */
export interface OwnerMessagesSummary {
  /** Digests sent (one per owner). */
  sent: number;
  /** Digests SES refused or that failed to send (logged with the owner and the error). */
  failed: number;
  /** Digests not sent because no sender is configured (CDK context notifySender). */
  not_mailed: number;
  /** Digests a dry run would have sent. */
  would_send: number;
  /** Items whose key has no owner (no tag, no account contact, no central contact): nobody to tell. */
  without_owner: number;
  /** Stage events published on the bus. */
  events: number;
  /** Set when something was recorded but not mailed, saying why. */
  note?: string;
}

/** One line per item of the run, for the summary and `cloudsweep audit`'s readers. */
export interface NoticeLine {
  stage: OwnerItem['stage'];
  owner: string | null;
  account: string;
  user_name: string;
  access_key_id: string | null;
  /** When the next stage comes (acts_after, delete_after, the exemption's end); null when none. */
  next: string | null;
  dry_run: boolean;
}

/** At most this many lines in the summary (it travels in the state machine's state and the event). */
export const MAX_NOTICE_LINES = 50;

export function emptyOwnerMessages(): OwnerMessagesSummary {
  return { sent: 0, failed: 0, not_mailed: 0, would_send: 0, without_owner: 0, events: 0 };
}

/** The owner counts of a run's invocations together (each invocation sends its own digests). */
export function addOwnerMessages(earlier: OwnerMessagesSummary, current: OwnerMessagesSummary | undefined): OwnerMessagesSummary {
  if (!current) return earlier;
  const sum = emptyOwnerMessages();
  for (const field of ['sent', 'failed', 'not_mailed', 'would_send', 'without_owner', 'events'] as const) sum[field] = earlier[field] + current[field];
  const note = current.note ?? earlier.note;
  return note === undefined ? sum : { ...sum, note };
}

export async function deliverToOwners(items: readonly OwnerItem[], deps: OwnerDeliveryDeps, ref: RunRef): Promise<OwnerMessagesSummary> {
  const summary = emptyOwnerMessages();
  summary.without_owner = items.filter((item) => item.owner === undefined).length;
  const live = items.filter((item) => !item.dryRun);
  const dry = items.filter((item) => item.dryRun);

  for (const digest of composeDigests(dry)) {
    summary.would_send += 1;
    deps.log.info('dry run: would send the owner this digest', { to: digest.to, subject: digest.subject, keys: keysOf(digest) });
  }
  for (const digest of composeDigests(live)) {
    if (!deps.mailer) {
      summary.not_mailed += 1;
      deps.log.info('owner digest not mailed: no sender configured (CDK context notifySender)', { to: digest.to, subject: digest.subject, keys: keysOf(digest) });
      continue;
    }
    try {
      const id = await deps.mailer.send({ to: digest.to, subject: digest.subject, text: digest.text });
      summary.sent += 1;
      deps.log.info('owner digest sent', { to: digest.to, message_id: id, keys: keysOf(digest) });
    } catch (error) {
      summary.failed += 1;
      deps.log.error('owner digest could not be sent', { to: digest.to, error: error instanceof Error ? error.message : String(error), keys: keysOf(digest) });
    }
  }
  if (summary.not_mailed > 0) summary.note = `${summary.not_mailed} owner digest${summary.not_mailed === 1 ? '' : 's'} recorded but not mailed: no sender is configured (CDK context notifySender)`;

  for (const item of deps.publishKeyStage ? live : []) {
    const detail = keyStageDetail(item, ref);
    if (!detail) continue;
    try {
      await deps.publishKeyStage?.(detail.event, detail.detail);
      summary.events += 1;
    } catch (error) {
      deps.log.error('could not publish a key stage event', { event: detail.event, access_key_id: detail.detail.access_key_id, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return summary;
}

/** The bus event of a key's stage; undefined for an exemption warning (mail only). */
export function keyStageDetail(item: OwnerItem, ref: RunRef): { event: KeyStageEvent; detail: KeyStageDetail } | undefined {
  if (item.stage === 'exemption_ending') return undefined;
  const dates: KeyStageDetail['dates'] = {
    flagged_at: item.flaggedAt,
    noticed_at: item.noticedAt,
    acts_after: null,
    deactivated_at: null,
    delete_after: null,
    deleted_at: null,
    last_used_at: null,
  };
  let event: KeyStageEvent;
  switch (item.stage) {
    case 'noticed':
      event = KEY_NOTICED;
      dates.acts_after = item.actsAfter;
      break;
    case 'deactivated':
      event = KEY_DEACTIVATED;
      dates.deactivated_at = item.deactivatedAt;
      dates.delete_after = item.deleteAfter ?? null;
      break;
    case 'deleted':
      event = KEY_DELETED;
      dates.deleted_at = item.deletedAt;
      break;
    case 'kept':
      event = KEY_KEPT;
      dates.last_used_at = item.lastUsedAt;
      break;
  }
  return {
    event,
    detail: {
      version: KEY_STAGE_VERSION,
      stage: item.stage,
      run_id: ref.run_id,
      workflow: ref.workflow,
      owner: item.owner ?? null,
      account: item.account,
      account_name: item.accountName,
      user_name: item.userName,
      access_key_id: item.accessKeyId,
      reason: item.reason,
      dates,
      dry_run: item.dryRun,
    },
  };
}

/** The run's items as summary lines, noticed first; at most MAX_NOTICE_LINES. */
export function noticeLines(items: readonly OwnerItem[]): NoticeLine[] {
  return items.slice(0, MAX_NOTICE_LINES).map((item) => ({
    stage: item.stage,
    owner: item.owner ?? null,
    account: item.account,
    user_name: item.userName,
    access_key_id: item.accessKeyId ?? null,
    next: nextDate(item),
    dry_run: item.dryRun,
  }));
}

function nextDate(item: OwnerItem): string | null {
  switch (item.stage) {
    case 'noticed':
      return item.actsAfter;
    case 'deactivated':
      return item.deleteAfter ?? null;
    case 'exemption_ending':
      return item.until;
    default:
      return null;
  }
}

function keysOf(digest: OwnerDigest): string[] {
  return digest.items.map((item) => `${item.stage}:${item.accessKeyId ?? item.userName}`);
}
