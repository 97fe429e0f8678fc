import type { STSClient } from '@aws-sdk/client-sts';
import { awsErrorText } from './errors';

/**
 * Who is making a change, for the audit: the caller's ARN from STS GetCallerIdentity (which needs
 * no permission). When it cannot be read the change is still recorded, as `unknown (...)` with why.
 */
export async function callerArn(sts: STSClient): Promise<string> {
  const { GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  try {
    const answer = await sts.send(new GetCallerIdentityCommand({}));
    return answer.Arn ?? 'unknown (GetCallerIdentity returned no ARN)';
  } catch (error) {
    return `unknown (GetCallerIdentity failed: ${awsErrorText(error)})`;
  }
}
