import { CreateEventBusCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  HistoryEvent,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AwsClients } from '../../src/aws/clients';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { ExecutionFollower } from '../../src/executions/execution-history';
import { WORKFLOW_FAILED } from '../../src/events/contracts';
import { lastOf, stretchesOf, stretchFrom, WORKFLOW_EVENTS, WorkflowEvent, WorkflowName } from '../../src/workflow/declaration';
import type { StepJobs } from '../../src/workflow/stretch';
import { accountBatches, summarizeCollect } from '../../src/collect';
import type {
  AccountCollectResult,
  AccountRef,
  BatchCollectResult,
  CleanupSummary,
  CollectBatches,
  CollectSummary,
  LeaseRelease,
  LeaseTaken,
  PlanSummary,
} from '../../src/workflow/step-payloads';
import { logicalId, resolveIntrinsics, synthApp } from './support/synth';

/**
 * The synthesized state machine definition, run by moto's Step Functions interpreter. moto's
 * simple Lambda backend answers each invocation with the next queued result, in call order, so
 * each test queues what the functions would return; events reach an SQS queue through a rule.
 */
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const BUS = 'cloudsweep-test';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

interface Published {
  detailType: string;
  detail: { workflow: string; run_id: string; summary: Record<string, unknown> };
}

// moto runs each execution in a thread of its own; on a busy machine (two suites at once) one takes
// far longer than on a quiet one, so each test waits for its execution by a generous deadline.
jest.setTimeout(150_000);

