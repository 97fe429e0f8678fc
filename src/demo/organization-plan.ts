/**
 * The demo organization, as data: which users live in which account and how old and how recently
 * used each of their keys is, relative to a reference time. Pure, so the seeder, the demo and the
 * tests all agree on what should be flagged without asking the emulator.
 *
 * Ages are chosen to exercise the seed document's search `last_access > 90days`: keys unused for a
 * long time, keys never used and older than 90 days, recently used keys, one key exactly at the
 * 90-day boundary (not flagged at `now`), and a protected break-glass user whose stale key must
 * survive cleanup. Enough healthy keys exist that the flagged share stays under the default circuit
 * breaker (`max_cleanup_percent: 25`), as it would in a real organization.
 */

export const PROTECT_TAG = 'cloudsweep:protect';
export const MEMBER_ROLE = 'CloudSweepMemberRole';
/** moto's default account: the organization's management account. */
export const MANAGEMENT_ACCOUNT_ID = '123456789012';
export const DAY_MS = 86_400_000;
export const UNUSED_DAYS_THRESHOLD = 90;

export type DemoAccountName = 'management' | 'production' | 'staging';

export interface KeyPlan {
  /** Days before `now` the key was created. */
  createdDaysAgo: number;
  /** Days before `now` the key was last used; null when it was never used. */
  usedDaysAgo: number | null;
  service?: string;
}

export interface UserPlan {
  account: DemoAccountName;
  name: string;
  keys: KeyPlan[];
  protected?: boolean;
}

const HOUR = 1 / 24;

function used(createdDaysAgo: number, usedDaysAgo: number, service = 'sts'): KeyPlan {
  return { createdDaysAgo, usedDaysAgo, service };
}
function neverUsed(createdDaysAgo: number): KeyPlan {
  return { createdDaysAgo, usedDaysAgo: null };
}

/** Member accounts, created with Organizations CreateAccount (moto picks their ids). */
export const MEMBER_ACCOUNTS: readonly { name: Exclude<DemoAccountName, 'management'>; email: string }[] = [
  { name: 'production', email: 'aws-production@example.com' },
  { name: 'staging', email: 'aws-staging@example.com' },
];

/** The users of the seed document (ccm-sa ... ci), a protected break-glass user, and healthy ones. */
export const DEMO_USERS: readonly UserPlan[] = [
  // management
  { account: 'management', name: 'ccm-sa', keys: [used(400, 200, 's3')] },
  { account: 'management', name: 'nancy', keys: [neverUsed(300), used(20, 2 * HOUR, 'ec2')] },
  { account: 'management', name: 'jenkins', keys: [used(500, 120, 'ecr')] },
  { account: 'management', name: 'break-glass', protected: true, keys: [neverUsed(700)] },
  { account: 'management', name: 'terraform', keys: [used(60, 1 * HOUR, 'iam'), used(10, 3 * HOUR, 'iam')] },
  { account: 'management', name: 'monitoring', keys: [used(200, 1, 'cloudwatch')] },
  { account: 'management', name: 'app-frontend', keys: [used(45, 5 * HOUR, 's3'), used(15, 1, 's3')] },
  // production
  { account: 'production', name: 'db-runner', keys: [used(365, 95, 'rds'), used(200, 100, 'rds')] },
  // The second key sits exactly on the 90-day boundary: `last_access > 90days` is false at `now`.
  { account: 'production', name: 'packer-ami', keys: [used(180, 91, 'ec2'), neverUsed(90)] },
  { account: 'production', name: 'ci', keys: [used(250, 150, 'codebuild'), used(40, 1 * HOUR, 'codebuild')] },
  { account: 'production', name: 'app-backend', keys: [used(120, 2 * HOUR, 'dynamodb'), used(30, 1, 'dynamodb')] },
  { account: 'production', name: 'deploy-bot', keys: [used(80, 4 * HOUR, 'cloudformation'), used(5, 6 * HOUR, 'cloudformation')] },
  { account: 'production', name: 'etl-loader', keys: [used(150, 89, 's3'), used(70, 12 * HOUR, 's3')] },
  { account: 'production', name: 'app-frontend', keys: [used(45, 3 * HOUR, 's3'), used(12, 2, 's3')] },
  { account: 'production', name: 'terraform', keys: [used(60, 2 * HOUR, 'iam'), used(9, 5 * HOUR, 'iam')] },
  { account: 'production', name: 'monitoring', keys: [used(210, 1, 'cloudwatch')] },
  // staging
  { account: 'staging', name: 'test-max', keys: [neverUsed(120), used(400, 300, 'lambda')] },
  { account: 'staging', name: 'db-runner', keys: [used(200, 180, 'rds')] },
  { account: 'staging', name: 'packer-ami', keys: [used(30, 2, 'ec2')] },
  { account: 'staging', name: 'ci', keys: [used(100, 5, 'codebuild')] },
  { account: 'staging', name: 'app-backend', keys: [used(90, 8 * HOUR, 'dynamodb'), used(20, 1, 'dynamodb')] },
  { account: 'staging', name: 'deploy-bot', keys: [used(75, 3, 'cloudformation'), used(8, 4 * HOUR, 'cloudformation')] },
  { account: 'staging', name: 'app-frontend', keys: [used(50, 6 * HOUR, 's3'), used(14, 2, 's3')] },
  { account: 'staging', name: 'monitoring', keys: [used(190, 1, 'cloudwatch')] },
];

/** An ISO timestamp `days` before `now`, to the second (IAM reports dates to the second). */
export function daysBefore(now: Date, days: number): string {
  const at = new Date(wholeSecond(now).getTime() - Math.round(days * 86_400) * 1000);
  return at.toISOString().replace('.000Z', 'Z');
}

/** `now` without its milliseconds: the reference every planned date is exact against. */
export function wholeSecond(now: Date): Date {
  return new Date(Math.floor(now.getTime() / 1000) * 1000);
}
