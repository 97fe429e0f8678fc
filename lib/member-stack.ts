import { CfnParameter, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { MEMBER_SESSIONS } from '../src/aws/accounts';
import { suppressMemberFindings } from './nag-suppressions';
import { CloudSweepSettings, FUNCTION_ROLE_NAMES } from './settings';

export interface CloudSweepMemberStackProps extends StackProps {
  settings: CloudSweepSettings;
}

/** What collect reads in an account: users, their tags and keys, the credential report. */
export function iamReadActions(): string[] {
  return [
    'iam:GenerateCredentialReport',
    'iam:GetCredentialReport',
    'iam:GetAccountAuthorizationDetails',
    'iam:ListUserTags',
    'iam:ListAccessKeys',
    'iam:GetAccessKeyLastUsed',
  ];
}

/** What cleanup reads just before acting (verification and settling intents): users' keys, their last use, users' tags. */
export const CLEANUP_IAM_READ_ACTIONS = ['iam:GetAccessKeyLastUsed', 'iam:ListAccessKeys', 'iam:ListUserTags'];

/** What only cleanup may do. */
export const IAM_WRITE_ACTIONS = ['iam:UpdateAccessKey', 'iam:DeleteAccessKey'];

/**
 * The deployed protect tag, enforced by IAM: no key write on a user that carries it with any value
 * but "false" (the code reads the tag the same way). Whatever a stored job, config row or flag
 * says, and whatever bug the code has, such a user's keys cannot be deactivated or deleted.
 */
export function protectedUsersKeepTheirKeys(protectTag: string, users: string): iam.PolicyStatement {
  const tag = `aws:ResourceTag/${protectTag}`;
  return new iam.PolicyStatement({
    sid: 'ProtectedUsersKeepTheirKeys',
    effect: iam.Effect.DENY,
    actions: IAM_WRITE_ACTIONS,
    resources: [users],
    // Both must hold: the tag is present (Null false) and its value is not "false".
    conditions: { Null: { [tag]: 'false' }, StringNotEqualsIgnoreCase: { [tag]: 'false' } },
  });
}

/**
 * Every member account: the role the central collect and cleanup functions assume. Both may read;
 * only sessions of the cleanup function may deactivate or delete keys. The trust policy lets
 * only the cleanup role open a session named `cloudsweep-cleanup*`, and the write statement
 * requires such a session, so collect can never reach the writes.
 */
export class CloudSweepMemberStack extends Stack {
  readonly role: iam.Role;
  readonly centralAccountId: CfnParameter;

  constructor(scope: Construct, id: string, props: CloudSweepMemberStackProps) {
    super(scope, id, props);
    const { settings } = props;
    // A parameter, so one template serves a StackSet; the context value is its default.
    this.centralAccountId = new CfnParameter(this, 'CentralAccountId', {
      type: 'String',
      description: 'The account where the CloudSweep stack runs',
      allowedPattern: '^\\d{12}$',
      constraintDescription: 'a 12-digit AWS account id',
      ...(settings.centralAccountId ? { default: settings.centralAccountId } : {}),
    });
    const central = (roleName: string) => `arn:${this.partition}:iam::${this.centralAccountId.valueAsString}:role/${roleName}`;
    const cleanupSessions = `${MEMBER_SESSIONS.cleanup}*`;

    this.role = new iam.Role(this, 'MemberRole', {
      roleName: settings.memberRoleName,
      description: 'cloudsweep: lets the central collect and cleanup functions read IAM users and keys; cleanup may remove keys',
      assumedBy: new iam.ArnPrincipal(central(FUNCTION_ROLE_NAMES.cleanup)),
    });
    this.role.assumeRolePolicy?.addStatements(
      new iam.PolicyStatement({
        actions: ['sts:AssumeRole'],
        principals: [new iam.ArnPrincipal(central(FUNCTION_ROLE_NAMES.collect))],
        conditions: { StringNotLike: { 'sts:RoleSessionName': cleanupSessions } },
      }),
    );
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadIam', actions: iamReadActions(), resources: ['*'] }));
    const users = this.formatArn({ service: 'iam', region: '', resource: 'user', resourceName: '*' });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'CleanupSessionsRemoveKeys',
        actions: IAM_WRITE_ACTIONS,
        resources: [users],
        conditions: { StringLike: { 'aws:userid': `*:${cleanupSessions}` } },
      }),
    );
    this.role.addToPolicy(protectedUsersKeepTheirKeys(settings.safety.protectTag, users));
    suppressMemberFindings(this);
  }
}
