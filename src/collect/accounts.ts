import { paginateListAccounts } from '@aws-sdk/client-organizations';
import type { Account } from '@aws-sdk/client-organizations';
import { homeAccountId, memberRoleArn } from '../aws/accounts';
import type { AwsClients } from '../aws/clients';
import { awsErrorText } from '../aws/errors';
import type { FixWorkerConfig } from '../config/fix-worker';
import { RuntimeError, ValidationError } from '../errors';
import type { AccountRef, ListAccountsOutput } from '../workflow/step-payloads';

export type CollectorConfig = FixWorkerConfig['collector'];

/**
 * The accounts a collect covers (SPEC section 8): the home account first, read with our own
 * credentials, then the configured ids or every ACTIVE account of the organization, each entered
 * through its member role. Names come from Organizations; without it an account is named by its id.
 */
export async function listAccounts(deps: { aws: AwsClients }, config: CollectorConfig): Promise<ListAccountsOutput> {
  // Both calls at once: each is a round trip on the way to every account's collect.
  const [homeId, members] = await Promise.all([
    homeAccountId(deps.aws),
    config.accounts === 'organization' ? organizationAccounts(deps.aws) : Promise.resolve([]),
  ]);
  const names = new Map<string, string>();
  let memberIds: string[];
  if (config.accounts === 'organization') {
    for (const account of members) if (account.Id && account.Name) names.set(account.Id, account.Name);
    memberIds = members.filter(isActive).map((account) => account.Id ?? '');
  } else {
    memberIds = config.accounts.map((id, i) => {
      if (typeof id !== 'string' || !/^\d{12}$/.test(id)) {
        throw new ValidationError(`collector.accounts[${i}]: expected a 12-digit account id or "organization", got ${JSON.stringify(id)}`);
      }
      return id;
    });
  }
  const accounts: AccountRef[] = [{ id: homeId, name: names.get(homeId) ?? homeId }];
  for (const id of new Set(memberIds)) {
    if (id === homeId || id === '') continue;
    accounts.push({ id, name: names.get(id) ?? id, role_arn: memberRoleArn(id, config.member_role) });
  }
  return { accounts };
}

async function organizationAccounts(aws: AwsClients): Promise<Account[]> {
  const accounts: Account[] = [];
  try {
    for await (const page of paginateListAccounts({ client: aws.organizations }, {})) accounts.push(...(page.Accounts ?? []));
  } catch (error) {
    throw new RuntimeError(
      `collector.accounts is "organization" but the organization's accounts cannot be listed (${awsErrorText(error)}); ` +
        'run collect from the management account or a delegated administrator, or list account ids instead',
    );
  }
  return accounts;
}

/** `State` replaces the deprecated `Status`; either may be the one present. */
function isActive(account: Account): boolean {
  return (account.State ?? account.Status) === 'ACTIVE';
}
