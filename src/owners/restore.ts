import { StatusType, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import type { AwsClients } from '../aws/clients';
import { isNoSuchEntity } from '../aws/errors';
import { AccountSessions, CLEANUP_RETRY, sessionNameFor } from '../cleanup/verify-and-act';
import type { AuditEntry, AuditStore } from '../cleanup/audit';
import type { Clock } from '../cleanup/run';
import { RuntimeError } from '../errors';
import type { InventoryNode, Metadata } from '../inventory/model';
import type { InventoryStore } from '../inventory/store';
import { formatDuration } from '../query/durations';
import type { Mailer, MailMessage } from './mailer';
import { NOTICE_FIELDS } from './notices';
import { ownerOf, OwnerSettings } from './owner';

/**
 * `cloudsweep restore KEY_ID`: undoes cloudsweep's deactivation of a key during its grace period
 * (issue 18 item 5). The key is made Active in IAM through the account sessions cleanup uses, its
 * flag is cleared, it is protected for `restore_protection`, and the audit records who and why.
 * The key's owner is told (with a mailer). A deleted key cannot come back (AWS cannot restore a
 * deleted secret): refused, naming the audit entry.
 */
export interface RestoreDeps {
  aws: AwsClients;
  store: InventoryStore;
  audit: AuditStore;
  clock: Clock;
  homeAccountId: string;
  memberRole: string;
  /** The caller's identity (STS ARN), recorded in the audit and on the protection. */
  who: string;
  /** Who owns a key (fix.worker `notify`). */
  owners: OwnerSettings;
  /** Absent without a sender: the owner is not told, and the result says so. */
  mailer?: Mailer;
}

export interface RestoreRequest {
  accessKeyId: string;
  reason?: string;
  /** How long the restored key is protected from cleanup (fix.worker `restore_protection`). */
  protectionMs: number;
}

export interface Restored {
  access_key_id: string;
  user_name: string;
  account: string;
  protected_until: string;
  run_id: string;
  /** The key's owner, or null when nobody owns it (no owner tag, account contact or central contact). */
  owner: string | null;
  /** Whether the owner was sent the message (false without a sender or an owner, or when SES refused it). */
  owner_told: boolean;
  /** Why the message could not be sent (the key is restored all the same). */
  owner_error?: string;
}

/** What restore clears: the flag and the grace period it started. */
const FLAG_FIELDS = ['flagged_by', 'flagged_at', 'clean_reason', 'deactivated_at', 'deactivated_by', ...NOTICE_FIELDS] as const;

export async function restoreKey(deps: RestoreDeps, request: RestoreRequest): Promise<Restored> {
  const { accessKeyId } = request;
  const { graph } = await deps.store.loadGraph();
  const key = graph.node(accessKeyId);
  if (!key || key.kind !== 'aws_iam_access_key') {
    const deleted = await deletionEntry(deps.audit, accessKeyId);
    if (deleted) throw cannotRestoreDeleted(accessKeyId, deleted.at, deleted.run_id);
    throw new RuntimeError(`restore: no access key ${accessKeyId} in the inventory, and the audit shows no deletion of it; check the id (cloudsweep search 'id(${accessKeyId})')`);
  }
  if (key.metadata.cleaned === true) {
    if (key.metadata.cleanup_result === 'deleted' || key.metadata.cleanup_result === 'already_absent') {
      throw cannotRestoreDeleted(accessKeyId, text(key.metadata.cleaned_at) ?? 'an unknown time', text(key.metadata.cleaned_by) ?? 'unknown');
    }
  }
  const deactivatedAt = text(key.metadata.deactivated_at);
  if (deactivatedAt === undefined) {
    throw new RuntimeError(
      `restore: cloudsweep has not deactivated ${accessKeyId} (no metadata.deactivated_at; IAM status in the inventory: ${String(key.reported.access_key_status)}); restore only undoes cloudsweep's own deactivation`,
    );
  }
  const account = graph.accountOf(accessKeyId);
  const user = graph.ancestor(accessKeyId, 'aws_iam_user');
  const userName = text(key.reported.user_name) ?? text(user?.reported.name);
  if (!account || userName === undefined) throw new RuntimeError(`restore: the inventory places ${accessKeyId} in no account or under no user; collect again first`);

  const now = deps.clock.now();
  const runId = `restore-${now.toISOString().replace(/[-:]|\.\d{3}/g, '')}`;
  const sessions = new AccountSessions(deps.aws.withRetry(CLEANUP_RETRY), deps.homeAccountId, deps.memberRole, sessionNameFor(runId));
  const clients = await sessions.clientsFor(account.id, text(account.reported.name));
  try {
    await clients.iam.send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: StatusType.Active }));
  } catch (error) {
    if (isNoSuchEntity(error)) throw new RuntimeError(`restore: IAM no longer has ${accessKeyId} of user ${userName}: it was deleted, and AWS cannot restore a deleted key's secret`);
    throw error;
  }

  const protectedUntil = new Date(now.getTime() + request.protectionMs).toISOString();
  const why = request.reason ?? 'no reason given';
  const protectReason = `restored by ${deps.who}: ${why}`;
  await deps.store.updateNodes([{ id: accessKeyId, accountId: account.id, metadata: restoredMetadata(key, now, protectedUntil, protectReason, deps.who), desired: { ...key.desired, clean: false } }]);
  const entry: AuditEntry = {
    run_id: runId,
    at: now.toISOString(),
    account: account.id,
    user_name: userName,
    access_key_id: accessKeyId,
    action: 'restore',
    result: 'restored',
    dry_run: false,
    job_id: null,
    reason: `${protectReason}; reactivated (cloudsweep deactivated it at ${deactivatedAt}), unflagged, protected for ${formatDuration(request.protectionMs)} until ${protectedUntil}`,
  };
  await deps.audit.record(entry);

  const owner = ownerOf({ tags: user?.reported.tags as Record<string, unknown> | undefined, accountId: account.id, accountName: text(account.reported.name) }, deps.owners).address;
  const restored = { access_key_id: accessKeyId, user_name: userName, account: account.id, protected_until: protectedUntil, run_id: runId, owner: owner ?? null };
  if (owner === undefined || deps.mailer === undefined) return { ...restored, owner_told: false };
  try {
    await deps.mailer.send(restoreMessage(owner, restored, { by: deps.who, why, deactivatedAt }));
  } catch (error) {
    // The key is Active and audited by now: a refused message must not read as a failed restore.
    return { ...restored, owner_told: false, owner_error: (error as Error).message };
  }
  return { ...restored, owner_told: true };
}

