import { CreateAccessKeyCommand, CreateUserCommand, ListAccessKeysCommand, ListUsersCommand } from '@aws-sdk/client-iam';
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

  it('gives emulators started at the same moment ports of their own, each with its own state', async () => {
    const [first, second] = await Promise.all([startEmulator(), startEmulator()]);
    try {
      expect(first.port).not.toBe(second.port);
      const iam = (endpoint: string) => new AwsClients({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }).iam;
      await iam(first.endpoint).send(new CreateUserCommand({ UserName: 'only-in-first' }));
      const listed = await iam(second.endpoint).send(new ListUsersCommand({}));
      expect(listed.Users?.map((user) => user.UserName)).not.toContain('only-in-first');
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});
