import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { callerArn } from '../../../src/aws/caller';

describe('callerArn', () => {
  const sts = mockClient(STSClient);
  beforeEach(() => sts.reset());

  it("names the caller by its STS ARN", async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:sts::123456789012:assumed-role/Admin/alice' });
    expect(await callerArn(new STSClient({ region: 'us-east-1' }))).toBe('arn:aws:sts::123456789012:assumed-role/Admin/alice');
  });

  it('says why when the identity cannot be read, rather than failing the change', async () => {
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredToken' }));
    expect(await callerArn(new STSClient({ region: 'us-east-1' }))).toBe('unknown (GetCallerIdentity failed: ExpiredToken: The security token included in the request is expired)');
  });
});
