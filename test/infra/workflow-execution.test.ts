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
import { WORKFLOW_FAILED } from '../../src/events/contracts';
import { stepsOf, WORKFLOW_EVENTS, WorkflowEvent, WorkflowName } from '../../src/workflow/declaration';
import { accountBatches, summarizeCollect } from '../../src/collect';
import type {
  AccountCollectResult,
  AccountRef,
  BatchCollectResult,
  CleanupSummary,
  CollectBatches,
  CollectSummary,
  JobsSummary,
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
  ): Promise<{ execution: DescribeExecutionCommandOutput; states: string[]; lease: string[]; history: HistoryEvent[]; inputs: Record<string, unknown>[] }> {
    const name = `run-${++runs}`;
    const created = await aws.sfn.send(new CreateStateMachineCommand({ name: `cloudsweep-${name}`, definition, roleArn }));
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
   * publishes when invoked with run_jobs (moto's simple Lambda backend only answers, so they are
   * read from the invocations), then what the state machine put on the bus itself (workflow_failed),
   * as the bus's rule delivered it to the queue.
   */
  async function published(): Promise<Published[]> {
    const events: Published[] = lambdaInputs(lastHistory).flatMap((payload) =>
      payload.action === 'run_jobs'
        ? [{ detailType: String(payload.event), detail: { workflow: String(payload.workflow), run_id: String(payload.run_id), summary: payload.summary as Record<string, unknown> } }]
        : [],
    );
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

  const jobs = (event: WorkflowEvent): JobsSummary => ({ event, jobs: [] });
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

  /** The Lambda results of the steps of a workflow, in the order the state machine invokes them. */
  function stepResults(workflow: WorkflowName, collected = collectResults(accounts).results): unknown[] {
    return stepsOf(workflow).flatMap((step) => {
      const results: unknown[] = [jobs(step.event)];
      if (step.action === 'collect') results.push(...collected);
      if (step.action === 'plan') results.push(planSummary);
      if (step.action === 'cleanup') results.push(cleanupSummary);
      return results;
    });
  }

  /** A whole run: the lease taken first (plan: acquire_lease), the steps, the lease released last. */
  function resultsFor(workflow: WorkflowName, collected?: unknown[]): unknown[] {
    return [leaseTaken(workflow), ...stepResults(workflow, collected), leaseReleased];
  }

  it('runs collect_and_cleanup: collect per account, every event in order, then plan and cleanup', async () => {
    await queueResults(resultsFor('collect_and_cleanup'));

    const { execution, states, lease } = await execute({ workflow: 'collect_and_cleanup' });

    expect(execution.status).toBe('SUCCEEDED');
    expect(lease).toEqual([`acquire_lease ${execution.name}`, `release_lease ${execution.name}`]);
    expect(states.slice(0, 4)).toEqual(['Choose workflow', 'Start collect_and_cleanup', 'Acquire lease', 'Enter workflow']);
    expect(states.slice(-2)).toEqual(['Release lease', 'Done']);
    const events = await published();
    expect(events.map((e) => e.detailType)).toEqual([...WORKFLOW_EVENTS]);
    for (const event of events) expect(event.detail).toMatchObject({ workflow: 'collect_and_cleanup', run_id: execution.name });
    expect(events.find((e) => e.detailType === 'pre_collect')?.detail.summary).toEqual({});
    expect(events.find((e) => e.detailType === 'post_collect')?.detail.summary).toEqual(collectSummary);
    expect(events.find((e) => e.detailType === 'post_cleanup_plan')?.detail.summary).toEqual(planSummary);
    expect(events.find((e) => e.detailType === 'post_cleanup')?.detail.summary).toEqual(cleanupSummary);
    expect(states.filter((s) => s === 'Collect batch')).toHaveLength(1);
    expect(states).toEqual(expect.arrayContaining(['List accounts', 'Summarize collect', 'Draw cleanup plan', 'Clean up']));
    expect(JSON.parse(execution.output ?? '{}')).toMatchObject({
      lease: leaseTaken('collect_and_cleanup'),
      summaries: { collect: collectSummary, plan: planSummary, cleanup: cleanupSummary },
    });
  });

  it('stops collect after post_collect', async () => {
    await queueResults(resultsFor('collect'));

    const { execution, states, lease } = await execute({ workflow: 'collect' });

    expect(execution.status).toBe('SUCCEEDED');
    expect((await published()).map((e) => e.detailType)).toEqual(['pre_collect', 'collect', 'post_collect']);
    expect(lease).toEqual([`acquire_lease ${execution.name}`, `release_lease ${execution.name}`]);
    expect(states.slice(-3)).toEqual(['After post_collect', 'Release lease', 'Done']);
    expect(states).not.toContain('Draw cleanup plan');
    expect(states).not.toContain('Clean up');
  });

  it('runs cleanup without collecting', async () => {
    await queueResults(resultsFor('cleanup'));

    const { execution, states } = await execute({ workflow: 'cleanup' });

    expect(execution.status).toBe('SUCCEEDED');
    expect((await published()).map((e) => e.detailType)).toEqual(WORKFLOW_EVENTS.slice(3));
    expect(states).not.toContain('List accounts');
    expect(states).not.toContain('Collect accounts');
  });

  it('publishes workflow_failed, releases the lease and fails with the original error when a Lambda fails', async () => {
    await queueResults([leaseTaken('cleanup'), ...stepResults('cleanup').slice(0, 6), FAILING, leaseReleased]);

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
    expect(states).not.toContain('Release lease');
  });

  it('publishes post_cleanup with the accounts cleanup could not enter, then fails so the alarm sees it', async () => {
    const incomplete: CleanupSummary = {
      ...cleanupSummary,
      failed: 2,
      failed_accounts: ['222222222222'],
      account_failures: [{ account_id: '222222222222', account_name: 'prod', error: 'AccessDenied: not authorized to perform sts:AssumeRole', keys: 2 }],
      incomplete: 'cleanup could not enter 1 account: 222222222222 (prod): AccessDenied: not authorized to perform sts:AssumeRole [2 keys left]',
    };
    const results = stepResults('cleanup');
    results[results.indexOf(cleanupSummary)] = incomplete;
    await queueResults([leaseTaken('cleanup'), ...results, leaseReleased]);

    const { execution, states, lease } = await execute({ workflow: 'cleanup' });

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('CleanupIncomplete');
    expect(execution.cause).toBe(incomplete.incomplete);
    expect(lease).toEqual([`acquire_lease ${execution.name}`, `release_lease ${execution.name}`]);
    const events = await published();
    expect(events.map((e) => e.detailType)).toEqual([...WORKFLOW_EVENTS.slice(3), WORKFLOW_FAILED]);
    expect(events.find((e) => e.detailType === 'post_cleanup')?.detail.summary).toEqual(incomplete);
    expect(events.at(-1)?.detail.summary).toEqual({ step: 'post_cleanup', error: 'CleanupIncomplete', cause: incomplete.incomplete });
    expect(states.slice(-6)).toEqual([
      'Complete at post_cleanup?',
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
    const results = stepResults('cleanup');
    results.splice(results.indexOf(cleanupSummary), 1, first, second);
    await queueResults([leaseTaken('cleanup'), ...results, leaseReleased]);

    const { execution, states, inputs } = await execute({ workflow: 'cleanup' });

    expect(execution.status).toBe('SUCCEEDED');
    expect(states.filter((s) => s === 'Clean up')).toHaveLength(2);
    expect(states.filter((s) => s === 'More to clean up?')).toHaveLength(2);
    const cleanups = inputs.filter((input) => input.action === 'cleanup');
    expect(cleanups.map((input) => input.previous)).toEqual([{}, first]);
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
    expect(states).toEqual(['Choose workflow', 'Start collect', 'Acquire lease', 'Failed during acquire_lease', 'Publish workflow_failed', 'Release lease after failure', 'Workflow failed']);
  });

  it('reports a lease it could not release at the end as a failure of release_lease', async () => {
    await queueResults([...resultsFor('collect').slice(0, -1), FAILING, leaseReleased]);

    const { execution, states } = await execute({ workflow: 'collect' });

    expect(execution.status).toBe('FAILED');
    const events = await published();
    expect(events.map((e) => e.detailType)).toEqual(['pre_collect', 'collect', 'post_collect', WORKFLOW_FAILED]);
    expect(events.at(-1)?.detail.summary).toMatchObject({ step: 'release_lease' });
    expect(states.slice(-5)).toEqual(['Release lease', 'Failed during release_lease', 'Publish workflow_failed', 'Release lease after failure', 'Workflow failed']);
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
