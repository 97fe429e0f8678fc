import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsClients } from '../../../src/aws/clients';
import { collectAccount, summarizeCollect } from '../../../src/collect';
import { listAccounts } from '../../../src/collect/accounts';
import type { AccountSnapshotStore } from '../../../src/inventory/account-snapshot';

const stsMock = mockClient(STSClient);
const untouchedStore: AccountSnapshotStore = {
  replaceAccount: () => Promise.reject(new Error('must not be called')),
  beginReplace: () => Promise.resolve({ commit: () => Promise.reject(new Error('must not be called')) }),
};

describe('collect', () => {
  beforeEach(() => {
    stsMock.reset();
  });

  it('sums up accounts and names the failed ones', () => {
    const summary = summarizeCollect(
      [
        { account_id: '111111111111', account_name: 'prod', users: 3, keys: 4, calls: 9, duration_ms: 120 },
        { account_id: '222222222222', account_name: 'dev', users: 0, keys: 0, calls: 1, duration_ms: 30, error: 'AccessDenied: no' },
      ],
      150,
    );
    expect(summary).toMatchObject({ users: 3, keys: 4, failed_accounts: ['222222222222'], duration_ms: 150 });
  });

  it('returns an account whose role cannot be assumed as a result with its error, storing nothing', async () => {
    stsMock.rejects(Object.assign(new Error('User is not authorized to perform: sts:AssumeRole'), { name: 'AccessDenied' }));
    const result = await collectAccount(
      { aws: new AwsClients({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }), store: untouchedStore },
      { id: '222222222222', name: 'dev', role_arn: 'arn:aws:iam::222222222222:role/CloudSweepMemberRole' },
      'run-1',
    );
    expect(result).toMatchObject({
      account_id: '222222222222',
      users: 0,
      calls: 1,
      error: 'cannot assume arn:aws:iam::222222222222:role/CloudSweepMemberRole: AccessDenied: User is not authorized to perform: sts:AssumeRole',
    });
  });

  it('lists the home account first and configured ids once each, with their member role', async () => {
    stsMock.on(GetCallerIdentityCommand).resolves({ Account: '111111111111' });
    const aws = new AwsClients({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const { accounts } = await listAccounts({ aws }, { accounts: ['333333333333', '111111111111', '333333333333'], member_role: 'Reader', pool_size: 2 });
    expect(accounts).toEqual([
      { id: '111111111111', name: '111111111111' },
      { id: '333333333333', name: '333333333333', role_arn: 'arn:aws:iam::333333333333:role/Reader' },
    ]);
  });

  it('refuses an account id that is not 12 digits, naming the entry', async () => {
    stsMock.on(GetCallerIdentityCommand).resolves({ Account: '111111111111' });
    const aws = new AwsClients({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    await expect(listAccounts({ aws }, { accounts: ['333333333333', 'prod'], member_role: 'Reader', pool_size: 2 })).rejects.toThrow(
      'collector.accounts[1]: expected a 12-digit account id or "organization", got "prod"',
    );
  });
});
