import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parsePlanEvent } from '../../lambdas/shared/events';
import { RESOURCE_BINDINGS } from '../../src/resources';
import { MAX_CLEANUP_INVOCATIONS, stepFailedError, STRETCHES, stretchFrom, WORKFLOW_NAMES, WorkflowEvent } from '../../src/workflow/declaration';
import { executionLeaseWaitSeconds } from '../../src/workflow/lease';
import { FUNCTION_ROLE_NAMES } from '../../lib/settings';
import { TABLE_WRITE_ACTIONS } from '../../lib/cloudsweep-stack';
import { Annotations } from 'aws-cdk-lib/assertions';
import { logicalId, synthApp } from './support/synth';

const defaults = synthApp();
/** The deny that keeps a protected user's keys: tag present and not "false". */
const PROTECTED_USERS_DENY = (tag: string) =>
  expect.objectContaining({
    Sid: 'ProtectedUsersKeepTheirKeys',
    Effect: 'Deny',
    Action: ['iam:UpdateAccessKey', 'iam:DeleteAccessKey'],
    Condition: { Null: { [`aws:ResourceTag/${tag}`]: 'false' }, StringNotEqualsIgnoreCase: { [`aws:ResourceTag/${tag}`]: 'false' } },
  });
const central = defaults.centralTemplate;
const member = defaults.memberTemplate;

function policyOf(template: Template, roleLogicalId: string): string {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleLogicalId }] } });
  return JSON.stringify(Object.values(policies).map((p) => (p as { Properties: unknown }).Properties));
}