describe('the state machine in moto', () => {
  let emulator: Emulator;
  let aws: AwsClients;
  let sqs: SQSClient;
  let queueUrl: string;
  let definition: string;
  let roleArn: string;
  let runs = 0;

  beforeAll(async () => {
    emulator = await startEmulator();
    await emulator.motoApi('/moto-api/config', { stepfunctions: { execute_state_machine: true }, lambda: { use_docker: false } });
    aws = new AwsClients({ endpoint: emulator.endpoint, region: REGION, credentials });
    sqs = new SQSClient({ endpoint: emulator.endpoint, region: REGION, credentials });

    const role = await aws.iam.send(
      new CreateRoleCommand({ RoleName: 'cloudsweep-test', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }) }),
    );
    roleArn = role.Role?.Arn ?? '';
    const functionArn = async (name: string) => {
      const created = await aws.lambda.send(
        new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs22.x', Role: roleArn, Handler: 'index.handler', Code: { ZipFile: EMPTY_ZIP } }),
      );
      return created.FunctionArn ?? '';
    };
    const bus = await aws.eventbridge.send(new CreateEventBusCommand({ Name: BUS }));
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: 'cloudsweep-events' }));
    queueUrl = queue.QueueUrl ?? '';
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
    await aws.eventbridge.send(new PutRuleCommand({ Name: 'all', EventBusName: BUS, EventPattern: JSON.stringify({ source: ['cloudsweep'] }) }));
    await aws.eventbridge.send(new PutTargetsCommand({ Rule: 'all', EventBusName: BUS, Targets: [{ Id: 'queue', Arn: attributes.Attributes?.QueueArn ?? '' }] }));

    const { central } = synthApp();
    const functions = {
      collect: await functionArn('cloudsweep-collect'),
      plan: await functionArn('cloudsweep-plan'),
      cleanup: await functionArn('cloudsweep-cleanup'),
    };
    {
      const machine = central.workflow.stateMachine.node.defaultChild as unknown as { definitionString: unknown };
      const resolved = resolveIntrinsics(central.resolve(machine.definitionString), { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT }, {
        [`${logicalId(central.functions.collect.function)}.Arn`]: functions.collect,
        [`${logicalId(central.functions.plan.function)}.Arn`]: functions.plan,
        [`${logicalId(central.functions.cleanup.function)}.Arn`]: functions.cleanup,
        [`${logicalId(central.eventBus)}.Arn`]: bus.EventBusArn ?? '',
      });
      definition = String(resolved);
    }
    // Synthesizing the app takes long on a busy machine.
  }, 240_000);
  afterAll(async () => {
    sqs?.destroy();
    await emulator?.stop();
  });

  async function queueResults(results: unknown[]): Promise<void> {
    await emulator.motoApi('/moto-api/static/lambda-simple/response', { results: results.map((r) => JSON.stringify(r)), region: REGION });
  }

  /**
   * Runs the definition to its end; gives the execution and the states it entered. moto 5.2 cannot
   * start an execution while another one is stored, so each run has its own state machine, deleted after.
   */
  async function execute(
    input: unknown,
    waitMs = 120_000,
    failing: Record<string, { error: string; cause: string }> = {},
  ): Promise<{ execution: DescribeExecutionCommandOutput; states: string[]; lease: string[]; history: HistoryEvent[]; inputs: Record<string, unknown>[] }> {
    const name = `run-${++runs}`;
    const created = await aws.sfn.send(new CreateStateMachineCommand({ name: `cloudsweep-${name}`, definition: failingAs(definition, failing), roleArn }));
    try {
      const started = await aws.sfn.send(new StartExecutionCommand({ stateMachineArn: created.stateMachineArn, name, input: JSON.stringify(input) }));
      const deadline = Date.now() + waitMs;
      for (;;) {
        const execution = await aws.sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
        if (execution.status !== 'RUNNING' || Date.now() > deadline) {
          const history: HistoryEvent[] = [];
          let token: string | undefined;
          do {
            const page = await aws.sfn.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn, maxResults: 1000, ...(token ? { nextToken: token } : {}) }));
            history.push(...(page.events ?? []));
            token = page.nextToken;
          } while (token);
          lastHistory = history;
          return { execution, states: visitedStates(history), lease: leaseCalls(history), history, inputs: lambdaInputs(history) };
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await aws.sfn.send(new DeleteStateMachineCommand({ stateMachineArn: created.stateMachineArn }));
    }
  }

  let lastHistory: HistoryEvent[] = [];

  /**
   * What the last execution published, in order: the workflow events, which the plan function
   * publishes when invoked with run_steps (moto's simple Lambda backend only answers, so they are
   * read from the invocations: each event of the stretch, with the summary it reports, from the
   * state the function was given or, for the plan it draws, the state it answered), then what the
   * state machine put on the bus itself (workflow_failed), as the bus's rule delivered it to the queue.
   */
  async function published(): Promise<Published[]> {
    const events: Published[] = [];
    let scheduled: Record<string, unknown> | undefined;
    for (const event of lastHistory) {
      const input = event.lambdaFunctionScheduledEventDetails?.input;
      if (input) scheduled = JSON.parse(input) as Record<string, unknown>;
      if (event.type !== 'LambdaFunctionSucceeded' || scheduled?.action !== 'run_steps') continue;
      const given = scheduled as { workflow: string; run_id: string; from: WorkflowEvent; state: { summaries: Record<string, Record<string, unknown>> } };
      const answered = JSON.parse(event.lambdaFunctionSucceededEventDetails?.output ?? '{}') as { summaries: Record<string, Record<string, unknown>> };
      for (const step of stretchFrom(given.from) ?? []) {
        const summary = step.reports ? (given.state.summaries[step.reports] ?? answered.summaries[step.reports] ?? {}) : {};
        events.push({ detailType: step.event, detail: { workflow: given.workflow, run_id: given.run_id, summary } });
      }
    }
    lastHistory = [];
    for (;;) {
      const answer = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      const messages = answer.Messages ?? [];
      if (messages.length === 0) return events;
      for (const message of messages) {
        const event = JSON.parse(message.Body ?? '{}') as { 'detail-type': string; detail: Published['detail'] };
        events.push({ detailType: event['detail-type'], detail: event.detail });
      }
      // Deleted, not left to come back when their visibility timeout (30 s) ends, into a later test.
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })) }));
    }
  }

  function visitedStates(history: HistoryEvent[]): string[] {
    return history.flatMap((event) => (event.stateEnteredEventDetails?.name ? [event.stateEnteredEventDetails.name] : []));
  }

  /** The payloads the functions were invoked with, in order. */
  function lambdaInputs(history: HistoryEvent[]): Record<string, unknown>[] {
    return history.flatMap((event) => {
      const input = event.lambdaFunctionScheduledEventDetails?.input ?? event.taskScheduledEventDetails?.parameters;
      if (!input) return [];
      const parsed = JSON.parse(input) as { Payload?: Record<string, unknown> } & Record<string, unknown>;
      return [parsed.Payload ?? parsed];
    });
  }

  /** The plan function's calls about the lease, in order, with the run they name. */
  function leaseCalls(history: HistoryEvent[]): string[] {
    return lambdaInputs(history).flatMap((payload) =>
      payload.action === 'acquire_lease' || payload.action === 'release_lease' ? [`${String(payload.action)} ${String(payload.run_id)}`] : [],
    );
  }

  const jobs = (event: WorkflowEvent): StepJobs => ({ event, jobs: [], started_at: '2026-11-24T10:00:00.000Z', duration_ms: 20 });
  const accountResult = (account: AccountRef): AccountCollectResult => ({ account_id: account.id, account_name: account.name, users: 2, keys: 3, calls: 5, duration_ms: 10 });

  /**
   * What the collect function answers for these accounts, from the real contracts: list_accounts
   * stores them in batches (the Map's concurrency 8 is the stack's default) and gives their
   * numbers, each batch its counts, summarize the totals.
   */
  function collectResults(accounts: AccountRef[], results = accounts.map(accountResult)): { results: unknown[]; summary: CollectSummary } {
    const batches = accountBatches(accounts);
    const listed: CollectBatches = { accounts: accounts.length, batches: batches.map((_, n) => n) };
    const counted = batches.map((batch, n): BatchCollectResult => ({ batch: n, accounts: batch.length, failed: 0 }));
    const summary = summarizeCollect(results);
    return { results: [listed, ...counted, summary], summary };
  }
  const accounts: AccountRef[] = [
    { id: ACCOUNT, name: 'home' },
    { id: '222222222222', name: 'prod', role_arn: 'arn:aws:iam::222222222222:role/CloudSweepMemberRole' },
  ];
  const { summary: collectSummary } = collectResults(accounts);
  const planSummary: PlanSummary = { flagged: 2, protected: 1, candidates: 1, cleanup_enabled: true, dry_run: false };
  const cleanupSummary: CleanupSummary = {
    flagged: 2, protected: 1, skipped: 0, deleted: 1, deactivated: 0, already_absent: 0, failed: 0, dry_run: false, cleanup_enabled: true,
    failed_accounts: [], account_failures: [], remaining: 0, invocations: 1,
  };

  const leaseTaken = (workflow: WorkflowName): LeaseTaken => ({ holder: 'run', workflow, where: 'step-functions:run', acquired_at: '2026-11-24T10:00:00.000Z', expires_at: 1795528800 });
  const leaseReleased: LeaseRelease = { holder: 'run', released: true };

  /**
   * The Lambda results of the steps of a workflow, in the order the state machine invokes them:
   * for each stretch, plan's answer (the state it was given, with the stretch's jobs and the plan it
   * drew added), then the results of the action that runs in states of its own.
   */
  function stepResults(workflow: WorkflowName, collected = collectResults(accounts).results, cleanups: CleanupSummary[] = [cleanupSummary]): unknown[] {
    const state: Record<string, unknown> & { summaries: Record<string, unknown>; jobs: Record<string, unknown> } = {
      workflow, run_id: 'run', lease: leaseTaken(workflow), summaries: {}, jobs: {},
    };
    const results: unknown[] = [];
    for (const stretch of stretchesOf(workflow)) {
      for (const step of stretch) {
        state.jobs[step.event] = jobs(step.event);
        if (step.action === 'plan') state.summaries.plan = planSummary;
      }
      results.push(structuredClone(state));
      const last = lastOf(stretch);
      if (last.action === 'collect') {
        results.push(...collected);
        state.collect = collected[0];
        state.summaries.collect = collected.at(-1);
      }
      if (last.action === 'cleanup') {
        results.push(...cleanups);
        state.summaries.cleanup = cleanups.at(-1);
      }
    }
    return results;
  }

  /** A whole run: the lease taken first (plan: acquire_lease), then the steps; the last stretch gives the lease up. */
  function resultsFor(workflow: WorkflowName, collected?: unknown[], cleanups?: CleanupSummary[]): unknown[] {
    return [leaseTaken(workflow), ...stepResults(workflow, collected, cleanups)];
  }

  /** The error a run_steps invocation fails with, as the Lambda runtime reports a thrown error. */
  const thrown = (error: string, message: string) => ({ error, cause: JSON.stringify({ errorType: error, errorMessage: message, trace: [] }) });

  it('runs collect_and_cleanup: collect per account, every event in order, then plan and cleanup', async () => {
    await queueResults(resultsFor('collect_and_cleanup'));

    const { execution, lease, inputs, history } = await execute({ workflow: 'collect_and_cleanup' });

    expect(execution.status).toBe('SUCCEEDED');
    // Taken by the first invocation; the last stretch, which ends the workflow, gives it up itself.
    expect(lease).toEqual([`acquire_lease ${execution.name}`]);
    expect(inputs.at(-1)).toMatchObject({ action: 'run_steps', from: 'post_cleanup', run_id: execution.name });
    const events = await published();
    expect(events.map((e) => e.detailType)).toEqual([...WORKFLOW_EVENTS]);
    for (const event of events) expect(event.detail).toMatchObject({ workflow: 'collect_and_cleanup', run_id: execution.name });
    expect(events.find((e) => e.detailType === 'pre_collect')?.detail.summary).toEqual({});
    expect(events.find((e) => e.detailType === 'post_collect')?.detail.summary).toEqual(collectSummary);
    expect(events.find((e) => e.detailType === 'post_cleanup_plan')?.detail.summary).toEqual(planSummary);
    expect(events.find((e) => e.detailType === 'post_cleanup')?.detail.summary).toEqual(cleanupSummary);
    expect(JSON.parse(execution.output ?? '{}')).toMatchObject({
      lease: leaseTaken('collect_and_cleanup'),
      summaries: { collect: collectSummary, plan: planSummary, cleanup: cleanupSummary },
      jobs: Object.fromEntries(WORKFLOW_EVENTS.map((event) => [event, jobs(event)])),
    });
    // `workflow run|show` read the execution's history as the run's steps, one per event, with the action summaries.
    const follower = new ExecutionFollower('collect_and_cleanup', execution.name ?? '', execution.startDate ?? new Date());
    follower.consume(history);
    expect(follower.run.status).toBe('succeeded');
    expect(follower.run.steps.map((step) => [step.event, step.status])).toEqual(WORKFLOW_EVENTS.map((event) => [event, 'succeeded']));
    const summaryOf = (event: WorkflowEvent) => follower.run.steps.find((step) => step.event === event)?.summary;
    expect([summaryOf('collect'), summaryOf('cleanup_plan'), summaryOf('cleanup')]).toEqual([collectSummary, planSummary, cleanupSummary]);
  });

  it('enters 14 states in a steady collect_and_cleanup run of one batch, as Standard workflows bill each transition', async () => {
    await queueResults(resultsFor('collect_and_cleanup'));

    const { execution, states } = await execute({ workflow: 'collect_and_cleanup' });

    expect(execution.status).toBe('SUCCEEDED');
    // 14 transitions a run: at $0.000025 each, hourly (730 runs a month), $0.26 a month.
    expect(states).toEqual([
      'Choose workflow',
      'Acquire lease for collect_and_cleanup',
      'Publish pre_collect to collect',
      'List accounts',
      'Collect accounts',
      'Collect batch',
      'Summarize collect',
      'Publish post_collect',
      'After post_collect',
      'Publish pre_cleanup_plan to cleanup',
      'Clean up',
      'More to clean up?',
      'Publish post_cleanup',
      'Done',
    ]);
    await published();
  });

  it('stops collect after post_collect', async () => {
    await queueResults(resultsFor('collect'));

    const { execution, states, lease } = await execute({ workflow: 'collect' });

    expect(execution.status).toBe('SUCCEEDED');
    expect((await published()).map((e) => e.detailType)).toEqual(['pre_collect', 'collect', 'post_collect']);
    expect(lease).toEqual([`acquire_lease ${execution.name}`]);
    expect(states.slice(-3)).toEqual(['Publish post_collect', 'After post_collect', 'Done']);
    expect(states).not.toContain('Publish pre_cleanup_plan to cleanup');
    expect(states).not.toContain('Clean up');
  });

  it('runs cleanup without collecting', async () => {
    await queueResults(resultsFor('cleanup'));

    const { execution, states } = await execute({ workflow: 'cleanup' });

    expect(execution.status).toBe('SUCCEEDED');
    expect((await published()).map((e) => e.detailType)).toEqual(WORKFLOW_EVENTS.slice(3));
    expect(states).toEqual(['Choose workflow', 'Acquire lease for cleanup', 'Publish pre_cleanup_plan to cleanup', 'Clean up', 'More to clean up?', 'Publish post_cleanup', 'Done']);
  });

  it('publishes workflow_failed, releases the lease and fails with the original error when a Lambda fails', async () => {
    await queueResults([...resultsFor('cleanup').slice(0, 2), FAILING, leaseReleased]);

    const { execution, states, lease } = await execute({ workflow: 'cleanup' });

    expect(execution.status).toBe('FAILED');
    expect(execution.cause).toContain('Response payload size exceeded');
    expect(lease).toEqual([`acquire_lease ${execution.name}`, `release_lease ${execution.name}`]);
    const events = await published();
    expect(events.map((e) => e.detailType)).toEqual(['pre_cleanup_plan', 'cleanup_plan', 'post_cleanup_plan', 'pre_cleanup', 'cleanup', WORKFLOW_FAILED]);
    const failure = events.at(-1)?.detail;
    expect(failure).toMatchObject({ workflow: 'cleanup', run_id: execution.name, summary: { step: 'cleanup' } });
    expect(failure?.summary.error).toEqual(expect.any(String));
    expect(failure?.summary.cause).toEqual(expect.stringContaining('Response payload size exceeded'));
    expect(states.slice(-4)).toEqual(['Failed during cleanup', 'Publish workflow_failed', 'Release lease after failure', 'Workflow failed']);
    expect(states).not.toContain('Publish post_cleanup');
  });

  it('names the step a stretch of steps failed at in workflow_failed, from the error the function throws', async () => {
    await queueResults([leaseTaken('cleanup'), leaseReleased]);
    const failed = thrown('CleanupPlanFailed', 'ConfigError: stored fix.worker is not valid');

    const { execution, states, lease } = await execute({ workflow: 'cleanup' }, 120_000, { 'Publish pre_cleanup_plan to cleanup': failed });

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('CleanupPlanFailed');
    expect(lease).toEqual([`acquire_lease ${execution.name}`, `release_lease ${execution.name}`]);
    const events = await published();
    expect(events.at(-1)).toEqual({ detailType: WORKFLOW_FAILED, detail: { workflow: 'cleanup', run_id: execution.name, summary: { step: 'cleanup_plan', ...failed } } });
    expect(states.slice(-6)).toEqual(['Publish pre_cleanup_plan to cleanup', THROW, 'Failed during cleanup_plan', 'Publish workflow_failed', 'Release lease after failure', 'Workflow failed']);
  });

  it('names a stretch of steps by its first step when its invocation fails without an answer', async () => {
    await queueResults([leaseTaken('cleanup'), FAILING, leaseReleased]);

    const { execution, states } = await execute({ workflow: 'cleanup' });

    expect(execution.status).toBe('FAILED');
    expect((await published()).at(-1)?.detail.summary).toMatchObject({ step: 'pre_cleanup_plan', cause: expect.stringContaining('Response payload size exceeded') });
    expect(states).toContain('Failed during pre_cleanup_plan');
  });

  it('publishes post_cleanup with the accounts cleanup could not enter, then fails so the alarm sees it', async () => {
    const incomplete: CleanupSummary = {
      ...cleanupSummary,
      failed: 2,
      failed_accounts: ['222222222222'],
      account_failures: [{ account_id: '222222222222', account_name: 'prod', error: 'AccessDenied: not authorized to perform sts:AssumeRole', keys: 2 }],
      incomplete: 'cleanup could not enter 1 account: 222222222222 (prod): AccessDenied: not authorized to perform sts:AssumeRole [2 keys left]',
    };
    // The last stretch publishes post_cleanup with the summary and runs its jobs, then throws CleanupIncomplete.
    const results = resultsFor('cleanup', undefined, [incomplete]);
    await queueResults([...results.slice(0, -1), leaseReleased]);

    const { execution, states, lease, inputs } = await execute({ workflow: 'cleanup' }, 120_000, {
      'Publish post_cleanup': thrown('CleanupIncomplete', incomplete.incomplete ?? ''),
    });

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('CleanupIncomplete');
    expect(execution.cause).toBe(incomplete.incomplete);
    expect(lease).toEqual([`acquire_lease ${execution.name}`, `release_lease ${execution.name}`]);
    expect(inputs.filter((input) => input.action === 'cleanup')).toHaveLength(1);
    const events = await published();
    expect(events.map((e) => e.detailType)).toEqual([...WORKFLOW_EVENTS.slice(3, -1), WORKFLOW_FAILED]);
    expect(events.at(-1)?.detail.summary).toEqual({ step: 'post_cleanup', error: 'CleanupIncomplete', cause: incomplete.incomplete });
    expect(states.slice(-7)).toEqual([
      'Publish post_cleanup',
      THROW,
      'post_cleanup incomplete',
      'Failed during post_cleanup',
      'Publish workflow_failed',
      'Release lease after failure',
      'Workflow failed',
    ]);
  });

  it('invokes cleanup again, with the summary so far, while it reports keys remaining', async () => {
    const first: CleanupSummary = { ...cleanupSummary, deleted: 1, remaining: 3, invocations: 1, incomplete: '3 keys left when the time of 1 cleanup invocation ran out' };
    const second: CleanupSummary = { ...cleanupSummary, deleted: 4, remaining: 0, invocations: 2 };
    await queueResults(resultsFor('cleanup', undefined, [first, second]));

    const { execution, states, inputs } = await execute({ workflow: 'cleanup' });

    expect(execution.status).toBe('SUCCEEDED');
    expect(states.filter((s) => s === 'Clean up')).toHaveLength(2);
    expect(states.filter((s) => s === 'More to clean up?')).toHaveLength(2);
    const cleanups = inputs.filter((input) => input.action === 'cleanup') as { summaries: { cleanup?: CleanupSummary } }[];
    expect(cleanups.map((input) => input.summaries.cleanup)).toEqual([undefined, first]);
    expect((await published()).find((e) => e.detailType === 'post_cleanup')?.detail.summary).toEqual(second);
  });

  it('fails without running a step when the lease cannot be taken, and still fails when releasing fails', async () => {
    await queueResults([FAILING, FAILING]);

    const { execution, states, lease } = await execute({ workflow: 'collect' });

    expect(execution.status).toBe('FAILED');
    // The acquire's error, not the release's.
    expect(execution.cause).toContain('Response payload size exceeded');
    const events = await published();
    expect(events.map((e) => e.detailType)).toEqual([WORKFLOW_FAILED]);
    expect(events[0]?.detail).toMatchObject({ workflow: 'collect', run_id: execution.name, summary: { step: 'acquire_lease' } });
    expect(lease).toEqual([`acquire_lease ${execution.name}`, `release_lease ${execution.name}`]);
    expect(states).toEqual(['Choose workflow', 'Acquire lease for collect', 'Failed during acquire_lease', 'Publish workflow_failed', 'Release lease after failure', 'Workflow failed']);
  });

  it('reports a lease it could not release at the end as a failure of release_lease', async () => {
    await queueResults([...resultsFor('collect').slice(0, -1), leaseReleased]);

    const { execution, states } = await execute({ workflow: 'collect' }, 120_000, {
      'Publish post_collect': thrown('ReleaseLeaseFailed', 'ProvisionedThroughputExceededException: rate exceeded'),
    });

    expect(execution.status).toBe('FAILED');
    const events = await published();
    expect(events.map((e) => e.detailType)).toEqual(['pre_collect', 'collect', WORKFLOW_FAILED]);
    expect(events.at(-1)?.detail.summary).toMatchObject({ step: 'release_lease', error: 'ReleaseLeaseFailed' });
    expect(states.slice(-6)).toEqual(['Publish post_collect', THROW, 'Failed during release_lease', 'Publish workflow_failed', 'Release lease after failure', 'Workflow failed']);
  });

  /** The members of an organization of `count` accounts, the home account first. */
  function organization(count: number): AccountRef[] {
    return Array.from({ length: count }, (_, i) =>
      i === 0 ? { id: ACCOUNT, name: 'home' } : { id: String(200_000_000_000 + i), name: `member-account-${i}`, role_arn: `arn:aws:iam::${200_000_000_000 + i}:role/CloudSweepMemberRole` },
    );
  }

  /** The largest input or output of any state of the execution, in bytes (Step Functions' limit is 256 KB). */
  function largestPayload(history: HistoryEvent[]): number {
    let largest = 0;
    for (const event of history) {
      for (const details of [event.stateEnteredEventDetails?.input, event.stateExitedEventDetails?.output]) {
        if (details !== undefined) largest = Math.max(largest, Buffer.byteLength(details));
      }
    }
    return largest;
  }

  it('collects 200 accounts in 8 batches of 25, with counts, not per-account results, in the state', async () => {
    const members = organization(200);
    const { results, summary } = collectResults(members);
    await queueResults(resultsFor('collect', results));

    const { execution, states, history } = await execute({ workflow: 'collect' }, 120_000);

    expect(execution.status).toBe('SUCCEEDED');
    expect(states.filter((s) => s === 'Collect batch')).toHaveLength(8);
    expect((await published()).find((e) => e.detailType === 'post_collect')?.detail.summary).toEqual(summary);
    expect(summary).toMatchObject({ accounts: 200, users: 400, keys: 600, failed_accounts: [] });
    const output = JSON.parse(execution.output ?? '{}') as { collect: CollectBatches };
    expect(output.collect).toEqual({ accounts: 200, batches: [0, 1, 2, 3, 4, 5, 6, 7] });
    expect(JSON.stringify(output)).not.toContain('member-account-');
    expect(largestPayload(history)).toBeLessThan(4 * 1024);
  }, 180_000);

  it('keeps every state of a 5,000-account collect_and_cleanup far under 256 KB, even with every account failed', async () => {
    const members = organization(5_000);
    const failed = members.map((account) => ({ ...accountResult(account), users: 0, keys: 0, error: `AccessDenied: cannot assume ${account.role_arn ?? 'the role'}` }));
    const { results, summary } = collectResults(members, failed);
    expect(summary.failed_accounts).toHaveLength(5_000);
    await queueResults(resultsFor('collect_and_cleanup', results));

    const { execution, states, history } = await execute({ workflow: 'collect_and_cleanup' }, 300_000);

    expect(execution.status).toBe('SUCCEEDED');
    expect(states.filter((s) => s === 'Collect batch')).toHaveLength(200);
    // Far under the 25,000 events of an execution's history, too.
    expect(history.length).toBeLessThan(3_000);
    // The summary naming 5,000 failed accounts is the largest payload: about 75 KB (1.8 KB when none fails).
    expect(largestPayload(history)).toBeLessThan(100 * 1024);
    const events = await published();
    expect(events.find((e) => e.detailType === 'post_collect')?.detail.summary).toEqual(summary);
  }, 360_000);

  it('rejects an unknown workflow before taking the lease or publishing anything', async () => {
    const { execution, lease } = await execute({ workflow: 'collect_everything' });

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('UnknownWorkflow');
    expect(lease).toEqual([]);
    expect(await published()).toEqual([]);
  });
});

