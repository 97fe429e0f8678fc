import { NOTICE_FIELDS } from '../owners/notices';
import {
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  IAMClient,
  paginateListAccessKeys,
  paginateListUserTags,
  StatusType,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { clientsForAccount, MEMBER_SESSIONS, memberRoleArn } from '../aws/accounts';
import type { AwsClients, AwsSettings } from '../aws/clients';
import { isNoSuchEntity } from '../aws/errors';
import type { Metadata } from '../inventory/model';
import type { NodeUpdate } from '../inventory/store';
import type { FlaggedKey } from './policy';

/**
 * What cleanup does to one key outside this process: reads it in IAM just before acting, makes the
 * IAM write, and marks the inventory; with the clients of the key's own account and their retries.
 */

// --- verification: what IAM says now ---------------------------------------------------------

/** What IAM says about a key right now, read in its own account just before acting (SPEC 7 step 4). */
export interface KeyFacts {
  present: boolean;
  /** The user IAM lists the key under (normally the inventory's user_name). */
  owner: string;
  status?: StatusType;
  /** GetAccessKeyLastUsed: null when never used. */
  lastUsed: Date | null;
  /** ListAccessKeys' CreateDate: how long a never-used key has been idle. */
  createdAt?: Date;
  /** The owner's tags now (a protect tag added since the collect counts). */
  userTags: Record<string, string>;
}

export async function inspectKey(iam: IAMClient, userName: string, accessKeyId: string): Promise<KeyFacts> {
  let owner = userName;
  let lastUsed: Date | null = null;
  try {
    const answer = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }));
    owner = answer.UserName ?? userName;
    lastUsed = answer.AccessKeyLastUsed?.LastUsedDate ?? null;
  } catch (error) {
    // A key that is gone answers NoSuchEntity or, on AWS, AccessDenied: the user's list settles which.
    const listed = await listedKey(iam, userName, accessKeyId);
    if (listed === undefined) return { present: false, owner: userName, lastUsed: null, userTags: {} };
    throw error;
  }
  const listed = await listedKey(iam, owner, accessKeyId);
  if (listed === undefined) return { present: false, owner, lastUsed, userTags: {} };
  const userTags = await tagsOf(iam, owner);
  return { present: true, owner, status: listed.status, lastUsed, userTags, ...(listed.createdAt ? { createdAt: listed.createdAt } : {}) };
}

/** The key's status in its user's list, undefined when the user or the key is gone. */
export async function listedStatus(iam: IAMClient, userName: string, accessKeyId: string): Promise<StatusType | undefined> {
  return (await listedKey(iam, userName, accessKeyId))?.status;
}

async function listedKey(
  iam: IAMClient,
  userName: string,
  accessKeyId: string,
): Promise<{ status: StatusType; createdAt: Date | undefined } | undefined> {
  try {
    for await (const page of paginateListAccessKeys({ client: iam }, { UserName: userName })) {
      const key = page.AccessKeyMetadata?.find((candidate) => candidate.AccessKeyId === accessKeyId);
      if (key) return { status: key.Status ?? StatusType.Active, createdAt: key.CreateDate };
    }
  } catch (error) {
    if (isNoSuchEntity(error)) return undefined;
    throw error;
  }
  return undefined;
}

async function tagsOf(iam: IAMClient, userName: string): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  for await (const page of paginateListUserTags({ client: iam }, { UserName: userName })) {
    for (const tag of page.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
  }
  return tags;
}

// --- the IAM writes --------------------------------------------------------------------------

/** The only two IAM writes cleanup makes. NoSuchEntity means the key is gone: done, not failed. */
export async function deleteAccessKey(iam: IAMClient, userName: string, accessKeyId: string): Promise<'deleted' | 'already_absent'> {
  try {
    await iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId }));
    return 'deleted';
  } catch (error) {
    if (isNoSuchEntity(error)) return 'already_absent';
    throw error;
  }
}

export async function deactivateAccessKey(
  iam: IAMClient,
  userName: string,
  accessKeyId: string,
): Promise<'deactivated' | 'already_absent'> {
  try {
    await iam.send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: StatusType.Inactive }));
    return 'deactivated';
  } catch (error) {
    if (isNoSuchEntity(error)) return 'already_absent';
    throw error;
  }
}

