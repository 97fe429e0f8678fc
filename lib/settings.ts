import { RemovalPolicy } from 'aws-cdk-lib';
import { checkMinimumIdleDays, checkProtectTag, DEFAULT_SAFETY_SETTINGS, SafetySettings } from '../src/cleanup/policy';
import { ValidationError } from '../src/errors';

/**
 * What a deployment may choose, read from CDK context (`cdk.json` or `-c key=value`). Validated
 * once here, so a typo fails `cdk synth` with the key's name instead of deploying something odd.
 */
export interface CloudSweepSettings {
  /** EventBridge Scheduler expression for `collect_and_cleanup`, or undefined when `off`. */
  schedule?: string;
  memberRoleName: string;
  /** Collect every ACTIVE account of the organization (grants organizations:ListAccounts). */
  organization: boolean;
  /** Member account ids the functions may enter; empty with `organization` means any account. */
  accounts: string[];
  mapMaxConcurrency: number;
  logRetentionDays: number;
  /** What happens to the inventory and runs tables when the stack is deleted (jobs, config, audit are always retained). */
  removalPolicy: RemovalPolicy;
  /** Subscribed to the notification topic: plan and cleanup summaries and every failure. */
  notifyEmail?: string;
  /** The verified SES identity owners' digests are sent from (docs/owners.md); none: notices are recorded, not mailed. */
  notifySender?: string;
  /** An SNS topic fed with the key stage events, for AWS Chatbot to Slack or Teams ($1 a month for its key; off by default). */
  ownerEventsTopic: boolean;
  /** The account of the central stack: the member role trusts its functions' roles. */
  centralAccountId?: string;
  /** Longest a workflow execution may run. */
  workflowTimeoutMinutes: number;
  /** The CloudWatch dashboard ($3 a month; off by default). */
  dashboard: boolean;
  /** The metrics beyond the run-level few ($0.30 a month each; off by default). */
  detailedMetrics: boolean;
  /** The guards no stored data can lower: `minimumIdleDays` (act-time floor) and `protectTag` (enforced by IAM too). */
  safety: SafetySettings;
  /**
   * IAM principals (role, user or root ARNs; `*` allowed in the name) who may write the jobs,
   * config and audit tables besides the functions: the tables' resource policies deny data
   * writes to everyone else. Empty: no person can change jobs or config (cleanup stays off).
   */
  adminPrincipals: string[];
}

/** Role names are fixed so a member account can trust them by ARN before it knows anything else. */
export const FUNCTION_ROLE_NAMES = {
  collect: 'CloudSweepCollectFunctionRole',
  plan: 'CloudSweepPlanFunctionRole',
  cleanup: 'CloudSweepCleanupFunctionRole',
} as const;

const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

type ContextReader = (key: string) => unknown;

export function settingsFromContext(read: ContextReader): CloudSweepSettings {
  const schedule = text(read, 'schedule', 'rate(1 hour)');
  if (schedule !== 'off' && !/^(rate|cron|at)\(.+\)$/.test(schedule)) {
    throw invalid('schedule', schedule, 'an EventBridge Scheduler expression such as "rate(1 hour)" or "cron(0 * * * ? *)", or "off"');
  }
  const memberRoleName = text(read, 'memberRoleName', 'CloudSweepMemberRole');
  if (!/^[\w+=,.@-]{1,64}$/.test(memberRoleName)) throw invalid('memberRoleName', memberRoleName, 'an IAM role name');

  const accounts = accountList(read('accounts'));
  const logRetentionDays = integer(read, 'logRetentionDays', 30, 1, 3653);
  if (!LOG_RETENTION_DAYS.includes(logRetentionDays)) {
    throw invalid('logRetentionDays', logRetentionDays, `one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(', ')}`);
  }
  const notifyEmail = optionalText(read, 'notifyEmail');
  if (notifyEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(notifyEmail)) throw invalid('notifyEmail', notifyEmail, 'an e-mail address');
  const notifySender = optionalText(read, 'notifySender');
  if (notifySender !== undefined && !/^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$/.test(notifySender)) throw invalid('notifySender', notifySender, 'an e-mail address verified in SES (an address identity, or one at a verified domain)');
  const centralAccountId = optionalText(read, 'centralAccountId');
  if (centralAccountId !== undefined && !/^\d{12}$/.test(centralAccountId)) throw invalid('centralAccountId', centralAccountId, 'a 12-digit account id');

  return {
    ...(schedule === 'off' ? {} : { schedule }),
    memberRoleName,
    organization: flag(read, 'organization', false),
    accounts,
    mapMaxConcurrency: integer(read, 'mapMaxConcurrency', 8, 1, 40),
    logRetentionDays,
    removalPolicy: removal(read),
    ...(notifyEmail ? { notifyEmail } : {}),
    ...(notifySender ? { notifySender } : {}),
    ownerEventsTopic: flag(read, 'ownerEventsTopic', false),
    ...(centralAccountId ? { centralAccountId } : {}),
    workflowTimeoutMinutes: integer(read, 'workflowTimeoutMinutes', 120, 5, 1440),
    dashboard: flag(read, 'dashboard', false),
    detailedMetrics: flag(read, 'detailedMetrics', false),
    safety: safetySettings(read),
    adminPrincipals: principalList(read('adminPrincipals')),
  };
}