describe('the central stack', () => {
  it('has five pk/sk tables on demand with point-in-time recovery; jobs, config and audit retained', () => {
    central.resourceCountIs('AWS::DynamoDB::Table', 5);
    central.allResourcesProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    const { tables } = defaults.central;
    for (const table of [tables.jobs, tables.config, tables.audit]) {
      expect(central.toJSON().Resources[logicalId(table)]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
  });

  it('lets context destroy the inventory and runs tables but never jobs, config or audit', () => {
    const app = synthApp({ removalPolicy: 'destroy' });
    const resources = app.centralTemplate.toJSON().Resources as Record<string, { DeletionPolicy?: string }>;
    const policy = (table: Parameters<typeof logicalId>[0]) => resources[logicalId(table)]?.DeletionPolicy;
    expect(policy(app.central.tables.inventory)).toBe('Delete');
    expect(policy(app.central.tables.runs)).toBe('Delete');
    expect([policy(app.central.tables.jobs), policy(app.central.tables.config), policy(app.central.tables.audit)]).toEqual(['Retain', 'Retain', 'Retain']);
  });

  it('runs three Node.js 22 arm64 functions from one construct, with explicit log groups and powertools settings', () => {
    central.resourceCountIs('AWS::Lambda::Function', 3);
    const variables = new Capture();
    central.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      LoggingConfig: { LogGroup: Match.objectLike({ Ref: Match.anyValue() }) },
      Environment: { Variables: variables },
    });
    const seen: string[] = [];
    do {
      const vars = variables.asObject();
      seen.push(String(vars.POWERTOOLS_SERVICE_NAME));
      expect(vars).toMatchObject({
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: expect.stringMatching(/^cloudsweep-(collect|plan|cleanup)$/),
        POWERTOOLS_METRICS_NAMESPACE: 'CloudSweep',
      });
      for (const role of ['inventoryTable', 'configTable', 'jobsTable', 'auditTable', 'runsTable', 'eventBus'] as const) {
        expect(vars).toHaveProperty(RESOURCE_BINDINGS[role].env);
      }
    } while (variables.next());
    expect(seen.sort()).toEqual(['cloudsweep-cleanup', 'cloudsweep-collect', 'cloudsweep-plan']);
    central.resourceCountIs('AWS::Logs::LogGroup', 4);
    central.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    expect(JSON.stringify(central.toJSON())).not.toContain('Custom::LogRetention');
  });

  it('traces every function actively, so its invocations join the state machine\'s trace, and lets each write its segments', () => {
    central.allResourcesProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
    for (const fn of Object.values(defaults.central.functions)) {
      expect(policyOf(central, logicalId(fn.role))).toMatch(/"xray:PutTraceSegments","xray:PutTelemetryRecords"\],"Effect":"Allow","Resource":"\*"/);
    }
  });

  it('gives each function only the permissions its step needs', () => {
    const { collect, plan, cleanup } = defaults.central.functions;
    const collectPolicy = policyOf(central, logicalId(collect.role));
    const planPolicy = policyOf(central, logicalId(plan.role));
    const cleanupPolicy = policyOf(central, logicalId(cleanup.role));

    expect(collectPolicy).toContain('iam:GetCredentialReport');
    expect(collectPolicy).toContain('sts:AssumeRole');
    expect(collectPolicy).not.toMatch(/iam:(DeleteAccessKey|UpdateAccessKey)/);
    expect(collectPolicy).not.toContain('events:PutEvents');
    expect(collectPolicy).not.toContain(logicalId(defaults.central.tables.audit));
    expect(collectPolicy).not.toContain(logicalId(defaults.central.tables.jobs));
    // Its batches of accounts and their results, kept out of the workflow's state.
    expect(collectPolicy).toContain(logicalId(defaults.central.tables.runs));
    central.hasResourceProperties('AWS::DynamoDB::Table', { TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true } });

    expect(planPolicy).not.toMatch(/"iam:|sts:AssumeRole/);
    expect(planPolicy).toContain(logicalId(defaults.central.tables.jobs));
    expect(planPolicy).not.toContain(logicalId(defaults.central.tables.audit));
    // It publishes each workflow event before running the event's jobs.
    expect(planPolicy).toContain('events:PutEvents');

    expect(cleanupPolicy).toContain('iam:DeleteAccessKey');
    expect(cleanupPolicy).toContain('iam:UpdateAccessKey');
    expect(cleanupPolicy).toContain('events:PutEvents');
    expect(cleanupPolicy).toContain(logicalId(defaults.central.tables.audit));
    expect(cleanupPolicy).not.toContain(logicalId(defaults.central.tables.jobs));

    central.hasResourceProperties('AWS::IAM::Role', { RoleName: FUNCTION_ROLE_NAMES.collect });
    central.hasResourceProperties('AWS::IAM::Role', { RoleName: FUNCTION_ROLE_NAMES.cleanup });
  });

  describe('least privilege (issue 15)', () => {
    type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
    const statementsOf = (template: Template, role: Parameters<typeof logicalId>[0]): Statement[] =>
      (JSON.parse(policyOf(template, logicalId(role))) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
    const actionsOf = (statements: Statement[]) => statements.flatMap((s) => [s.Action].flat());

    it('gives cleanup its own IAM read list, on users only, and none of collect\'s account-wide reads', () => {
      const statements = statementsOf(central, defaults.central.functions.cleanup.role);
      expect(statements).toContainEqual(
        expect.objectContaining({ Sid: 'VerifyKeys', Action: ['iam:GetAccessKeyLastUsed', 'iam:ListAccessKeys', 'iam:ListUserTags'], Resource: expect.objectContaining({ 'Fn::Join': expect.anything() }) }),
      );
      expect(actionsOf(statements)).not.toEqual(expect.arrayContaining(['iam:GetAccountAuthorizationDetails']));
      expect(actionsOf(statements).filter((a) => /Credential/.test(a))).toEqual([]);
    });

    it('grants no unused action: ListUsers, GetUser, ListAccountAliases, DescribeAccount, DescribeOrganization', () => {
      const organization = synthApp({ organization: true });
      const everything = [organization.centralTemplate, organization.memberTemplate].map((t) => JSON.stringify(t.toJSON())).join('');
      for (const action of ['iam:ListUsers', 'iam:GetUser"', 'iam:ListAccountAliases', 'organizations:DescribeAccount', 'organizations:DescribeOrganization']) {
        expect(everything).not.toContain(action);
      }
    });

    it('lets the functions enter member roles of their own organization only, in organization mode', () => {
      const organization = synthApp({ organization: true });
      for (const fn of [organization.central.functions.collect, organization.central.functions.cleanup]) {
        expect(statementsOf(organization.centralTemplate, fn.role)).toContainEqual(
          expect.objectContaining({ Sid: 'EnterMemberAccounts', Condition: { StringEquals: { 'aws:ResourceOrgID': '${aws:PrincipalOrgID}' } } }),
        );
      }
    });

    it('lets cleanup delete only intents from the audit table, and runs one cleanup at a time', () => {
      const statements = statementsOf(central, defaults.central.functions.cleanup.role);
      const deletes = statements.filter((s) => actionsOf([s]).some((a) => a === 'dynamodb:DeleteItem' || a === 'dynamodb:*' || a === 'dynamodb:BatchWriteItem'));
      const onAudit = deletes.filter((s) => JSON.stringify(s.Resource).includes(logicalId(defaults.central.tables.audit)));
      expect(onAudit).toEqual([
        expect.objectContaining({ Sid: 'DeleteOnlyAuditIntents', Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['intent'] } } }),
      ]);
      const fn = central.toJSON().Resources[logicalId(defaults.central.functions.cleanup.function)] as { Properties: { ReservedConcurrentExecutions?: number } };
      expect(fn.Properties.ReservedConcurrentExecutions).toBe(1);
    });

    it('protects the audit, config and jobs tables from deletion', () => {
      const { tables } = defaults.central;
      const protection = (table: Parameters<typeof logicalId>[0]) =>
        (central.toJSON().Resources[logicalId(table)] as { Properties: { DeletionProtectionEnabled?: boolean } }).Properties.DeletionProtectionEnabled;
      expect([tables.audit, tables.config, tables.jobs].map(protection)).toEqual([true, true, true]);
      expect(protection(tables.inventory)).toBeUndefined();
    });
  });

  describe('who may write the jobs, config and audit tables (issue 15)', () => {
    const ADMIN = 'arn:aws:iam::111122223333:role/CloudSweepAdmin';
    const SSO = 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_*';
    const withAdmins = synthApp({ adminPrincipals: [ADMIN, SSO] });
    type Statement = { Sid: string; Effect: string; Action: string | string[]; Principal: unknown; Condition?: Record<string, Record<string, unknown>> };
    const policyOfTable = (app: typeof withAdmins, table: Parameters<typeof logicalId>[0]): Statement[] | undefined =>
      (app.centralTemplate.toJSON().Resources[logicalId(table)] as { Properties: { ResourcePolicy?: { PolicyDocument: { Statement: Statement[] } } } }).Properties.ResourcePolicy
        ?.PolicyDocument.Statement;
    const roleArn = (name: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, `:role/${name}`]] });
    const actions = (statements: Statement[]) => statements.flatMap((s) => [s.Action].flat()).sort();

    it('denies every data write on config to all but the admin principals, by aws:PrincipalArn', () => {
      expect(policyOfTable(withAdmins, withAdmins.central.tables.config)).toEqual([
        { Sid: 'OnlyAdminsWriteConfig', Effect: 'Deny', Principal: { AWS: '*' }, Resource: '*', Action: TABLE_WRITE_ACTIONS, Condition: { ArnNotLike: { 'aws:PrincipalArn': [ADMIN, SSO] } } },
      ]);
      expect(TABLE_WRITE_ACTIONS).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:PartiQLInsert', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete']));
    });

    it('lets the plan role update a job only, and only its run fields; every other write is the admins\'', () => {
      const statements = policyOfTable(withAdmins, withAdmins.central.tables.jobs) ?? [];
      const plan = roleArn(FUNCTION_ROLE_NAMES.plan);
      expect(actions(statements.filter((s) => s.Effect === 'Deny' && s.Condition?.ArnNotLike !== undefined))).toEqual([...TABLE_WRITE_ACTIONS].sort());
      expect(statements).toContainEqual(expect.objectContaining({ Sid: 'OnlyAdminsWriteJobs', Condition: { ArnNotLike: { 'aws:PrincipalArn': [ADMIN, SSO] } } }));
      expect(statements).toContainEqual(expect.objectContaining({ Sid: 'OnlyAdminsAndPlanUpdateJobs', Action: 'dynamodb:UpdateItem', Condition: { ArnNotLike: { 'aws:PrincipalArn': [ADMIN, SSO, plan] } } }));
      expect(statements).toContainEqual(
        expect.objectContaining({
          Sid: 'PlanUpdatesRunFieldsOnly',
          Effect: 'Deny',
          Action: 'dynamodb:UpdateItem',
          Condition: { ArnEquals: { 'aws:PrincipalArn': plan }, 'ForAnyValue:StringNotEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'last_run'] } },
        }),
      );
    });

    it('gives the plan role no job write but an UpdateItem limited to the run fields, as AWS documents it', () => {
      const planStatements = (JSON.parse(policyOf(withAdmins.centralTemplate, logicalId(withAdmins.central.functions.plan.role))) as { PolicyDocument: { Statement: Statement[] } }[])
        .flatMap((p) => p.PolicyDocument.Statement)
        .filter((s) => JSON.stringify(s).includes(logicalId(withAdmins.central.tables.jobs)));
      const writes = planStatements.filter((s) => [s.Action].flat().some((a) => TABLE_WRITE_ACTIONS.includes(a) || a === 'dynamodb:*'));
      expect(writes).toEqual([
        expect.objectContaining({
          Sid: 'RecordJobRunsOnly',
          Action: 'dynamodb:UpdateItem',
          Condition: {
            'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'last_run'] },
            StringEqualsIfExists: { 'dynamodb:ReturnValues': ['NONE', 'UPDATED_OLD', 'UPDATED_NEW'] },
          },
        }),
      ]);
      // The lease and the runs it marks abandoned stay the plan's to write: the runs table has no resource policy.
      expect(policyOf(withAdmins.centralTemplate, logicalId(withAdmins.central.functions.plan.role))).toMatch(
        new RegExp(`"dynamodb:PutItem".*${logicalId(withAdmins.central.tables.runs)}`),
      );
      expect(policyOfTable(withAdmins, withAdmins.central.tables.runs)).toBeUndefined();
      expect(policyOfTable(withAdmins, withAdmins.central.tables.inventory)).toBeUndefined();
    });

    it('lets cleanup and the admins write the audit, nobody else', () => {
      expect(policyOfTable(withAdmins, withAdmins.central.tables.audit)).toEqual([
        expect.objectContaining({
          Sid: 'OnlyCleanupAndAdminsWriteAudit',
          Effect: 'Deny',
          Action: TABLE_WRITE_ACTIONS,
          Condition: { ArnNotLike: { 'aws:PrincipalArn': [ADMIN, SSO, roleArn(FUNCTION_ROLE_NAMES.cleanup)] } },
        }),
      ]);
    });

    it('without admin principals, lets no person write jobs or config, and says so at synth', () => {
      expect(policyOfTable(defaults, defaults.central.tables.config)).toEqual([expect.objectContaining({ Sid: 'OnlyAdminsWriteConfig', Effect: 'Deny' })]);
      expect(policyOfTable(defaults, defaults.central.tables.config)?.[0]?.Condition).toBeUndefined();
      Annotations.fromStack(defaults.central).hasWarning('*', Match.stringLikeRegexp('adminPrincipals.*is empty'));
      Annotations.fromStack(withAdmins.central).hasNoWarning('*', Match.stringLikeRegexp('adminPrincipals'));
    });

    it('refuses admin principals that are not role, user or root ARNs, or that name every role', () => {
      for (const bad of ['*', 'arn:aws:iam::111122223333:role/*', 'arn:aws:iam::*:role/Admin', 'arn:aws:sts::111122223333:assumed-role/Admin/alice', 'Admin', ['arn:aws:iam::111122223333:group/Admins']]) {
        expect(() => synthApp({ adminPrincipals: bad })).toThrow(/CDK context "adminPrincipals"/);
      }
      expect(synthApp({ adminPrincipals: `${ADMIN},arn:aws:iam::111122223333:user/alice` }).central.settings.adminPrincipals).toEqual([ADMIN, 'arn:aws:iam::111122223333:user/alice']);
    });
  });

  it('grants Organizations reads and member roles of listed accounts only when told to', () => {
    const { collect } = defaults.central.functions;
    expect(policyOf(central, logicalId(collect.role))).not.toContain('organizations:ListAccounts');

    const organization = synthApp({ organization: true });
    expect(policyOf(organization.centralTemplate, logicalId(organization.central.functions.collect.role))).toContain('organizations:ListAccounts');

    const listed = synthApp({ accounts: ['222222222222', '333333333333'], memberRoleName: 'SweepRole' });
    const policy = policyOf(listed.centralTemplate, logicalId(listed.central.functions.collect.role));
    expect(policy).toContain(':iam::222222222222:role/SweepRole');
    expect(policy).toContain(':iam::333333333333:role/SweepRole');
    expect(policy).not.toContain(':iam::*:role/');
  });

  describe('the state machine', () => {
    const definition = new Capture();
    central.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      DefinitionString: definition,
      LoggingConfiguration: { Level: 'ERROR', IncludeExecutionData: false, Destinations: [Match.objectLike({})] },
      TracingConfiguration: { Enabled: true },
    });
    // The definition is an Fn::Join around references; its literal parts read as JSON once joined with placeholders.
    const joined = (definition.asObject()['Fn::Join'] as [string, unknown[]])[1].map((p) => (typeof p === 'string' ? p : 'REF')).join('');
    const asl = JSON.parse(joined) as { TimeoutSeconds: number; States: Record<string, Record<string, unknown>> };
    const states = asl.States;

    /** The state of the stretch of steps that begins at this event. */
    const stretchState = (event: WorkflowEvent) => {
      const stretch = stretchFrom(event) ?? [];
      const last = stretch[stretch.length - 1]?.event;
      return stretch.length === 1 ? `Publish ${event}` : `Publish ${event} to ${last}`;
    };

    it('publishes every declared event and runs its jobs in one plan invocation per stretch of steps, as transitions are billed', () => {
      expect(STRETCHES.map((stretch) => stretch.map((step) => step.event))).toEqual([
        ['pre_collect', 'collect'],
        ['post_collect'],
        ['pre_cleanup_plan', 'cleanup_plan', 'post_cleanup_plan', 'pre_cleanup', 'cleanup'],
        ['post_cleanup'],
      ]);
      for (const stretch of STRETCHES) {
        const from = stretch[0]?.event ?? 'pre_collect';
        // Given the whole state, answered with it and the stretch's jobs and summaries added.
        expect(states[stretchState(from)]).toMatchObject({ Type: 'Task', Resource: 'REF', Parameters: { action: 'run_steps', from, 'workflow.$': '$.workflow', 'run_id.$': '$$.Execution.Name', 'state.$': '$' } });
        expect(states[stretchState(from)]?.ResultPath).toBeUndefined();
      }
      // Only the failure path puts an event on the bus from the state machine itself.
      expect(Object.entries(states).filter(([, state]) => state.Resource === 'arn:REF:states:::events:putEvents').map(([name]) => name)).toEqual(['Publish workflow_failed']);
      expect(states['Draw cleanup plan']).toBeUndefined();
    });

    it('names the step a stretch failed at from the error its invocation throws, and its first step for one it could not name', () => {
      for (const stretch of STRETCHES) {
        const from = stretch[0]?.event ?? 'pre_collect';
        const catches = (states[stretchState(from)]?.Catch as { ErrorEquals: string[]; Next: string }[]).map((c) => [c.ErrorEquals.join(), c.Next]);
        for (const step of stretch) expect(catches).toContainEqual([stepFailedError(step.event), `Failed during ${step.event}`]);
        expect(catches.at(-1)).toEqual(['States.ALL', `Failed during ${from}`]);
      }
      expect(stepFailedError('post_cleanup_plan')).toBe('PostCleanupPlanFailed');
    });

    it('enters each workflow at its first event from the input {"workflow"}, through the lease', () => {
      const choices = (states['Choose workflow']?.Choices as { Next: string }[]).map((c) => c.Next);
      expect(choices).toEqual(WORKFLOW_NAMES.map((name) => `Acquire lease for ${name}`));
      expect(states['Acquire lease for cleanup']).toMatchObject({ Next: 'Publish pre_cleanup_plan to cleanup' });
      expect(states['Acquire lease for collect']).toMatchObject({ Next: 'Publish pre_collect to collect' });
      expect(states['After post_collect']).toMatchObject({ Choices: [{ Variable: '$.workflow', StringEquals: 'collect', Next: 'Done' }] });
    });

    it('fans collect out per batch of accounts with a Map and the configured concurrency, keeping results out of the state', () => {
      expect(states['List accounts']).toMatchObject({ Parameters: { action: 'list_accounts' }, ResultPath: '$.collect' });
      expect(states['Collect accounts']).toMatchObject({
        Type: 'Map',
        ItemsPath: '$.collect.batches',
        MaxConcurrency: 8,
        ItemSelector: { action: 'collect_batch', 'batch.$': '$$.Map.Item.Value' },
        ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' } },
        ResultPath: null,
      });
      expect(states['Summarize collect']).toMatchObject({ Parameters: { action: 'summarize' }, ResultPath: '$.summaries.collect' });
      expect(JSON.stringify(states['Summarize collect'])).not.toContain('results');
      const fewer = synthApp({ mapMaxConcurrency: 3 });
      fewer.centralTemplate.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        DefinitionString: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('"MaxConcurrency":3')])] },
      });
    });

    it('retries every task with backoff and jitter and catches every failure into workflow_failed', () => {
      const tasks = Object.entries(states).filter(([, state]) => state.Type === 'Task' || state.Type === 'Map');
      expect(tasks.length).toBeGreaterThan(10);
      for (const [name, state] of tasks) {
        expect((state.Catch as { ErrorEquals: string[] }[]).at(-1)).toEqual(expect.objectContaining({ ErrorEquals: ['States.ALL'] }));
        if (state.Type === 'Task') {
          // Acquiring the lease adds a retry of its own on LeaseBusyError (tested below).
          expect(state.Retry).toEqual(
            name.startsWith('Acquire lease for ') ? [expect.objectContaining({ BackoffRate: 2, JitterStrategy: 'FULL' }), expect.anything()] : [expect.objectContaining({ BackoffRate: 2, JitterStrategy: 'FULL' })],
          );
          if (name !== 'Publish workflow_failed' && name !== 'Release lease after failure') {
            for (const c of state.Catch as { Next: string }[]) expect(c.Next).toMatch(/^Failed during | incomplete$/);
          }
        }
      }
      expect(states['Publish workflow_failed']).toMatchObject({
        Next: 'Release lease after failure',
        Parameters: { Entries: [{ DetailType: 'workflow_failed', Detail: { summary: { 'step.$': '$.failed_step', 'error.$': '$.error.Error', 'cause.$': '$.error.Cause' } } }] },
      });
      expect(states['Workflow failed']).toMatchObject({ Type: 'Fail' });
      expect(asl.TimeoutSeconds).toBe(7200);
    });

    it('takes the lease for the workflow, starting the run state from it, waiting about ten minutes for a busy one, for as long as the execution may run', () => {
      for (const name of WORKFLOW_NAMES) {
        expect(states[`Acquire lease for ${name}`]).toMatchObject({
          Type: 'Task',
          Parameters: { action: 'acquire_lease', workflow: name, 'run_id.$': '$$.Execution.Name', ttl_seconds: 7200 },
          // The lease's holder is the run id; the state starts with no summaries and no jobs.
          ResultSelector: { workflow: name, 'run_id.$': '$.holder', 'lease.$': '$', summaries: {}, jobs: {} },
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed during acquire_lease' }],
        });
        expect(states[`Acquire lease for ${name}`]?.ResultPath).toBeUndefined();
        const busy = (states[`Acquire lease for ${name}`]?.Retry as Record<string, unknown>[]).find((retry) => (retry.ErrorEquals as string[]).includes('LeaseBusyError'));
        expect(busy).toEqual({ ErrorEquals: ['LeaseBusyError'], IntervalSeconds: 30, BackoffRate: 1.5, MaxDelaySeconds: 120, MaxAttempts: 7, JitterStrategy: 'NONE' });
      }
      expect(executionLeaseWaitSeconds()).toBeGreaterThan(9 * 60);
      expect(executionLeaseWaitSeconds()).toBeLessThan(11 * 60);
      // Only a workflow it knows takes the lease.
      expect(states['Choose workflow']?.Default).toBe('Unknown workflow');

      const longer = synthApp({ workflowTimeoutMinutes: 30 });
      const ttl = new Capture(Match.stringLikeRegexp('"action":"acquire_lease"'));
      longer.centralTemplate.hasResourceProperties('AWS::StepFunctions::StateMachine', { DefinitionString: { 'Fn::Join': ['', Match.arrayWith([ttl])] } });
      expect(ttl.asString()).toContain('"ttl_seconds":1800');
    });

    it('gives the lease up in the stretch that ends a workflow and on the failure path, keeping the original error', () => {
      const release = { action: 'release_lease', 'workflow.$': '$.workflow', 'run_id.$': '$$.Execution.Name' };
      expect(states['Release lease']).toBeUndefined();
      expect(states['Publish post_cleanup']).toMatchObject({ Next: 'Done' });
      expect(states['Publish post_collect']).toMatchObject({ Next: 'After post_collect' });
      for (const ending of ['Publish post_collect', 'Publish post_cleanup']) {
        expect(states[ending]?.Catch).toContainEqual({ ErrorEquals: ['ReleaseLeaseFailed'], ResultPath: '$.error', Next: 'Failed during release_lease' });
      }
      // post_cleanup's stretch publishes it and runs its jobs, then an incomplete cleanup fails with the summary's text.
      expect(states['Publish post_cleanup']?.Catch).toContainEqual({ ErrorEquals: ['CleanupIncomplete'], ResultPath: '$.error', Next: 'post_cleanup incomplete' });
      expect(states['post_cleanup incomplete']).toMatchObject({
        Parameters: { Error: 'CleanupIncomplete', 'Cause.$': '$.summaries.cleanup.incomplete' },
        ResultPath: '$.error',
        Next: 'Failed during post_cleanup',
      });

      // workflow_failed, then release (even when publishing failed), then fail with $.error, which neither overwrites.
      expect(states['Publish workflow_failed']?.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.publish_error', Next: 'Release lease after failure' }]);
      expect(states['Release lease after failure']).toMatchObject({
        Parameters: release,
        ResultPath: null,
        Next: 'Workflow failed',
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.release_error', Next: 'Workflow failed' }],
      });
      expect(states['Workflow failed']).toEqual({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
      expect(states['Failed during acquire_lease']).toMatchObject({ Result: 'acquire_lease', ResultPath: '$.failed_step', Next: 'Publish workflow_failed' });
    });

    it('has plan release the lease of an execution that ended without its own release (stopped, timed out, failed)', () => {
      const rule = Object.values(central.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['aws.states'] } } }));
      expect(rule).toHaveLength(1);
      const { EventPattern, Targets, EventBusName } = (rule[0] as { Properties: Record<string, unknown> }).Properties;
      expect(EventBusName).toBeUndefined(); // Step Functions reports on the default bus
      expect(EventPattern).toEqual({
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [{ Ref: logicalId(defaults.central.workflow.stateMachine) }], status: ['ABORTED', 'TIMED_OUT', 'FAILED'] },
      });
      const [target] = Targets as Array<{ Arn: unknown; InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string } }>;
      expect(target?.Arn).toEqual({ 'Fn::GetAtt': [logicalId(defaults.central.functions.plan.function), 'Arn'] });

      // What plan receives when an execution is stopped: the transformer applied as EventBridge does.
      const stopped = { source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change', detail: { name: 'exec-7', status: 'ABORTED', executionArn: 'arn:aws:states:::execution:sm:exec-7' } };
      const { InputPathsMap, InputTemplate } = target?.InputTransformer ?? { InputPathsMap: {}, InputTemplate: '' };
      const input = InputTemplate.replace(/<([\w-]+)>/g, (_, key: string) => {
        const path = (InputPathsMap[key] ?? '').replace(/^\$\./, '').split('.');
        return JSON.stringify(path.reduce<unknown>((value, field) => (value as Record<string, unknown>)[field], stopped));
      });
      expect(parsePlanEvent(JSON.parse(input))).toEqual({ action: 'execution_ended', run_id: 'exec-7', status: 'ABORTED' });
    });

    it('invokes the actions that run in states of their own after their stretch', () => {
      expect(states['Publish pre_collect to collect']).toMatchObject({ Next: 'List accounts' });
      expect(states['List accounts']?.Parameters).toMatchObject({ action: 'list_accounts' });
      expect(states['Summarize collect']).toMatchObject({ Parameters: { action: 'summarize' }, Next: 'Publish post_collect' });
      expect(states['Publish pre_cleanup_plan to cleanup']).toMatchObject({ Next: 'Clean up' });
    });

    it('invokes cleanup again while it reports keys remaining, with the summary so far, as often as the declaration allows', () => {
      expect(states['Prepare cleanup']).toBeUndefined();
      expect(states['Clean up']).toMatchObject({ Parameters: { action: 'cleanup', 'summaries.$': '$.summaries' }, ResultPath: '$.summaries.cleanup', Next: 'More to clean up?' });
      expect(states['More to clean up?']).toMatchObject({
        Choices: [
          {
            And: [
              { Variable: '$.summaries.cleanup.remaining', NumericGreaterThan: 0 },
              { Variable: '$.summaries.cleanup.invocations', NumericLessThan: MAX_CLEANUP_INVOCATIONS },
            ],
            Next: 'Clean up',
          },
        ],
        Default: 'Publish post_cleanup',
      });
    });
  });

  it('schedules collect_and_cleanup hourly by default, and not at all when the schedule is off', () => {
    central.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      Target: { Arn: { Ref: logicalId(defaults.central.workflow.stateMachine) }, Input: JSON.stringify({ workflow: 'collect_and_cleanup' }) },
    });
    synthApp({ schedule: 'cron(0 6 * * ? *)' }).centralTemplate.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(0 6 * * ? *)' });
    synthApp({ schedule: 'off' }).centralTemplate.resourceCountIs('AWS::Scheduler::Schedule', 0);
  });

  it('has a schedule group and a role with which job schedules invoke the plan function', () => {
    central.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    const jobsRole = logicalId(defaults.central.schedules.jobsRole);
    central.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' }, Condition: Match.objectLike({ StringEquals: Match.anyValue() }) })],
      },
    });
    const policy = policyOf(central, jobsRole);
    expect(policy).toContain('lambda:InvokeFunction');
    expect(policy).toContain(logicalId(defaults.central.functions.plan.function));
  });

  describe('monitoring, at the price of what it is worth', () => {
    const unsuccessful = Match.arrayWith([
      Match.objectLike({ Expression: Match.stringLikeRegexp('failed') }),
      Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ Namespace: 'AWS/States', MetricName: 'ExecutionsFailed' }) }) }),
      Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ Namespace: 'AWS/States', MetricName: 'ExecutionsTimedOut' }) }) }),
    ]);

    it('alarms on failed or timed out executions from the free AWS/States metrics, with no key, topic or dashboard by default', () => {
      central.hasResourceProperties('AWS::CloudWatch::Alarm', { ComparisonOperator: 'GreaterThanOrEqualToThreshold', Threshold: 1, TreatMissingData: 'notBreaching', Metrics: unsuccessful });
      const alarms = Object.values(central.findResources('AWS::CloudWatch::Alarm')) as Array<{ Properties: { Metrics: Array<{ MetricStat?: { Metric: { Namespace: string } } }> } }>;
      expect(alarms).toHaveLength(1);
      const namespaces = alarms.flatMap((alarm) => alarm.Properties.Metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.Namespace] : [])));
      expect(new Set(namespaces)).toEqual(new Set(['AWS/States']));
      central.resourceCountIs('AWS::KMS::Key', 0);
      central.resourceCountIs('AWS::SNS::Topic', 0);
      central.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    });

    it('sends the alarm to an e-mail topic under a key of its own only when notifications are on', () => {
      const notified = synthApp({ notifyEmail: 'ops@example.com' });
      const template = notified.centralTemplate;
      const alarmTopic = notified.central.monitoring.alarmTopic;
      expect(alarmTopic).toBeDefined();
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [{ Ref: logicalId(alarmTopic?.topic ?? notified.central) }], Metrics: unsuccessful });
      template.resourceCountIs('AWS::KMS::Key', 1);
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(alarmTopic?.key ?? notified.central), 'Arn'] } });
    });

    it('publishes run-level metrics only, the detailed ones and the dashboard only when the context asks for them', () => {
      const envOf = (template: Template) =>
        Object.values(template.findResources('AWS::Lambda::Function')).map(
          (fn) => ((fn as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables),
        );
      for (const variables of envOf(central)) expect(variables).not.toHaveProperty('CLOUDSWEEP_DETAILED_METRICS');

      const rich = synthApp({ dashboard: 'true', detailedMetrics: true }).centralTemplate;
      for (const variables of envOf(rich)) expect(variables).toMatchObject({ CLOUDSWEEP_DETAILED_METRICS: 'true' });
      rich.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
      const body = JSON.stringify(Object.values(rich.findResources('AWS::CloudWatch::Dashboard')));
      expect(body).toContain('KeysDeleted');
      expect(body).toContain('KeysFlagged');
      // No per-account series: a metric per account costs $0.30 a month each.
      expect(body).not.toContain('account');
      synthApp({ dashboard: true }).centralTemplate.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
      expect(() => synthApp({ dashboard: 'yes' })).toThrow(/"dashboard"/);
      expect(() => synthApp({ detailedMetrics: 1 })).toThrow(/"detailedMetrics"/);
    });
  });

  it('sends plan and cleanup summaries and failures to an e-mail topic only when notifyEmail is set', () => {
    expect(central.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['cloudsweep'] } } })).toEqual({});
    const notified = synthApp({ notifyEmail: 'ops@example.com' }).centralTemplate;
    notified.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['cloudsweep'], 'detail-type': ['post_cleanup_plan', 'post_cleanup', 'workflow_failed', 'cleanup_refused'] },
    });
    notified.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });

  it('outputs every resource the CLI resolves, under the keys of RESOURCE_BINDINGS', () => {
    const outputs = central.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual(Object.values(RESOURCE_BINDINGS).map((b) => b.output).sort());
    expect(outputs.StateMachineArn?.Value).toEqual({ Ref: logicalId(defaults.central.workflow.stateMachine) });
    expect(outputs.PlanFunctionName?.Value).toEqual({ Ref: logicalId(defaults.central.functions.plan.function) });
  });

  it('rejects bad context, naming the key', () => {
    expect(() => synthApp({ schedule: 'every hour' })).toThrow(/"schedule"/);
    expect(() => synthApp({ accounts: ['12345'] })).toThrow(/"accounts"/);
    expect(() => synthApp({ logRetentionDays: 42 })).toThrow(/"logRetentionDays"/);
    expect(() => synthApp({ removalPolicy: 'snapshot' })).toThrow(/"removalPolicy"/);
    expect(() => synthApp({ minimumIdleDays: 0 })).toThrow(/"minimumIdleDays"/);
    expect(() => synthApp({ minimumIdleDays: '30d' })).toThrow(/"minimumIdleDays"/);
    expect(() => synthApp({ protectTag: 'aws:protect' })).toThrow(/"protectTag"/);
  });

  it('passes the deploy-time floor and protect tag to the plan and cleanup functions, 30 days and cloudsweep:protect by default', () => {
    const environmentOf = (template: Template, fn: Parameters<typeof logicalId>[0]) =>
      (template.toJSON().Resources[logicalId(fn)] as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables;
    for (const fn of [defaults.central.functions.plan.function, defaults.central.functions.cleanup.function]) {
      expect(environmentOf(central, fn)).toMatchObject({ CLOUDSWEEP_MINIMUM_IDLE_DAYS: '30', CLOUDSWEEP_PROTECT_TAG: 'cloudsweep:protect' });
    }
    const chosen = synthApp({ minimumIdleDays: '45', protectTag: 'security:keep' });
    expect(environmentOf(chosen.centralTemplate, chosen.central.functions.cleanup.function)).toMatchObject({
      CLOUDSWEEP_MINIMUM_IDLE_DAYS: '45',
      CLOUDSWEEP_PROTECT_TAG: 'security:keep',
    });
  });
});