// --- the inventory marks ---------------------------------------------------------------------

/**
 * The inventory changes cleanup makes, as whole NodeUpdates (pure). A cleaned key stays in the
 * inventory marked `metadata.cleaned` until the next collect drops it, so it is never retried;
 * searches leave it out meanwhile (src/inventory/cleaned.ts).
 */
export function markCleaned(key: FlaggedKey, accountId: string, runId: string, at: string, result: string): NodeUpdate {
  return { id: key.accessKeyId, accountId, metadata: { ...key.node.metadata, cleaned: true, cleaned_at: at, cleaned_by: runId, cleanup_result: result } };
}

export function markDeactivated(key: FlaggedKey, accountId: string, runId: string, at: string): NodeUpdate {
  return { id: key.accessKeyId, accountId, metadata: { ...key.node.metadata, deactivated_at: at, deactivated_by: runId } };
}

/** The flag is withdrawn (used or reactivated since): the key is no longer a candidate. */
export function unflag(key: FlaggedKey, accountId: string, at: string, reason: string): NodeUpdate {
  const metadata: Metadata = { ...key.node.metadata, unflagged_at: at, unflag_reason: reason };
  for (const field of ['flagged_by', 'flagged_at', 'clean_reason', 'deactivated_at', 'deactivated_by', ...NOTICE_FIELDS]) delete metadata[field];
  return { id: key.accessKeyId, accountId, metadata, desired: { ...key.node.desired, clean: false } };
}

/** Applies an update to the node held in memory too, so this run's later reads see it. */
export function applyLocally(key: FlaggedKey, update: NodeUpdate): void {
  if (update.metadata) key.node.metadata = { ...update.metadata };
  if (update.desired) key.node.desired = { ...update.desired };
}

// --- account sessions ------------------------------------------------------------------------

/**
 * Clients per account for one run: the home account's own, member accounts entered once through
 * the member role (as collect does). A failure to enter is remembered, so each of that account's
 * keys fails at once with the same reason while the other accounts go on.
 */
export class AccountSessions {
  private readonly sessions = new Map<string, Promise<AwsClients>>();

  constructor(
    private readonly aws: AwsClients,
    private readonly homeAccountId: string,
    private readonly memberRole: string,
    private readonly sessionName: string,
  ) {}

  clientsFor(accountId: string, accountName: string = accountId): Promise<AwsClients> {
    let session = this.sessions.get(accountId);
    if (!session) {
      session =
        accountId === this.homeAccountId
          ? Promise.resolve(this.aws)
          : clientsForAccount(this.aws, { id: accountId, name: accountName, role_arn: memberRoleArn(accountId, this.memberRole) }, this.sessionName);
      // Keep the rejection handled here; each caller still sees it when it awaits.
      session.catch(() => undefined);
      this.sessions.set(accountId, session);
    }
    return session;
  }
}

/**
 * An STS session name from a run id: at most 64 characters of `[\w+=,.@-]`, starting with the
 * cleanup prefix, the only sessions the member role lets write access keys.
 */
export function sessionNameFor(runId: string): string {
  return `${MEMBER_SESSIONS.cleanup}-${runId}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

// --- retries ---------------------------------------------------------------------------------

/**
 * Cleanup's IAM and STS clients retry in the SDK and only there: standard mode (exponential backoff
 * with full jitter, 0.5 s doubling up to 20 s for throttling), 8 attempts per call. Chosen from
 * `bench/cleanup-throttled.bench.mjs` (docs/cleanup.md, "Under throttling"): the adaptive mode's
 * client-side rate limiter, with a second retry loop around it, cleaned 279 of 1,000 keys in the
 * 15 minutes of a Lambda at 30 % throttling (adaptive alone, as slow); standard mode cleaned all
 * 1,000 in 158 s with the same attempts per key (about 5.7).
 */
export const CLEANUP_RETRY: Required<Pick<AwsSettings, 'retryMode' | 'maxAttempts'>> = { retryMode: 'standard', maxAttempts: 8 };