/** moto fails an invocation whose response is over 6 MB with a function error, as Lambda does. */
const FAILING = 'x'.repeat(6_000_001);

/** An empty zip archive: moto's simple Lambda backend never runs the code. */
const EMPTY_ZIP = Uint8Array.from([0x50, 0x4b, 0x05, 0x06, ...new Array<number>(18).fill(0)]);

/**
 * The definition with these states failing as a function that throws would: moto's simple Lambda
 * backend only answers, so each named task is swapped for a Parallel state whose one branch fails
 * with that error and cause, keeping the task's Catch (and so its way to the failure path).
 */
/** The state in the branch of a state failingAs swapped in. */
const THROW = 'Throw';

function failingAs(definition: string, failing: Record<string, { error: string; cause: string }>): string {
  if (Object.keys(failing).length === 0) return definition;
  const asl = JSON.parse(definition) as { States: Record<string, Record<string, unknown>> };
  for (const [name, { error, cause }] of Object.entries(failing)) {
    const task = asl.States[name];
    if (!task) throw new Error(`no state ${name} to fail`);
    asl.States[name] = {
      Type: 'Parallel',
      Branches: [{ StartAt: THROW, States: { [THROW]: { Type: 'Fail', Error: error, Cause: cause } } }],
      Catch: task.Catch,
      ...(task.Next ? { Next: task.Next } : { End: true }),
    };
  }
  return JSON.stringify(asl);
}
