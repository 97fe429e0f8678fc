import {
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetAccountAuthorizationDetailsCommand,
  GetCredentialReportCommand,
  IAMClient,
  ListAccessKeysCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { accountInventory, readIam, storedKeysOf } from '../../../src/collect/account-inventory';

const iamMock = mockClient(IAMClient);
const ACCOUNT = { id: '111111111111', name: 'prod' };
const arn = (name: string) => `arn:aws:iam::111111111111:user/${name}`;
/** The IAM client of one account's collect; the mock counts its calls. */
const accountIam = () => new IAMClient({ region: 'us-east-1' });
const user = (name: string, extra: object = {}) => ({
  UserName: name, UserId: `AIDA${name.toUpperCase()}`, Arn: arn(name), Path: '/', CreateDate: new Date('2020-01-01T00:00:00Z'), ...extra,
});

/** Report rows: user, key 1 (rotated, used), key 2 (rotated, used). */
function report(rows: Array<[string, string, string, string, string]>): Uint8Array {
  const header =
    'user,arn,password_enabled,password_last_used,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,' +
    'access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date';
  const lines = rows.map(([name, r1, u1, r2, u2]) => `${name},${arn(name)},true,2025-05-05T00:00:00+00:00,true,true,${r1},${u1},true,${r2},${u2}`);
  return new TextEncoder().encode([header, ...lines].join('\n'));
}

describe('reading one account', () => {
  beforeEach(() => {
    iamMock.reset();
    iamMock.on(GenerateCredentialReportCommand).resolves({ State: 'COMPLETE' });
  });

  const read = async (iam: IAMClient) => accountInventory(ACCOUNT, await readIam(iam, { sleep: async () => undefined }));

  it('lists keys only for users the report shows with keys and pairs columns by creation time', async () => {
    iamMock
      .on(GetAccountAuthorizationDetailsCommand)
      .resolvesOnce({ UserDetailList: [user('nobody'), user('nancy', { Tags: [{ Key: 'team', Value: 'a' }] })], IsTruncated: true, Marker: 'm1' })
      .resolves({ UserDetailList: [user('jenkins')], IsTruncated: false });
    iamMock.on(GetCredentialReportCommand).resolves({
      Content: report([
        ['nobody', 'N/A', 'N/A', 'N/A', 'N/A'],
        ['nancy', '2024-01-01T00:00:00+00:00', 'N/A', 'N/A', 'N/A'],
        ['jenkins', '2024-06-01T00:00:00+00:00', '2024-07-01T00:00:00+00:00', '2023-01-01T00:00:00+00:00', '2023-02-01T00:00:00+00:00'],
      ]),
    });
    iamMock.on(ListAccessKeysCommand, { UserName: 'nancy' }).resolves({
      AccessKeyMetadata: [{ AccessKeyId: 'AKIANANCY', Status: 'Active', CreateDate: new Date('2024-01-01T00:00:00.321Z') }],
    });
    // IAM lists jenkins' keys in the other order than the report's columns.
    iamMock.on(ListAccessKeysCommand, { UserName: 'jenkins' }).resolves({
      AccessKeyMetadata: [
        { AccessKeyId: 'AKIAJOLD', Status: 'Inactive', CreateDate: new Date('2023-01-01T00:00:00Z') },
        { AccessKeyId: 'AKIAJNEW', Status: 'Active', CreateDate: new Date('2024-06-01T00:00:00Z') },
      ],
    });
    const iam = accountIam();

    const inventory = await read(iam);

    expect(iamMock.commandCalls(ListAccessKeysCommand).map((c) => c.args[0].input.UserName).sort()).toEqual(['jenkins', 'nancy']);
    expect(iamMock.commandCalls(GetAccessKeyLastUsedCommand)).toHaveLength(0);
    expect(iamMock.calls().length).toBe(2 + 2 + 2); // report, two details pages, two key lists
    expect(inventory).toMatchObject({ users: 3, keys: 3 });
    const node = (id: string) => inventory.nodes.find((n) => n.id === id)?.reported;
    expect(node('AKIAJOLD')).toMatchObject({ atime: '2023-02-01T00:00:00.000Z', access_key_status: 'Inactive', user_name: 'jenkins' });
    expect(node('AKIAJNEW')).toMatchObject({ atime: '2024-07-01T00:00:00.000Z', ctime: '2024-06-01T00:00:00.000Z' });
    expect(node('AKIANANCY')).toMatchObject({ atime: null, ctime: '2024-01-01T00:00:00.321Z' });
    expect(node('AIDANANCY')).toMatchObject({ tags: { team: 'a' }, atime: '2025-05-05T00:00:00.000Z', password_enabled: true, mfa_active: true });
    expect(inventory.edges).toEqual(
      expect.arrayContaining([
        { from: '111111111111', to: 'AIDANOBODY' },
        { from: 'AIDAJENKINS', to: 'AKIAJOLD' },
        { from: 'AIDANANCY', to: 'AKIANANCY' },
      ]),
    );
  });

  it('lists no keys of users whose report columns still match the stored snapshot, only those of users whose columns changed', async () => {
    iamMock.on(GetAccountAuthorizationDetailsCommand).resolves({ UserDetailList: [user('steady'), user('rotated')] });
    iamMock.on(GetCredentialReportCommand).resolves({
      Content: report([
        ['steady', '2024-01-01T00:00:00+00:00', '2024-08-08T00:00:00+00:00', 'N/A', 'N/A'],
        ['rotated', '2024-09-09T00:00:00+00:00', 'N/A', 'N/A', 'N/A'],
      ]),
    });
    iamMock.on(ListAccessKeysCommand, { UserName: 'rotated' }).resolves({
      AccessKeyMetadata: [{ AccessKeyId: 'AKIAROTATEDNEW', Status: 'Active', CreateDate: new Date('2024-09-09T00:00:00Z') }],
    });
    // The stored snapshot: steady's key of the second its column names, rotated's older key.
    const stored = storedKeysOf([
      { id: 'AKIASTEADY', kind: 'aws_iam_access_key', reported: { user_name: 'steady', ctime: '2024-01-01T00:00:00.400Z', access_key_status: 'Active' }, metadata: {}, desired: {} },
      { id: 'AKIAROTATEDOLD', kind: 'aws_iam_access_key', reported: { user_name: 'rotated', ctime: '2023-01-01T00:00:00.000Z', access_key_status: 'Active' }, metadata: {}, desired: {} },
    ]);
    const iam = accountIam();

    const inventory = accountInventory(ACCOUNT, await readIam(iam, { sleep: async () => undefined, stored: Promise.resolve(stored) }));

    expect(iamMock.commandCalls(ListAccessKeysCommand).map((c) => c.args[0].input.UserName)).toEqual(['rotated']);
    expect(iamMock.calls().length).toBe(2 + 1 + 1); // report, one details page, one key list
    const node = (id: string) => inventory.nodes.find((n) => n.id === id)?.reported;
    expect(node('AKIASTEADY')).toMatchObject({ ctime: '2024-01-01T00:00:00.400Z', atime: '2024-08-08T00:00:00.000Z', access_key_status: 'Active' });
    expect(node('AKIAROTATEDNEW')).toBeDefined();
    expect(node('AKIAROTATEDOLD')).toBeUndefined();
  });

  it('asks GetAccessKeyLastUsed for no key of a same-second pair whose columns say the same', async () => {
    iamMock.on(GetAccountAuthorizationDetailsCommand).resolves({ UserDetailList: [user('twins')] });
    iamMock.on(GetCredentialReportCommand).resolves({
      Content: report([['twins', '2024-01-01T00:00:00+00:00', '2024-03-03T00:00:00+00:00', '2024-01-01T00:00:00+00:00', '2024-03-03T00:00:00+00:00']]),
    });
    iamMock.on(ListAccessKeysCommand).resolves({
      AccessKeyMetadata: [
        { AccessKeyId: 'AKIAB', Status: 'Active', CreateDate: new Date('2024-01-01T00:00:00.500Z') },
        { AccessKeyId: 'AKIAA', Status: 'Active', CreateDate: new Date('2024-01-01T00:00:00.100Z') },
      ],
    });

    const inventory = await read(accountIam());

    expect(iamMock.commandCalls(GetAccessKeyLastUsedCommand)).toHaveLength(0);
    for (const id of ['AKIAA', 'AKIAB']) expect(inventory.nodes.find((n) => n.id === id)?.reported).toMatchObject({ atime: '2024-03-03T00:00:00.000Z' });
  });

  it('asks GetAccessKeyLastUsed only for keys created in the same second', async () => {
    iamMock.on(GetAccountAuthorizationDetailsCommand).resolves({ UserDetailList: [user('twins')] });
    iamMock.on(GetCredentialReportCommand).resolves({
      Content: report([['twins', '2024-01-01T00:00:00+00:00', '2024-03-03T00:00:00+00:00', '2024-01-01T00:00:00+00:00', 'N/A']]),
    });
    iamMock.on(ListAccessKeysCommand).resolves({
      AccessKeyMetadata: [
        { AccessKeyId: 'AKIAB', Status: 'Active', CreateDate: new Date('2024-01-01T00:00:00.500Z') },
        { AccessKeyId: 'AKIAA', Status: 'Active', CreateDate: new Date('2024-01-01T00:00:00.100Z') },
      ],
    });
    iamMock.on(GetAccessKeyLastUsedCommand, { AccessKeyId: 'AKIAA' }).resolves({ AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } });
    iamMock.on(GetAccessKeyLastUsedCommand, { AccessKeyId: 'AKIAB' }).resolves({
      AccessKeyLastUsed: { LastUsedDate: new Date('2024-03-03T00:00:00Z'), ServiceName: 'sts', Region: 'us-east-1' },
    });
    const iam = accountIam();

    const inventory = await read(iam);

    expect(iamMock.commandCalls(GetAccessKeyLastUsedCommand)).toHaveLength(2);
    const node = (id: string) => inventory.nodes.find((n) => n.id === id)?.reported;
    expect(node('AKIAA')).toMatchObject({ atime: null, access_key_last_used: { last_used: null, service_name: null, region: null } });
    expect(node('AKIAB')).toMatchObject({ atime: '2024-03-03T00:00:00.000Z', access_key_last_used: { service_name: 'sts', region: 'us-east-1' } });
  });

  it('lists the keys of a user newer than the report', async () => {
    iamMock.on(GetAccountAuthorizationDetailsCommand).resolves({ UserDetailList: [user('fresh')] });
    iamMock.on(GetCredentialReportCommand).resolves({ Content: report([]) });
    iamMock.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ AccessKeyId: 'AKIAF', Status: 'Active', CreateDate: new Date() }] });
    iamMock.on(GetAccessKeyLastUsedCommand).resolves({ AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } });
    const inventory = await read(accountIam());
    expect(inventory.keys).toBe(1);
    expect(inventory.nodes.find((n) => n.id === 'AIDAFRESH')?.reported).toMatchObject({ password_enabled: false, atime: null });
  });

  it('lists the keys the report shows while the users\' details are still loading', async () => {
    let keysListed = (): void => undefined;
    const listing = new Promise<void>((resolve) => (keysListed = resolve));
    iamMock.on(GetCredentialReportCommand).resolves({ Content: report([['nancy', '2024-01-01T00:00:00+00:00', 'N/A', 'N/A', 'N/A']]) });
    iamMock.on(ListAccessKeysCommand).callsFake(() => {
      keysListed();
      return { AccessKeyMetadata: [{ AccessKeyId: 'AKIANANCY', Status: 'Active', CreateDate: new Date('2024-01-01T00:00:00Z') }] };
    });
    // The details answer only once a key list was asked for: waiting for them first would hang.
    iamMock.on(GetAccountAuthorizationDetailsCommand).callsFake(async () => {
      await listing;
      return { UserDetailList: [user('nancy')] };
    });
    const inventory = await read(accountIam());
    expect(inventory).toMatchObject({ users: 1, keys: 1 });
  });

  it('leaves out a user deleted since the report, whose keys IAM no longer lists', async () => {
    iamMock.on(GetAccountAuthorizationDetailsCommand).resolves({ UserDetailList: [user('nancy'), user('leaver')] });
    iamMock.on(GetCredentialReportCommand).resolves({
      Content: report([
        ['nancy', '2024-01-01T00:00:00+00:00', 'N/A', 'N/A', 'N/A'],
        ['leaver', '2024-01-01T00:00:00+00:00', 'N/A', 'N/A', 'N/A'],
        ['gone-before-details', '2024-01-01T00:00:00+00:00', 'N/A', 'N/A', 'N/A'],
      ]),
    });
    iamMock.on(ListAccessKeysCommand, { UserName: 'nancy' }).resolves({
      AccessKeyMetadata: [{ AccessKeyId: 'AKIANANCY', Status: 'Active', CreateDate: new Date('2024-01-01T00:00:00Z') }],
    });
    const noSuchUser = (name: string) => Object.assign(new Error(`The user with name ${name} cannot be found.`), { name: 'NoSuchEntity' });
    iamMock.on(ListAccessKeysCommand, { UserName: 'leaver' }).rejects(noSuchUser('leaver'));
    iamMock.on(ListAccessKeysCommand, { UserName: 'gone-before-details' }).rejects(noSuchUser('gone-before-details'));
    const inventory = await read(accountIam());
    expect(inventory).toMatchObject({ users: 1, keys: 1 });
    expect(inventory.nodes.map((n) => n.id)).toEqual(['111111111111', 'AIDANANCY', 'AKIANANCY']);
  });

  it('fails the account on any other error listing keys', async () => {
    iamMock.on(GetAccountAuthorizationDetailsCommand).resolves({ UserDetailList: [user('nancy')] });
    iamMock.on(GetCredentialReportCommand).resolves({ Content: report([['nancy', '2024-01-01T00:00:00+00:00', 'N/A', 'N/A', 'N/A']]) });
    iamMock.on(ListAccessKeysCommand).rejects(Object.assign(new Error('not allowed'), { name: 'AccessDenied' }));
    await expect(read(accountIam())).rejects.toThrow('not allowed');
  });
});
