import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { CloudSweepStack } from './cloudsweep-stack';
import type { CloudSweepMemberStack } from './member-stack';

/**
 * cdk-nag AwsSolutions findings we accept, each on the exact resource and finding it concerns,
 * with the reason. Anything not listed here fails the synth.
 */

const MEMBER_ROLE_ARNS = 'IAM5[Resource::arn:<AWS::Partition>:iam::*:role/';
const IAM_USERS = 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:user/*]';

export function suppressCentralFindings(stack: CloudSweepStack): void {
  for (const fn of Object.values(stack.functions)) {
    acknowledge(fn.function, 'AwsSolutions-L1', 'The SPEC pins Node.js 22 (an LTS runtime) for all three functions; moving runtimes is a deliberate change.');
  }
  const { collect, plan, cleanup } = stack.functions;
  acknowledge(
    defaultPolicy(collect.role),
    'AwsSolutions-IAM5[Resource::*]',
    'iam:GenerateCredentialReport, GetCredentialReport and GetAccountAuthorizationDetails only accept Resource "*"; the statement holds read actions only, plus organizations:ListAccounts (no resource type) in organization mode, and X-Ray\'s PutTraceSegments and PutTelemetryRecords (no resource type) for active tracing.',
  );
  for (const fn of [plan, cleanup]) {
    acknowledge(defaultPolicy(fn.role), 'AwsSolutions-IAM5[Resource::*]', 'X-Ray\'s PutTraceSegments and PutTelemetryRecords, which active tracing needs, have no resource type and take only Resource "*".');
  }
  for (const fn of [collect, cleanup]) {
    const policy = defaultPolicy(fn.role);
    const memberRoleFinding = memberRoleWildcard(stack);
    if (memberRoleFinding) {
      acknowledge(policy, memberRoleFinding, 'Member accounts are listed at run time (fix.worker collector.accounts or the organization), so the role is named in every account; the member role itself trusts only these function roles.');
    }
  }
  acknowledge(
    defaultPolicy(cleanup.role),
    IAM_USERS,
    'Cleanup deletes or deactivates the access keys of whichever users the plan flagged; keys are not a resource type of their own.',
  );

  acknowledge(
    stack.workflow.stateMachine,
    'AwsSolutions-SF1',
    'The state machine logs errors only, without execution data (issue 15): its states carry account ids and run summaries, which the functions already log; the run record and the audit table keep the rest.',
  );
  const machineRole = stack.workflow.stateMachine.role;
  const machinePolicy = defaultPolicy(machineRole);
  acknowledge(machinePolicy, 'AwsSolutions-IAM5[Resource::*]', 'X-Ray tracing and CloudWatch Logs delivery actions of Step Functions only accept Resource "*".');
  for (const fn of Object.values(stack.functions)) {
    acknowledge(machinePolicy, functionVersions(stack, fn.function), 'Invoking a function grants its versions and aliases too (ARN:*), as CDK renders lambda:InvokeFunction.');
  }
  acknowledge(defaultPolicy(stack.schedules.jobsRole), functionVersions(stack, stack.functions.plan.function), 'Job schedules invoke the plan function; the grant covers its versions and aliases (ARN:*).');
}

export function suppressMemberFindings(stack: CloudSweepMemberStack): void {
  const policy = defaultPolicy(stack.role);
  acknowledge(policy, 'AwsSolutions-IAM5[Resource::*]', 'The credential report and GetAccountAuthorizationDetails only accept Resource "*"; the statement holds read actions only.');
  acknowledge(policy, IAM_USERS, 'Cleanup removes keys of whichever users the plan flagged; only sessions of the central cleanup function (aws:userid condition) may.');
}

function acknowledge(construct: IConstruct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id, reason });
}

function defaultPolicy(role: iam.IRole): IConstruct {
  const policy = role.node.tryFindChild('DefaultPolicy');
  if (!policy) throw new Error(`${role.node.path} has no default policy to acknowledge findings on`);
  return policy;
}

function functionVersions(stack: Stack, fn: IConstruct): string {
  const resource = fn.node.defaultChild;
  if (!(resource instanceof CfnElement)) throw new Error(`${fn.node.path} has no CloudFormation resource`);
  return `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(resource)}.Arn>:*]`;
}

/** The finding for `role/<member role>` in any account, present when accounts are not listed. */
function memberRoleWildcard(stack: CloudSweepStack): string | undefined {
  const { settings } = stack;
  if (!settings.organization && settings.accounts.length > 0) return undefined;
  return `AwsSolutions-${MEMBER_ROLE_ARNS}${settings.memberRoleName}]`;
}
