import { GetAccessKeyLastUsedCommand, IAMClient, paginateGetAccountAuthorizationDetails, paginateListAccessKeys, UserDetail } from '@aws-sdk/client-iam';
import { isNoSuchEntity } from '../aws/errors';
import { RuntimeError } from '../errors';
import { AccessKeyLastUsed, accessKeyNode, accountNode, Edge, InventoryNode, userNode } from '../inventory/model';
import { mapPool } from '../pool';
import { IAM_CALLS_IN_FLIGHT_PER_ACCOUNT } from './account-iam';
import type { CredentialReport, ReportUser } from './credential-report';
import { ListedKey, matchKeysToReport, storedKeysStanding } from './key-matching';
import { fetchCredentialReport, ReportWait } from './report-generation';

/** One account's users and access keys as inventory nodes, with the edges account → user → key. */
export interface AccountInventory {
  nodes: InventoryNode[];
  edges: Edge[];
  users: number;
  keys: number;
}

export interface ReadOptions extends ReportWait {
  /**
   * The keys of the stored snapshot by user name: a user whose report columns still match them
   * (storedKeysStanding) is not listed again. Awaited once the report is in.
   */
  stored?: Promise<StoredKeys>;
}

/** The access keys of a stored snapshot, by user name. */
export type StoredKeys = ReadonlyMap<string, ListedKey[]>;

/** The keys of a snapshot's access key nodes, by their user's name. */
export function storedKeysOf(nodes: readonly InventoryNode[] | undefined): StoredKeys {
  const byUser = new Map<string, ListedKey[]>();
  for (const node of nodes ?? []) {
    if (node.kind !== 'aws_iam_access_key') continue;
    const { user_name: userName, ctime, access_key_status: status } = node.reported;
    if (typeof userName !== 'string' || typeof ctime !== 'string') continue;
    const keys = byUser.get(userName) ?? [];
    keys.push({ accessKeyId: node.id, userName, createDate: ctime, status: status === 'Inactive' ? 'Inactive' : 'Active' });
    byUser.set(userName, keys);
  }
  return byUser;
}

/** Per-user and per-key calls started at once: the account's client admits this many in flight anyway. */
const FAN_OUT = IAM_CALLS_IN_FLIGHT_PER_ACCOUNT;

/** GetAccountAuthorizationDetails pages: the API's maximum, so most accounts need one call. */
const DETAILS_PAGE_SIZE = 1000;

/** An account's users as read from IAM, each with its access keys, in IAM's order. */
export interface IamReading {
  users: Array<{ user: InventoryNode; keys: InventoryNode[] }>;
}

/**
 * Reads one account's IAM users and access keys with the fewest calls that still give exact data
 * (SPEC section 8): the credential report and the users' details run side by side, ListAccessKeys
 * only for users the report shows with keys (or that are newer than the report) and whose columns
 * changed since the stored snapshot (an unchanged account costs the report and the details pages
 * only), then GetAccessKeyLastUsed only for keys no report column can be pinned on. It needs the account's
 * clients, not its id (`accountInventory` adds that). The report names the users with keys, so
 * their keys are listed while the users' details are still loading (pages of 1,000 users, one
 * after another).
 */
export async function readIam(iam: IAMClient, options: ReadOptions): Promise<IamReading> {
  const details = listUsers(iam);
  details.catch(() => undefined); // awaited below
  const report = await fetchCredentialReport(iam, options);
  const stored = (await options.stored) ?? new Map<string, ListedKey[]>();
  const standing = new Map<string, ListedKey[]>();
  for (const row of report.users.values()) {
    const keys = row.keySlots.length > 0 ? storedKeysStanding(stored.get(row.userName), row.keySlots) : undefined;
    if (keys) standing.set(row.userName, keys);
  }
  const reportedWithKeys = [...report.users.values()].filter((row) => row.keySlots.length > 0 && !standing.has(row.userName)).map((row) => row.userName);
  const listing = mapPool(reportedWithKeys, FAN_OUT, (name) => listAccessKeys(iam, name));
  listing.catch(() => undefined); // awaited below
  const users = await details;
  const listed = new Set([...reportedWithKeys, ...standing.keys()]);
  const newer = users.filter((user) => reportRow(report, user) === undefined && !listed.has(user.UserName ?? '')).map((user) => user.UserName ?? '');
  const [keysOfReported, keysOfNewer] = await Promise.all([listing, mapPool(newer, FAN_OUT, (name) => listAccessKeys(iam, name))]);
  const keysByName = new Map<string, ListedKey[] | typeof GONE>([...standing, ...zip(reportedWithKeys, keysOfReported), ...zip(newer, keysOfNewer)]);
  // A user deleted since the report or the details has no keys to list: it is left out.
  const present = users.filter((user) => keysByName.get(user.UserName ?? '') !== GONE);
  const keysOf = (user: UserDetail): ListedKey[] => {
    const keys = keysByName.get(user.UserName ?? '');
    return keys === undefined || keys === GONE ? [] : keys;
  };

  const unresolved: ListedKey[] = [];
  const usage = new Map<string, AccessKeyLastUsed>();
  for (const user of present) {
    const { matched, unresolved: open } = matchKeysToReport(keysOf(user), reportRow(report, user)?.keySlots ?? []);
    for (const { key, slot } of matched) {
      usage.set(key.accessKeyId, { last_used: slot.lastUsed, service_name: slot.lastUsedService, region: slot.lastUsedRegion });
    }
    unresolved.push(...open);
  }
  const settled = await mapPool(unresolved, FAN_OUT, (key) => lastUsedOf(iam, key.accessKeyId));
  unresolved.forEach((key, i) => usage.set(key.accessKeyId, settled[i] ?? NEVER_USED));

  return {
    users: present.map((user) => ({
      user: toUserNode(user, reportRow(report, user)),
      keys: keysOf(user).map((key) => keyNode(key, usage.get(key.accessKeyId) ?? NEVER_USED)),
    })),
  };
}

