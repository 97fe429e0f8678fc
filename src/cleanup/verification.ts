import { GetAccessKeyLastUsedCommand, IAMClient, paginateListAccessKeys, paginateListUserTags, StatusType } from '@aws-sdk/client-iam';
import { isNoSuchEntity } from '../aws/errors';

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