describe('the member stack', () => {
  it('trusts only the central collect and cleanup roles, by ARN', () => {
    member.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'CloudSweepMemberRole',
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({ Principal: { AWS: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([`:role/${FUNCTION_ROLE_NAMES.cleanup}`])] }) } }),
          Match.objectLike({
            Principal: { AWS: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([`:role/${FUNCTION_ROLE_NAMES.collect}`])] }) },
            Condition: { StringNotLike: { 'sts:RoleSessionName': 'cloudsweep-cleanup*' } },
          }),
        ],
      },
    });
    member.hasParameter('CentralAccountId', { AllowedPattern: '^\\d{12}$' });
    synthApp({ centralAccountId: '111122223333' }).memberTemplate.hasParameter('CentralAccountId', { Default: '111122223333' });
  });

  it('lets only cleanup sessions deactivate or delete keys', () => {
    const statements = new Capture();
    member.hasResourceProperties('AWS::IAM::Policy', { PolicyDocument: { Statement: statements } });
    const list = statements.asArray() as { Action: string[] | string; Condition?: unknown }[];
    const writes = list.filter((s) => [s.Action].flat().some((a) => /Delete|Update/.test(a)));
    expect(writes).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: ['iam:UpdateAccessKey', 'iam:DeleteAccessKey'],
        Condition: { StringLike: { 'aws:userid': '*:cloudsweep-cleanup*' } },
      }),
      PROTECTED_USERS_DENY('cloudsweep:protect'),
    ]);
    const reads = list.filter((s) => s.Condition === undefined);
    expect(reads.flatMap((s) => [s.Action].flat())).toEqual(expect.arrayContaining(['iam:GetCredentialReport', 'iam:GetAccountAuthorizationDetails', 'iam:ListAccessKeys']));
  });
});