/** The account's node, its users' and keys' nodes, and the edges account → user → key. */
export function accountInventory(account: { id: string; name: string }, reading: IamReading): AccountInventory {
  const nodes: InventoryNode[] = [accountNode({ id: account.id, name: account.name })];
  const edges: Edge[] = [];
  let keyCount = 0;
  for (const { user, keys } of reading.users) {
    nodes.push(user);
    edges.push({ from: account.id, to: user.id });
    for (const key of keys) {
      nodes.push(key);
      edges.push({ from: user.id, to: key.id });
      keyCount += 1;
    }
  }
  return { nodes, edges, users: reading.users.length, keys: keyCount };
}

const NEVER_USED: AccessKeyLastUsed = { last_used: null, service_name: null, region: null };

function reportRow(report: CredentialReport, user: UserDetail): ReportUser | undefined {
  return user.Arn ? report.users.get(user.Arn) : undefined;
}

async function listUsers(iam: IAMClient): Promise<UserDetail[]> {
  const users: UserDetail[] = [];
  for await (const page of paginateGetAccountAuthorizationDetails({ client: iam, pageSize: DETAILS_PAGE_SIZE }, { Filter: ['User'] })) {
    for (const user of page.UserDetailList ?? []) {
      if (!user.UserId || !user.UserName || !user.Arn || !user.CreateDate) {
        throw new RuntimeError(`IAM returned a user without id, name, ARN or creation date: ${JSON.stringify(user)}`);
      }
      users.push(user);
    }
  }
  return users;
}

/** ListAccessKeys' answer for a user that no longer exists. */
const GONE: unique symbol = Symbol('user gone');

async function listAccessKeys(iam: IAMClient, userName: string): Promise<ListedKey[] | typeof GONE> {
  const keys: ListedKey[] = [];
  try {
    for await (const page of paginateListAccessKeys({ client: iam }, { UserName: userName })) {
      for (const key of page.AccessKeyMetadata ?? []) {
        if (!key.AccessKeyId || !key.CreateDate) throw new RuntimeError(`IAM returned an access key of ${userName} without id or creation date`);
        keys.push({
          accessKeyId: key.AccessKeyId,
          userName,
          createDate: key.CreateDate.toISOString(),
          status: key.Status === 'Inactive' ? 'Inactive' : 'Active',
        });
      }
    }
  } catch (error) {
    if (isNoSuchEntity(error)) return GONE;
    throw error;
  }
  return keys;
}

function zip<A, B>(as: readonly A[], bs: readonly B[]): Array<[A, B]> {
  return as.map((a, i) => [a, bs[i] as B]);
}

async function lastUsedOf(iam: IAMClient, accessKeyId: string): Promise<AccessKeyLastUsed> {
  const answer = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }));
  const used = answer.AccessKeyLastUsed;
  return {
    last_used: used?.LastUsedDate ? used.LastUsedDate.toISOString() : null,
    service_name: known(used?.ServiceName),
    region: known(used?.Region),
  };
}

/** IAM writes "N/A" where a key was never used. */
function known(value: string | undefined): string | null {
  return value && value !== 'N/A' ? value : null;
}

function toUserNode(user: UserDetail, row: ReportUser | undefined): InventoryNode {
  const tags: Record<string, string> = {};
  for (const tag of [...(user.Tags ?? [])].sort((a, b) => (a.Key ?? '').localeCompare(b.Key ?? ''))) {
    if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
  }
  return userNode({
    id: user.UserId ?? '',
    name: user.UserName ?? '',
    arn: user.Arn ?? '',
    path: user.Path ?? '/',
    ctime: (user.CreateDate ?? new Date(0)).toISOString(),
    // A user newer than the report has no row yet: no password use or MFA known until the next one.
    atime: row?.passwordLastUsed ?? null,
    tags,
    password_enabled: row?.passwordEnabled ?? false,
    mfa_active: row?.mfaActive ?? false,
  });
}

function keyNode(key: ListedKey, used: AccessKeyLastUsed): InventoryNode {
  return accessKeyNode({
    id: key.accessKeyId,
    name: key.accessKeyId,
    user_name: key.userName,
    ctime: key.createDate,
    atime: used.last_used,
    access_key_status: key.status,
    access_key_last_used: used,
  });
}