/** What the owner reads: which key came back, who brought it back and why, and until when it is protected. */
export function restoreMessage(to: string, key: Omit<Restored, 'owner' | 'owner_told'>, facts: { by: string; why: string; deactivatedAt: string }): MailMessage {
  return {
    to,
    subject: `cloudsweep: access key ${key.access_key_id} of ${key.user_name} is active again`,
    text: [
      `Your access key ${key.access_key_id} of IAM user ${key.user_name} in account ${key.account} was reactivated.`,
      '',
      `cloudsweep had deactivated it at ${facts.deactivatedAt}. ${facts.by} restored it: ${facts.why}.`,
      `It is protected from cleanup until ${key.protected_until}. To keep it longer, protect it with a reason and an end:`,
      `  cloudsweep search 'id(${key.access_key_id}) | protect --until YYYY-MM-DD --reason "..."'`,
      '',
      `The audit entry: cloudsweep audit --run ${key.run_id}`,
    ].join('\n'),
  };
}

function restoredMetadata(key: InventoryNode, now: Date, until: string, reason: string, who: string): Metadata {
  const metadata: Metadata = { ...key.metadata };
  for (const field of FLAG_FIELDS) delete metadata[field];
  return { ...metadata, protected: true, protected_until: until, protect_reason: reason, protected_by: who, protected_at: now.toISOString(), restored_at: now.toISOString(), restored_by: who };
}

/** The audit entry that deleted the key (or found it gone), newest first. */
async function deletionEntry(audit: AuditStore, accessKeyId: string): Promise<AuditEntry | undefined> {
  const entries = await audit.query({});
  return entries.reverse().find((entry) => entry.access_key_id === accessKeyId && (entry.result === 'deleted' || entry.result === 'already_absent'));
}

function cannotRestoreDeleted(accessKeyId: string, at: string, runId: string): RuntimeError {
  return new RuntimeError(
    `restore: ${accessKeyId} was deleted at ${at} (run ${runId}); AWS cannot bring back a deleted key's secret. The audit entry: cloudsweep audit --run ${runId}. Create a new key for the user instead.`,
  );
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