describe('protection enforced by IAM', () => {
  function keyWriteStatements(template: Template): unknown[] {
    const documents = Object.values(template.findResources('AWS::IAM::Policy')).map(
      (policy) => (policy as { Properties: { PolicyDocument: { Statement: { Action: string[] | string }[] } } }).Properties.PolicyDocument.Statement,
    );
    return documents.flat().filter((statement) => [statement.Action].flat().includes('iam:DeleteAccessKey'));
  }

  it('denies key writes on users carrying the deployed protect tag, in the member role and the cleanup role', () => {
    expect(keyWriteStatements(member)).toContainEqual(PROTECTED_USERS_DENY('cloudsweep:protect'));
    const cleanupPolicy = policyOf(central, logicalId(defaults.central.functions.cleanup.role));
    expect(JSON.parse(cleanupPolicy)).toEqual([
      expect.objectContaining({ PolicyDocument: expect.objectContaining({ Statement: expect.arrayContaining([PROTECTED_USERS_DENY('cloudsweep:protect')]) }) }),
    ]);
  });

  it('denies on the tag the deployment names', () => {
    const chosen = synthApp({ protectTag: 'security:keep' });
    expect(keyWriteStatements(chosen.memberTemplate)).toContainEqual(PROTECTED_USERS_DENY('security:keep'));
    expect(keyWriteStatements(chosen.centralTemplate)).toContainEqual(PROTECTED_USERS_DENY('security:keep'));
  });

  it('allows key writes to no other role of the central stack', () => {
    const allowed = Object.entries(central.findResources('AWS::IAM::Policy')).filter(([, policy]) =>
      keyWriteStatements(Template.fromJSON({ Resources: { policy } })).some((statement) => (statement as { Effect: string }).Effect === 'Allow'),
    );
    expect(allowed.map(([, policy]) => (policy as { Properties: { Roles: unknown[] } }).Properties.Roles)).toEqual([
      [{ Ref: logicalId(defaults.central.functions.cleanup.role) }],
    ]);
  });
});

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['defaults', {}],
    ['organization mode with notifications', { organization: true, notifyEmail: 'ops@example.com' }],
    ['listed accounts', { accounts: ['222222222222'] }],
  ])('leaves no unacknowledged finding (%s)', (_name, context) => {
    const app = synthApp(context);
    for (const stack of [app.central, app.member]) {
      const report = new AwsSolutionsChecks().validateScope(stack);
      expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`)).toEqual([]);
    }
  });

  it('acknowledges every finding with a reason on the exact resource', () => {
    const acknowledged = defaults.app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules').map((m) => ({ path: c.node.path, data: m.data as unknown })));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const entry of acknowledged) {
      expect(entry.path).not.toMatch(/^CloudSweep(Member)?$/);
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        expect(id).toMatch(/AwsSolutions-/);
        expect(reason.length).toBeGreaterThan(40);
      }
    }
  });
});
