import { GetAccessKeyLastUsedCommand, ListAccessKeysCommand, ListUserTagsCommand } from '@aws-sdk/client-iam';
import { ListAccountsCommand } from '@aws-sdk/client-organizations';
import { clientsForAccount } from '../../src/aws/accounts';
import { AwsClients } from '../../src/aws/clients';
import { DemoOrganization, keysCleanupDeletes, keysTheSeedSearchFlags, seedDemoOrganization } from '../../src/demo/organization';
import { DEMO_USERS } from '../../src/demo/organization-plan';
import { Emulator, startEmulator } from '../../src/emulator/moto';

describe('the demo organization', () => {
  const now = new Date('2026-11-23T10:00:00.250Z');
  let emulator: Emulator;
  let aws: AwsClients;
  let organization: DemoOrganization;

  beforeAll(async () => {
    emulator = await startEmulator();
    aws = new AwsClients({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    organization = await seedDemoOrganization(aws, emulator, now);
  });
  afterAll(() => emulator.stop());

  function keyOf(userName: string, accountName: string, index = 0) {
    const keys = organization.keys.filter((key) => key.userName === userName && key.accountName === accountName);
    const key = keys[index];
    if (!key) throw new Error(`no key ${index} of ${userName} in ${accountName}`);
    return key;
  }

  it('creates an organization of three active accounts', async () => {
    const listed = await aws.organizations.send(new ListAccountsCommand({}));
    const accounts = (listed.Accounts ?? []).map((account) => ({ id: account.Id, name: account.Name, status: account.Status }));
    expect(accounts).toHaveLength(3);
    expect(accounts.every((account) => account.status === 'ACTIVE')).toBe(true);
    expect(accounts.map((account) => account.id).sort()).toEqual(organization.accounts.map((account) => account.id).sort());
    expect(organization.accounts.map((account) => account.name)).toEqual(['master', 'production', 'staging']);
  });

  it('places every user of the seed document in some account', () => {
    const names = new Set(organization.users.map((user) => user.userName));
    for (const seedUser of ['ccm-sa', 'nancy', 'db-runner', 'packer-ami', 'test-max', 'jenkins', 'ci']) {
      expect(names).toContain(seedUser);
    }
    expect(new Set(organization.users.map((user) => user.accountId)).size).toBe(3);
  });

  it('makes member accounts reachable through CloudSweepMemberRole with their own keys', async () => {
    const staging = organization.accounts.find((account) => account.name === 'staging');
    expect(staging?.roleArn).toBe(`arn:aws:iam::${staging?.id}:role/CloudSweepMemberRole`);
    const member = await clientsForAccount(aws, { id: staging?.id ?? '', name: 'staging', role_arn: staging?.roleArn ?? '' }, 'test');
    const listed = await member.iam.send(new ListAccessKeysCommand({ UserName: 'test-max' }));
    const ids = (listed.AccessKeyMetadata ?? []).map((key) => key.AccessKeyId).sort();
    expect(ids).toEqual(organization.keys.filter((key) => key.accountName === 'staging' && key.userName === 'test-max').map((key) => key.accessKeyId).sort());
  });

  it('backdates keys so IAM reports the planned creation and last use', async () => {
    const ccm = keyOf('ccm-sa', 'master');
    const listed = await aws.iam.send(new ListAccessKeysCommand({ UserName: 'ccm-sa' }));
    expect(listed.AccessKeyMetadata?.[0]?.CreateDate?.toISOString()).toBe('2025-10-19T10:00:00.000Z');
    const lastUsed = await aws.iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: ccm.accessKeyId }));
    expect(lastUsed.AccessKeyLastUsed?.LastUsedDate?.toISOString()).toBe('2026-05-07T10:00:00.000Z');
    expect(lastUsed.AccessKeyLastUsed?.ServiceName).toBe('s3');
    expect(ccm.unusedDays).toBe(200);
  });

  it('leaves never-used keys without a last use', async () => {
    const nancy = keyOf('nancy', 'master', 0);
    expect(nancy.lastUsed).toBeNull();
    const lastUsed = await aws.iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: nancy.accessKeyId }));
    expect(lastUsed.AccessKeyLastUsed?.LastUsedDate).toBeUndefined();
    expect(nancy.unusedOver90Days).toBe(true);
  });

  it('puts one key exactly on the 90-day boundary, not flagged at now', () => {
    const boundary = keyOf('packer-ami', 'production', 1);
    expect(boundary.unusedDays).toBe(90);
    expect(boundary.unusedOver90Days).toBe(false);
    expect(organization.now).toBe('2026-11-23T10:00:00.000Z');
  });

  it('tags one protected user', async () => {
    const tags = await aws.iam.send(new ListUserTagsCommand({ UserName: 'break-glass' }));
    expect(tags.Tags).toContainEqual({ Key: 'cloudsweep:protect', Value: 'true' });
    expect(organization.users.filter((user) => user.protected).map((user) => user.userName)).toEqual(['break-glass']);
  });

  it('describes which keys the seed search flags and which cleanup deletes', () => {
    const flagged = keysTheSeedSearchFlags(organization).map((key) => `${key.accountName}/${key.userName}`);
    expect(flagged).toEqual([
      'master/ccm-sa',
      'master/nancy',
      'master/break-glass',
      'production/db-runner',
      'production/db-runner',
      'production/packer-ami',
      'staging/test-max',
      'staging/test-max',
      'staging/db-runner',
    ]);
    expect(keysCleanupDeletes(organization)).toHaveLength(8);
    // The default circuit breaker (25 % of keys) must let the demo's cleanup through.
    expect(keysCleanupDeletes(organization).length / organization.keys.length).toBeLessThanOrEqual(0.25);
    expect(organization.keys).toHaveLength(DEMO_USERS.reduce((sum, user) => sum + user.keys.length, 0));
  });
});
