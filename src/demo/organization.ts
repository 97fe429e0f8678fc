import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand } from '@aws-sdk/client-iam';
import { CreateAccountCommand, CreateOrganizationCommand, DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import { clientsForAccount, memberRoleArn } from '../aws/accounts';
import type { AwsClients } from '../aws/clients';
import type { Emulator } from '../emulator/moto';
import { RuntimeError } from '../errors';
import {
  DAY_MS,
  DEMO_USERS,
  daysBefore,
  DemoAccountName,
  MANAGEMENT_ACCOUNT_ID,
  MEMBER_ACCOUNTS,
  MEMBER_ROLE,
  PROTECT_TAG,
  UNUSED_DAYS_THRESHOLD,
  UserPlan,
  wholeSecond,
} from './organization-plan';

/** What `seedDemoOrganization` made: enough for a test or the demo to know what must be flagged. */
export interface DemoOrganization {
  /** The reference time every age is exact against (whole seconds). */
  now: string;
  organizationId: string;
  accounts: DemoAccount[];
  users: DemoUser[];
  keys: DemoKey[];
}

export interface DemoAccount {
  id: string;
  /** The name Organizations reports (moto names the management account `master`). */
  name: string;
  role: DemoAccountName;
  /** The member role collect and cleanup assume; absent for the management (home) account. */
  roleArn?: string;
}

export interface DemoUser {
  accountId: string;
  userName: string;
  protected: boolean;
}

export interface DemoKey {
  accountId: string;
  accountName: string;
  userName: string;
  accessKeyId: string;
  created: string;
  lastUsed: string | null;
  /** `last_access` at `now`, in days: since the last use, or since creation for a never-used key. */
  unusedDays: number;
  /** `last_access > 90days` at `now`. */
  unusedOver90Days: boolean;
  /** Its user carries the protect tag: cleanup must never touch it. */
  protected: boolean;
}

const MOTO_MASTER_NAME = 'master';
const MEMBER_TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MANAGEMENT_ACCOUNT_ID}:root` }, Action: 'sts:AssumeRole' },
  ],
});

/**
 * Creates, in the emulator, an organization of three accounts (the management account and two
 * members with `CloudSweepMemberRole`), the users of DEMO_USERS and their keys backdated relative
 * to `now`. Expects a fresh emulator: the management account must not be in an organization yet.
 */
export async function seedDemoOrganization(aws: AwsClients, emulator: Emulator, now: Date): Promise<DemoOrganization> {
  const reference = wholeSecond(now);
  await aws.organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  const organization = await aws.organizations.send(new DescribeOrganizationCommand({}));
  const organizationId = organization.Organization?.Id ?? '';

  const accounts: DemoAccount[] = [{ id: MANAGEMENT_ACCOUNT_ID, name: MOTO_MASTER_NAME, role: 'management' }];
  for (const member of MEMBER_ACCOUNTS) {
    const created = await aws.organizations.send(new CreateAccountCommand({ AccountName: member.name, Email: member.email }));
    const id = created.CreateAccountStatus?.AccountId;
    if (!id) throw new RuntimeError(`Organizations CreateAccount for ${member.name} returned no account id`);
    accounts.push({ id, name: member.name, role: member.name, roleArn: memberRoleArn(id, MEMBER_ROLE) });
  }

  // Accounts are independent: seed them side by side; the description keeps DEMO_USERS' order.
  const perAccount = await Promise.all(
    accounts.map(async (account) => {
      const clients = await accountClients(aws, account);
      const users = DEMO_USERS.filter((user) => user.account === account.role);
      const seeded: { user: DemoUser; keys: DemoKey[] }[] = [];
      for (const plan of users) seeded.push(await seedUser(clients, emulator, account, plan, reference));
      return seeded;
    }),
  );
  const seeded = perAccount.flat();
  return {
    now: reference.toISOString(),
    organizationId,
    accounts,
    users: seeded.map((entry) => entry.user),
    keys: seeded.flatMap((entry) => entry.keys),
  };
}

/** Enters a member account the way moto sets it up (OrganizationAccountAccessRole) and creates the member role. */
async function accountClients(aws: AwsClients, account: DemoAccount): Promise<AwsClients> {
  if (!account.roleArn) return aws;
  const admin = await clientsForAccount(
    aws,
    { id: account.id, name: account.name, role_arn: memberRoleArn(account.id, 'OrganizationAccountAccessRole') },
    'cloudsweep-demo-setup',
  );
  await admin.iam.send(
    new CreateRoleCommand({
      RoleName: MEMBER_ROLE,
      AssumeRolePolicyDocument: MEMBER_TRUST_POLICY,
      Description: 'Lets cloudsweep collect and clean up IAM access keys in this account',
    }),
  );
  return clientsForAccount(aws, { id: account.id, name: account.name, role_arn: account.roleArn }, 'cloudsweep-demo');
}

async function seedUser(
  clients: AwsClients,
  emulator: Emulator,
  account: DemoAccount,
  plan: UserPlan,
  now: Date,
): Promise<{ user: DemoUser; keys: DemoKey[] }> {
  const isProtected = plan.protected === true;
  await clients.iam.send(
    new CreateUserCommand({
      UserName: plan.name,
      Tags: [{ Key: 'team', Value: plan.name.split('-')[0] ?? plan.name }, ...(isProtected ? [{ Key: PROTECT_TAG, Value: 'true' }] : [])],
    }),
  );
  const keys: DemoKey[] = [];
  for (const key of plan.keys) {
    const created = await clients.iam.send(new CreateAccessKeyCommand({ UserName: plan.name }));
    const accessKeyId = created.AccessKey?.AccessKeyId;
    if (!accessKeyId) throw new RuntimeError(`IAM CreateAccessKey for ${plan.name} returned no key`);
    const createDate = daysBefore(now, key.createdDaysAgo);
    const lastUsed = key.usedDaysAgo === null ? null : daysBefore(now, key.usedDaysAgo);
    await emulator.setAccessKey({
      accountId: account.id,
      accessKeyId,
      createDate,
      lastUsed: lastUsed === null ? null : { date: lastUsed, service: key.service ?? 'sts', region: 'us-east-1' },
    });
    const unusedDays = (now.getTime() - Date.parse(lastUsed ?? createDate)) / DAY_MS;
    keys.push({
      accountId: account.id,
      accountName: account.name,
      userName: plan.name,
      accessKeyId,
      created: createDate,
      lastUsed,
      unusedDays,
      unusedOver90Days: unusedDays > UNUSED_DAYS_THRESHOLD,
      protected: isProtected,
    });
  }
  return { user: { accountId: account.id, userName: plan.name, protected: isProtected }, keys };
}

/**
 * The keys the seed document's clean search flags: unused for more than 90 days, users jenkins and
 * ci left out. Protected keys are flagged too; cleanup is what spares them.
 */
export function keysTheSeedSearchFlags(organization: DemoOrganization, excludedUsers = ['jenkins', 'ci']): DemoKey[] {
  return organization.keys.filter((key) => key.unusedOver90Days && !excludedUsers.includes(key.userName));
}

/** The flagged keys a real cleanup deletes: the flagged ones whose user is not protected. */
export function keysCleanupDeletes(organization: DemoOrganization, excludedUsers = ['jenkins', 'ci']): DemoKey[] {
  return keysTheSeedSearchFlags(organization, excludedUsers).filter((key) => !key.protected);
}
