import { GetAccessKeyLastUsedCommand, IAMClient, ListAccessKeysCommand, ListUserTagsCommand, NoSuchEntityException } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { inspectKey } from '../../../src/cleanup/verify-and-act';

const iam = mockClient(IAMClient);
const accessDenied = () => Object.assign(new Error('User is not authorized to perform: iam:GetAccessKeyLastUsed'), { name: 'AccessDenied' });

describe('verifying a key in IAM', () => {
  beforeEach(() => iam.reset());

  it('reads the fresh last use, the status and the user tags', async () => {
    iam.on(GetAccessKeyLastUsedCommand).resolves({ UserName: 'nancy', AccessKeyLastUsed: { LastUsedDate: new Date('2026-01-02T00:00:00Z'), ServiceName: 's3', Region: 'us-east-1' } });
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ AccessKeyId: 'AKIAOTHER', Status: 'Active' }, { AccessKeyId: 'AKIAKEY', Status: 'Inactive' }] });
    iam.on(ListUserTagsCommand).resolves({ Tags: [{ Key: 'cloudsweep:protect', Value: 'true' }] });

    expect(await inspectKey(new IAMClient({}), 'nancy', 'AKIAKEY')).toEqual({
      present: true,
      owner: 'nancy',
      status: 'Inactive',
      lastUsed: new Date('2026-01-02T00:00:00Z'),
      userTags: { 'cloudsweep:protect': 'true' },
    });
  });

  it('reads the creation date from the user list, for the act-time floor of a never-used key', async () => {
    iam.on(GetAccessKeyLastUsedCommand).resolves({ UserName: 'nancy' });
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ AccessKeyId: 'AKIAKEY', Status: 'Active', CreateDate: new Date('2025-03-01T00:00:00Z') }] });
    iam.on(ListUserTagsCommand).resolves({ Tags: [] });

    expect(await inspectKey(new IAMClient({}), 'nancy', 'AKIAKEY')).toMatchObject({ lastUsed: null, createdAt: new Date('2025-03-01T00:00:00Z') });
  });

  it('takes a key that AWS answers AccessDenied for, and that its user no longer lists, as gone', async () => {
    iam.on(GetAccessKeyLastUsedCommand).rejects(accessDenied());
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ AccessKeyId: 'AKIAOTHER', Status: 'Active' }] });

    expect(await inspectKey(new IAMClient({}), 'nancy', 'AKIAKEY')).toMatchObject({ present: false });
  });

  it('takes a key whose user is gone as gone', async () => {
    iam.on(GetAccessKeyLastUsedCommand).rejects(new NoSuchEntityException({ message: 'no key', $metadata: {} }));
    iam.on(ListAccessKeysCommand).rejects(new NoSuchEntityException({ message: 'no user', $metadata: {} }));

    expect(await inspectKey(new IAMClient({}), 'nancy', 'AKIAKEY')).toMatchObject({ present: false });
  });

  it('fails verification when the key is still listed but its last use cannot be read', async () => {
    iam.on(GetAccessKeyLastUsedCommand).rejects(accessDenied());
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ AccessKeyId: 'AKIAKEY', Status: 'Active' }] });

    await expect(inspectKey(new IAMClient({}), 'nancy', 'AKIAKEY')).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('follows the pages of a user list', async () => {
    iam.on(GetAccessKeyLastUsedCommand).resolves({ UserName: 'nancy' });
    iam.on(ListAccessKeysCommand).resolvesOnce({ AccessKeyMetadata: [{ AccessKeyId: 'AKIAOTHER' }], IsTruncated: true, Marker: 'm1' }).resolves({ AccessKeyMetadata: [{ AccessKeyId: 'AKIAKEY', Status: 'Active' }] });
    iam.on(ListUserTagsCommand).resolves({ Tags: [] });

    expect(await inspectKey(new IAMClient({}), 'nancy', 'AKIAKEY')).toMatchObject({ present: true, status: 'Active', lastUsed: null });
    expect(iam.commandCalls(ListAccessKeysCommand)[1]?.args[0].input.Marker).toBe('m1');
  });
  it('finds the key and the tags on a later page of the user\'s lists', async () => {
    iam.on(GetAccessKeyLastUsedCommand).resolves({ UserName: 'nancy', AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } });
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ AccessKeyId: 'AKIAOTHER', Status: 'Active' }], IsTruncated: true, Marker: 'm1' });
    iam.on(ListAccessKeysCommand, { UserName: 'nancy', Marker: 'm1' }).resolves({ AccessKeyMetadata: [{ AccessKeyId: 'AKIAKEY', Status: 'Inactive' }] });
    iam.on(ListUserTagsCommand).resolves({ Tags: [{ Key: 'team', Value: 'data' }], IsTruncated: true, Marker: 't1' });
    iam.on(ListUserTagsCommand, { UserName: 'nancy', Marker: 't1' }).resolves({ Tags: [{ Key: 'cloudsweep:protect', Value: 'true' }] });

    expect(await inspectKey(new IAMClient({}), 'nancy', 'AKIAKEY')).toMatchObject({
      present: true,
      status: 'Inactive',
      userTags: { team: 'data', 'cloudsweep:protect': 'true' },
    });
  });
});
