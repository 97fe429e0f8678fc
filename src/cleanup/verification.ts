import {
  GetAccessKeyLastUsedCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUserTagsCommand,
  StatusType,
} from '@aws-sdk/client-iam';
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

/** Runs an IAM call with cleanup's bounded throttling retry. */
export type IamCall = <T>(call: () => Promise<T>) => Promise<T>;

export async function inspectKey(iam: IAMClient, userName: string, accessKeyId: string, call: IamCall): Promise<KeyFacts> {
  let owner = userName;
  let lastUsed: Date | null = null;
  try {
    const answer = await call(() => iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId })));
    owner = answer.UserName ?? userName;
    lastUsed = answer.AccessKeyLastUsed?.LastUsedDate ?? null;
  } catch (error) {
    // A key that is gone answers NoSuchEntity or, on AWS, AccessDenied: the user's list settles which.
    const listed = await listedKey(iam, userName, accessKeyId, call);
    if (listed === undefined) return { present: false, owner: userName, lastUsed: null, userTags: {} };
    throw error;
  }
  const listed = await listedKey(iam, owner, accessKeyId, call);
  if (listed === undefined) return { present: false, owner, lastUsed, userTags: {} };
  const userTags = await tagsOf(iam, owner, call);
  return { present: true, owner, status: listed.status, lastUsed, userTags, ...(listed.createdAt ? { createdAt: listed.createdAt } : {}) };
}

/** The key's status in its user's list, undefined when the user or the key is gone. */
export async function listedStatus(iam: IAMClient, userName: string, accessKeyId: string, call: IamCall): Promise<StatusType | undefined> {
  return (await listedKey(iam, userName, accessKeyId, call))?.status;
}

async function listedKey(
  iam: IAMClient,
  userName: string,
  accessKeyId: string,
  call: IamCall,
): Promise<{ status: StatusType; createdAt: Date | undefined } | undefined> {
  let marker: string | undefined;
  do {
    let page;
    try {
      page = await call(() => iam.send(new ListAccessKeysCommand({ UserName: userName, ...(marker ? { Marker: marker } : {}) })));
    } catch (error) {
      if (isNoSuchEntity(error)) return undefined;
      throw error;
    }
    const key = page.AccessKeyMetadata?.find((candidate) => candidate.AccessKeyId === accessKeyId);
    if (key) return { status: key.Status ?? StatusType.Active, createdAt: key.CreateDate };
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return undefined;
}

async function tagsOf(iam: IAMClient, userName: string, call: IamCall): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  let marker: string | undefined;
  do {
    const page = await call(() => iam.send(new ListUserTagsCommand({ UserName: userName, ...(marker ? { Marker: marker } : {}) })));
    for (const tag of page.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return tags;
}
