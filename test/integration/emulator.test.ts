import { CreateAccessKeyCommand, CreateUserCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { AwsClients } from '../../src/aws/clients';
import { Emulator, startEmulator } from '../../src/emulator/moto';

describe('the embedded AWS emulator', () => {
  let emulator: Emulator;
  let aws: AwsClients;

  beforeAll(async () => {
    emulator = await startEmulator();
    aws = new AwsClients({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  });
  afterAll(() => emulator.stop());

  it('backdates an access key', async () => {
    await aws.iam.send(new CreateUserCommand({ UserName: 'nancy' }));
    const created = await aws.iam.send(new CreateAccessKeyCommand({ UserName: 'nancy' }));
    const accessKeyId = created.AccessKey?.AccessKeyId ?? '';
    await emulator.setAccessKey({ accountId: '123456789012', accessKeyId, createDate: '2025-01-02T03:04:05Z' });
    const listed = await aws.iam.send(new ListAccessKeysCommand({ UserName: 'nancy' }));
    expect(listed.AccessKeyMetadata?.[0]?.CreateDate?.toISOString()).toBe('2025-01-02T03:04:05.000Z');
  });

  it('refuses AssumeRole into a denied account', async () => {
    await emulator.denyAssumeRole(['222222222222']);
    await expect(
      aws.sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::222222222222:role/CloudSweepMemberRole', RoleSessionName: 't' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    const allowed = await aws.sts.send(
      new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::333333333333:role/CloudSweepMemberRole', RoleSessionName: 't' }),
    );
    expect(allowed.AssumedRoleUser?.Arn).toContain('333333333333');
  });
});
