import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { RuntimeError } from '../errors';
import type { AccountRef } from '../workflow/step-payloads';
import type { AwsClients } from './clients';

/** The member role's ARN in an account (SPEC section 8: `collector.member_role`). */
export function memberRoleArn(accountId: string, roleName: string): string {
  return `arn:aws:iam::${accountId}:role/${roleName}`;
}

/** The account the given clients' credentials belong to (the home account). */
export async function homeAccountId(aws: AwsClients): Promise<string> {
  const identity = await aws.sts.send(new GetCallerIdentityCommand({}));
  if (!identity.Account) throw new RuntimeError('STS GetCallerIdentity returned no account id');
  return identity.Account;
}

/**
 * Clients that act in `account`: the home account's own clients when it has no role to assume,
 * else clients with credentials from STS AssumeRole into its member role. Collect and cleanup
 * enter member accounts the same way.
 */
export async function clientsForAccount(aws: AwsClients, account: AccountRef, sessionName: string): Promise<AwsClients> {
  if (!account.role_arn) return aws;
  const answer = await aws.sts.send(
    new AssumeRoleCommand({ RoleArn: account.role_arn, RoleSessionName: sessionName.slice(0, 64), DurationSeconds: 3600 }),
  );
  const credentials = answer.Credentials;
  if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) {
    throw new RuntimeError(`AssumeRole into ${account.role_arn} returned no credentials`);
  }
  return aws.withCredentials({
    accessKeyId: credentials.AccessKeyId,
    secretAccessKey: credentials.SecretAccessKey,
    ...(credentials.SessionToken ? { sessionToken: credentials.SessionToken } : {}),
    ...(credentials.Expiration ? { expiration: credentials.Expiration } : {}),
  });
}

/**
 * Session names for AssumeRole into member accounts. The member stack lets only the cleanup
 * function's role open `cloudsweep-cleanup*` sessions and allows key writes only in them, so pass
 * `${MEMBER_SESSIONS.cleanup}-<run>` from cleanup and `${MEMBER_SESSIONS.collect}-<run>` from collect.
 */
export const MEMBER_SESSIONS = { collect: 'cloudsweep-collect', cleanup: 'cloudsweep-cleanup' } as const;
