import { CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateStateMachineCommand } from '@aws-sdk/client-sfn';
import type { CliContext } from '../../cli/context';
import { run } from '../../cli/main';
import { AwsClients } from '../../src/aws/clients';
import { executionArnOf, ExecutionsDeps, followExecution, listExecutions, readExecution, startExecution } from '../../src/executions/executions';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import type { RunProgress } from '../../src/workflow/runner';
import { PassMachineOptions, passStateMachineDefinition } from '../support/pass-state-machine';

const CLEANUP_SUMMARY = { flagged: 9, protected: 1, skipped: 0, deleted: 8, deactivated: 0, already_absent: 0, failed: 0, dry_run: false, cleanup_enabled: true };
const PLAN_SUMMARY = { flagged: 9, protected: 1, candidates: 8, cleanup_enabled: true, dry_run: false };
const COLLECT_SUMMARY = { accounts: 3, users: 24, keys: 39, calls: 40, failed_accounts: [], duration_ms: 800 };

describe('workflow runs in a deployed stack (Step Functions in moto)', () => {
  let emulator: Emulator;
  let aws: AwsClients;
  const summaries = { collect: COLLECT_SUMMARY, plan: PLAN_SUMMARY, cleanup: CLEANUP_SUMMARY };
  const jobs = { post_collect: [{ job_id: 'clean_outdated_access_keys', matched: 9, flagged: 9, duration_ms: 12 }] };
  let machines = 0;

  /**
   * A fresh state machine in a reset emulator for each execution: moto 5.2 deep-copies the state
   * machine on StartExecution and fails once any execution has run (its worker holds a lock).
   */
  async function stateMachine(options: PassMachineOptions = { summaries, jobs }): Promise<ExecutionsDeps> {
    await emulator.motoApi('/moto-api/reset', {});
    await emulator.motoApi('/moto-api/config', { stepfunctions: { execute_state_machine: true } });
    machines += 1;
    const created = await aws.sfn.send(
      new CreateStateMachineCommand({ name: `cloudsweep-${machines}`, definition: passStateMachineDefinition(options), roleArn: 'arn:aws:iam::123456789012:role/sfn' }),
    );
    return { sfn: aws.sfn, stateMachineArn: created.stateMachineArn ?? '', pollMs: 50 };
  }

  beforeAll(async () => {
    emulator = await startEmulator();
    aws = new AwsClients({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  });
  afterAll(() => emulator.stop());

  it('follows a cleanup run step by step and reports each summary', async () => {
    const seen: RunProgress[] = [];
    const healthy = await stateMachine();
    const started = await startExecution(healthy, 'cleanup', '20261123T100000Z-000001');
    const run = await followExecution(healthy, started, 'cleanup', (progress) => seen.push(progress));
    expect(run.status).toBe('succeeded');
    expect(run.mode).toBe('deployed');
    expect(run.steps.map((step) => step.event)).toEqual([
      'pre_cleanup_plan', 'cleanup_plan', 'post_cleanup_plan', 'pre_cleanup', 'cleanup', 'post_cleanup',
    ]);
    expect(run.steps.find((step) => step.event === 'cleanup_plan')?.summary).toEqual(PLAN_SUMMARY);
    expect(run.steps.find((step) => step.event === 'cleanup')?.summary).toEqual(CLEANUP_SUMMARY);
    expect(seen.filter((p) => p.type === 'step_started').map((p) => (p.type === 'step_started' ? p.index : -1))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(seen[seen.length - 1]?.type).toBe('run_finished');
  });

  it('reports the jobs that ran at an event', async () => {
    const healthy = await stateMachine();
    const started = await startExecution(healthy, 'collect_and_cleanup', '20261123T100100Z-000002');
    const run = await followExecution(healthy, started, 'collect_and_cleanup');
    expect(run.steps).toHaveLength(9);
    expect(run.steps.find((step) => step.event === 'post_collect')?.jobs).toEqual([
      { job_id: 'clean_outdated_access_keys', matched: 9, flagged: 9, duration_ms: 12 },
    ]);
    expect(run.steps.find((step) => step.event === 'collect')?.summary).toEqual(COLLECT_SUMMARY);
  });

  it('stops a collect run after post_collect', async () => {
    const healthy = await stateMachine();
    const started = await startExecution(healthy, 'collect', '20261123T100200Z-000003');
    const run = await followExecution(healthy, started, 'collect');
    expect(run.steps.map((step) => step.event)).toEqual(['pre_collect', 'collect', 'post_collect']);
  });

  it('marks the run and its step failed with the execution error', async () => {
    const failing = await stateMachine({
      summaries,
      failAt: 'cleanup',
      failure: { error: 'CleanupRefused', cause: 'above max_cleanup_per_run (100): 120 keys flagged' },
    });
    const started = await startExecution(failing, 'cleanup', '20261123T100300Z-000004');
    const run = await followExecution(failing, started, 'cleanup');
    expect(run.status).toBe('failed');
    const last = run.steps[run.steps.length - 1];
    expect(last?.event).toBe('cleanup');
    expect(last?.status).toBe('failed');
    expect(run.error).toBe('cleanup: CleanupRefused: above max_cleanup_per_run (100): 120 keys flagged');
  });

  it('shows the steps of a stretch before the one it failed at as done, and that one failed', async () => {
    const failing = await stateMachine({ summaries, failAt: 'post_cleanup_plan', failure: { error: 'PostCleanupPlanFailed', cause: 'ResourceNotFoundException: event bus cloudsweep does not exist' } });
    const started = await startExecution(failing, 'cleanup', '20261123T100305Z-000008');
    const run = await followExecution(failing, started, 'cleanup');
    expect(run.steps.map((step) => [step.event, step.status])).toEqual([
      ['pre_cleanup_plan', 'succeeded'],
      ['cleanup_plan', 'succeeded'],
      ['post_cleanup_plan', 'failed'],
    ]);
    expect(run.error).toBe('post_cleanup_plan: PostCleanupPlanFailed: ResourceNotFoundException: event bus cloudsweep does not exist');
  });

  it('reports a run refused the lease as failed before any step, naming the holder', async () => {
    const message = 'another workflow run holds the lease: run 20261123T095900Z-000000 (collect, started 2026-11-23T09:59:00.000Z on host:42), until ...';
    const busy = await stateMachine({
      summaries,
      failAt: 'acquire_lease',
      failure: { error: 'LeaseBusyError', cause: JSON.stringify({ errorType: 'LeaseBusyError', errorMessage: message, trace: [] }) },
    });
    const seen: RunProgress[] = [];
    const started = await startExecution(busy, 'cleanup', '20261123T100310Z-000006');
    const run = await followExecution(busy, started, 'cleanup', (progress) => seen.push(progress));
    expect(run.status).toBe('failed');
    expect(run.steps).toEqual([]);
    expect(run.error).toBe(`acquire_lease: LeaseBusyError: ${message}`);
    expect(seen.map((p) => p.type)).toEqual(['run_started', 'run_finished']);
  });

  it('keeps every step succeeded when only releasing the lease failed', async () => {
    const stuck = await stateMachine({ summaries, failAt: 'release_lease', failure: { error: 'Lambda.Unknown', cause: 'timed out' } });
    const started = await startExecution(stuck, 'collect', '20261123T100320Z-000007');
    const run = await followExecution(stuck, started, 'collect');
    expect(run.status).toBe('failed');
    expect(run.steps.map((step) => [step.event, step.status])).toEqual([
      ['pre_collect', 'succeeded'],
      ['collect', 'succeeded'],
      ['post_collect', 'succeeded'],
    ]);
    expect(run.error).toBe('release_lease: Lambda.Unknown: timed out');
  });

  it('reads a finished run back by its id and lists runs', async () => {
    const deps = await stateMachine();
    const started = await startExecution(deps, 'cleanup', '20261123T100400Z-000005');
    await followExecution(deps, started, 'cleanup');
    const run = await readExecution(deps, '20261123T100400Z-000005');
    expect(run?.workflow).toBe('cleanup');
    expect(run?.status).toBe('succeeded');
    expect(run?.steps).toHaveLength(6);
    expect(await readExecution(deps, 'no-such-run')).toBeUndefined();
    const listed = await listExecutions(deps, 10);
    expect(listed).toEqual([expect.objectContaining({ run_id: '20261123T100400Z-000005', workflow: 'cleanup', status: 'succeeded', mode: 'deployed' })]);
  });

  describe('cloudsweep workflow run, with the names from the stack outputs', () => {
    let out: string[];
    let err: string[];
    const context = (): CliContext => ({
      out: (text) => void out.push(text),
      err: (text) => void err.push(text),
      env: { AWS_ENDPOINT_URL: emulator.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' },
      isTTY: false,
      color: false,
    });

    /** A CloudSweep stack in moto's CloudFormation whose outputs name the state machine. */
    async function deployedStack(stateMachineArn: string): Promise<void> {
      const template = {
        Resources: { Queue: { Type: 'AWS::SQS::Queue' } },
        Outputs: { StateMachineArn: { Value: stateMachineArn } },
      };
      await aws.cloudformation.send(new CreateStackCommand({ StackName: 'CloudSweep', TemplateBody: JSON.stringify(template) }));
    }

    beforeEach(() => {
      out = [];
      err = [];
    });

    it('starts the execution and follows it to the end', async () => {
      const deps = await stateMachine();
      await deployedStack(deps.stateMachineArn);
      expect(await run(['workflow', 'run', 'cleanup'], context())).toBe(0);
      const text = out.join('\n');
      expect(text).toMatch(/Workflow cleanup started: run \S+ \(Step Functions execution arn:aws:states:/);
      expect(text).toMatch(/cleanup: 9 flagged, 1 protected, 0 skipped, 8 deleted/);
      expect(text).toMatch(/Workflow cleanup succeeded/);
    });

    it('returns the execution ARN at once with --no-wait', async () => {
      const deps = await stateMachine();
      await deployedStack(deps.stateMachineArn);
      expect(await run(['workflow', 'run', 'collect', '--no-wait'], context())).toBe(0);
      expect(out).toEqual([expect.stringMatching(/^arn:aws:states:us-east-1:123456789012:execution:cloudsweep-\d+:\S+$/)]);
    });

    it('exits 1 when the execution fails', async () => {
      const deps = await stateMachine({ summaries, failAt: 'cleanup', failure: { error: 'CleanupRefused', cause: 'above max_cleanup_per_run' } });
      await deployedStack(deps.stateMachineArn);
      expect(await run(['workflow', 'run', 'cleanup'], context())).toBe(1);
      expect(out.join('\n') + err.join('\n')).toMatch(/CleanupRefused/);
    });

    it('runs the workflow in this process when no stack is deployed', async () => {
      await emulator.motoApi('/moto-api/reset', {});
      expect(await run(['init'], context())).toBe(0);
      out = [];
      expect(await run(['workflow', 'run', 'cleanup'], context())).toBe(0);
      expect(err.join('\n')).toMatch(/No stack CloudSweep is deployed here \(region us-east-1\): running cleanup in this process/);
      expect(out.join('\n')).toMatch(/Workflow cleanup succeeded/);
    });

    it('refuses a stack named with --stack that is not deployed, naming the region and account looked in', async () => {
      await emulator.motoApi('/moto-api/reset', {});
      expect(await run(['init'], context())).toBe(0);
      err = [];
      expect(await run(['--stack', 'CloudSweepProd', 'workflow', 'run', 'cleanup'], context())).toBe(1);
      expect(err).toEqual([
        'error: stack CloudSweepProd is not deployed in region us-east-1, account 123456789012. Check --stack, --region (or AWS_REGION) and the credentials (AWS_PROFILE); leave --stack out to use the tables of cloudsweep init.',
      ]);
      err = [];
      expect(await run(['jobs', 'list', '--stack', 'CloudSweepProd'], context())).toBe(1);
      expect(err.join('\n')).toMatch(/stack CloudSweepProd is not deployed in region us-east-1, account 123456789012/);
    });

    it('runs nothing without a stack when the tables of cloudsweep init are missing too', async () => {
      await emulator.motoApi('/moto-api/reset', {});
      expect(await run(['workflow', 'run', 'cleanup'], context())).toBe(1);
      expect(err.join('\n')).toMatch(
        /^error: no stack CloudSweep is deployed in region us-east-1, account 123456789012, and the tables of cloudsweep init are missing \(cloudsweep-inventory, .*cloudsweep-runs\)\. Deploy the stack/,
      );
      expect(out).toEqual([]);
    });

    it('refuses --no-wait for a run in this process, which ends with the process', async () => {
      await emulator.motoApi('/moto-api/reset', {});
      expect(await run(['init'], context())).toBe(0);
      out = [];
      expect(await run(['workflow', 'run', 'collect', '--in-process', '--no-wait'], context())).toBe(2);
      expect(err.join('\n')).toMatch(/--no-wait applies to a deployed stack's state machine; a run with --in-process happens in this process/);
      expect(await run(['workflow', 'run', 'collect', '--no-wait'], context())).toBe(2);
      expect(err.join('\n')).toMatch(/without a deployed stack the run happens in this process and ends with it/);
      expect(out).toEqual([]);
    });
  });

  it('derives an execution ARN from the state machine ARN and the run id', () => {
    expect(executionArnOf('arn:aws:states:us-east-1:123456789012:stateMachine:cloudsweep', 'r1')).toBe(
      'arn:aws:states:us-east-1:123456789012:execution:cloudsweep:r1',
    );
  });
});
