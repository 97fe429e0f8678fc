import { explainAwsError } from '../../../cli/runtime';
import { RuntimeError } from '../../../src/errors';

function awsError(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name, ...extra });
}

describe('explaining the AWS errors a user meets', () => {
  it('says how to provide credentials when there are none', () => {
    const explained = explainAwsError(awsError('CredentialsProviderError', 'Could not load credentials from any providers'), 'listing jobs');
    expect(explained).toBeInstanceOf(RuntimeError);
    expect(explained.message).toMatch(/^listing jobs: no AWS credentials found\. Set AWS_PROFILE/);
  });

  it('names the endpoint and the emulator when nothing answers', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' });
    const explained = explainAwsError(refused, 'looking up stack CloudSweep', { endpoint: 'http://127.0.0.1:4566' });
    expect(explained.message).toMatch(/nothing answers at http:\/\/127\.0\.0\.1:4566 .*Is the emulator running\?/);
  });

  it('names the missing permission and the resource of an access denied', () => {
    const denied = awsError(
      'AccessDeniedException',
      'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/cloudsweep-jobs because no identity-based policy allows the dynamodb:PutItem action',
    );
    const explained = explainAwsError(denied, 'adding the job');
    expect(explained.message).toBe(
      'adding the job: access denied: the caller lacks dynamodb:PutItem on arn:aws:dynamodb:us-east-1:123456789012:table/cloudsweep-jobs. ' +
        "Grant it to the role or user you run as (or use the deployed stack's roles).",
    );
  });

  it("says when a table's resource policy refused the write, and how to become an admin principal", () => {
    const denied = awsError(
      'AccessDeniedException',
      'User: arn:aws:sts::123456789012:assumed-role/Dev/bob is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/cloudsweep-jobs with an explicit deny in a resource-based policy',
    );
    expect(explainAwsError(denied, 'adding the job').message).toBe(
      'adding the job: access denied: dynamodb:PutItem on arn:aws:dynamodb:us-east-1:123456789012:table/cloudsweep-jobs is denied by the table\'s resource policy, ' +
        "which lets only cloudsweep's functions and the deploy-time adminPrincipals write the jobs, config and audit tables. " +
        'Run as one of those principals, or redeploy naming yours (cdk deploy -c adminPrincipals=ARN; docs/security.md).',
    );
  });

  it('points at init, the stack and the region when a table is missing', () => {
    const missing = awsError('ResourceNotFoundException', 'Requested resource not found');
    const explained = explainAwsError(missing, 'reading fix.worker', { region: 'eu-west-3' });
    expect(explained.message).toMatch(/Requested resource not found in region eu-west-3\. Create the tables .*cloudsweep init.*--region/);
  });

  it('explains expired and unrecognised credentials', () => {
    expect(explainAwsError(awsError('ExpiredTokenException', 'The security token included in the request is expired'), 'x').message).toMatch(/expired; refresh them/);
    expect(explainAwsError(awsError('UnrecognizedClientException', 'The security token included in the request is invalid.'), 'x', { region: 'ap-east-1' }).message).toMatch(
      /does not recognise these credentials in region ap-east-1/,
    );
  });

  it('passes other errors through unchanged', () => {
    const other = awsError('ConditionalCheckFailedException', 'The conditional request failed');
    expect(explainAwsError(other, 'x')).toBe(other);
  });
});
