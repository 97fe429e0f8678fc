import { DeleteAccessKeyCommand, IAMClient, StatusType, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { isNoSuchEntity } from '../aws/errors';

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