/**
 * What `aws:PrincipalArn` is for a person: an IAM role (the role, not the session), a user or the
 * account root, in any partition. A wildcard may stand in the name (SSO roles carry a suffix), not
 * in the account.
 */
const PRINCIPAL_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:(root|(role|user)\/[\w+=,.@\/*-]+)$/;

function principalList(value: unknown): string[] {
  const expected = 'a list of IAM role, user or root ARNs (arn:aws:iam::111122223333:role/Admin)';
  if (value === undefined || value === null || value === '') return [];
  const list = typeof value === 'string' ? (value.trim().startsWith('[') ? parseJson(value, 'adminPrincipals', expected) : value.split(',')) : value;
  if (!Array.isArray(list)) throw invalid('adminPrincipals', value, expected);
  return list.map((arn: unknown) => {
    const principal = typeof arn === 'string' ? arn.trim() : arn;
    if (typeof principal === 'string' && /^arn:[\w-]+:sts::\d{12}:assumed-role\//.test(principal)) {
      throw invalid('adminPrincipals', value, `the role's ARN (arn:aws:iam::ACCOUNT:role/NAME), not a session's: ${principal}`);
    }
    const name = typeof principal === 'string' ? (PRINCIPAL_ARN.exec(principal)?.[2] ?? '') : '';
    // `role/*` would name every role of the account: no restriction at all.
    if (name === '' || /^(role|user)\/[*/]*$/.test(name)) throw invalid('adminPrincipals', value, `${expected}, not ${JSON.stringify(arn)}`);
    return principal as string;
  });
}

function safetySettings(read: ContextReader): SafetySettings {
  const days = read('minimumIdleDays');
  const tag = read('protectTag');
  return {
    minimumIdleDays: days === undefined ? DEFAULT_SAFETY_SETTINGS.minimumIdleDays : checkMinimumIdleDays(days, 'CDK context "minimumIdleDays"'),
    protectTag: tag === undefined ? DEFAULT_SAFETY_SETTINGS.protectTag : checkProtectTag(tag, 'CDK context "protectTag"'),
  };
}

function invalid(key: string, value: unknown, expected: string): ValidationError {
  return new ValidationError(`CDK context "${key}" is ${JSON.stringify(value)}: expected ${expected}`);
}

function optionalText(read: ContextReader, key: string): string | undefined {
  const value = read(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalid(key, value, 'a string');
  return value;
}

function text(read: ContextReader, key: string, fallback: string): string {
  return optionalText(read, key) ?? fallback;
}

/** `-c key=value` on the command line always gives strings, cdk.json gives JSON values: accept both. */
function flag(read: ContextReader, key: string, fallback: boolean): boolean {
  const value = read(key);
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw invalid(key, value, 'true or false');
}

function integer(read: ContextReader, key: string, fallback: number, min: number, max: number): number {
  const value = read(key);
  if (value === undefined) return fallback;
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    throw invalid(key, value, `an integer from ${min} to ${max}`);
  }
  return number;
}

function accountList(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  const list = typeof value === 'string' ? (value.trim().startsWith('[') ? parseJson(value, 'accounts', 'a JSON list or comma-separated 12-digit account ids') : value.split(',')) : value;
  if (!Array.isArray(list)) throw invalid('accounts', value, 'a list of 12-digit account ids');
  return list.map((id: unknown) => {
    const account = typeof id === 'string' ? id.trim() : id;
    if (typeof account !== 'string' || !/^\d{12}$/.test(account)) throw invalid('accounts', value, `12-digit account ids, not ${JSON.stringify(id)}`);
    return account;
  });
}

function parseJson(value: string, key: string, expected: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw invalid(key, value, expected);
  }
}

function removal(read: ContextReader): RemovalPolicy {
  const value = text(read, 'removalPolicy', 'retain');
  if (value === 'retain') return RemovalPolicy.RETAIN;
  if (value === 'destroy') return RemovalPolicy.DESTROY;
  throw invalid('removalPolicy', value, '"retain" or "destroy"');
}
