import type { Command } from 'commander';
import { currentAbortSignal, despiteAbort } from '../src/aws/abort';
import type { SafetySettings } from '../src/cleanup/policy';
import { ReportedFailure, RuntimeError, ValidationError } from '../src/errors';
import { NOTIFY_SENDER_ENV } from '../src/owners/notices';
import type { CleanupSummary, CollectSummary, JobRunResult, PlanSummary } from '../src/workflow/step-payloads';
import { isWorkflowName, WORKFLOW_NAMES, WorkflowName } from '../src/workflow/declaration';
import type { RunProgress } from '../src/workflow/runner';
import type { ExecutionsDeps } from '../src/executions/executions';
import type { RunRecord, RunStore, StepRecord } from '../src/workflow/runs';
import type { NoticeLine, OwnerMessagesSummary } from '../src/owners/delivery';
import { CliContext, globalOptions, isJson, RegisterVerb } from './context';
import { formatTable, paint, plural, printJson, seconds } from './output';
import { resolveRuntime, Runtime, withAws } from './runtime';

/**
 * `cloudsweep workflow run|list|show` (SPEC section 6): runs a workflow in this process
 * (`--in-process`) or as an execution of the deployed state machine, and shows past runs.
 */
export const register: RegisterVerb = (program, context) => {
  const workflow = program.command('workflow').description('run a workflow (collect_and_cleanup, collect, cleanup) and show past runs');

  workflow
    .command('run')
    .description('run a workflow: collect_and_cleanup, collect or cleanup')
    .argument('<workflow>', `one of ${WORKFLOW_NAMES.join(', ')}`)
    .option('--in-process', 'run the steps in this process, against the same tables, bus and IAM (the default when no stack is deployed)')
    .option('--no-wait', 'deployed mode: start the execution and return without following it')
    .option('--lease-wait <duration>', 'when another run holds the lease, wait this long for it before refusing', '0s')
    .option('--minimum-idle-days <days>', 'in-process: the act-time floor, cleanup never writes to a key IAM shows used or created within it (default: CLOUDSWEEP_MINIMUM_IDLE_DAYS, else 30)')
    .option('--protect-tag <key>', 'in-process: the deploy-time protect tag, always honoured besides fix.worker\'s (default: CLOUDSWEEP_PROTECT_TAG, else cloudsweep:protect)')
    .option('--notify-sender <address>', 'in-process: the verified SES identity owners\' digests are sent from (default: CLOUDSWEEP_NOTIFY_SENDER; none: notices are recorded, not mailed)')
    .action(async (name: string, options: RunOptions, command: Command) => {
      const workflowName = checkWorkflow(name);
      const { parseDuration } = await import('../src/query/durations');
      const leaseWaitMs = parseDuration(options.leaseWait);
      if (leaseWaitMs === undefined || leaseWaitMs < 0) throw new ValidationError(`invalid --lease-wait ${JSON.stringify(options.leaseWait)}: give a duration such as 30s or 10m`);
      const { safetySettingsFromEnv } = await import('../src/cleanup/policy');
      const safety = safetySettingsFromEnv(context.env, { minimumIdleDays: options.minimumIdleDays, protectTag: options.protectTag });
      const notifySender = await notifySenderFrom(options.notifySender ?? context.env[NOTIFY_SENDER_ENV]);
      const runtime = await resolveRuntime(command, context);
      const deployed = runtime.stack !== undefined || runtime.names.stateMachineArn !== undefined;
      if (options.inProcess || !deployed) {
        // An in-process run lives in this process: there is nothing to leave running.
        if (options.wait === false) throw new ValidationError(`--no-wait applies to a deployed stack's state machine; ${options.inProcess ? 'a run with --in-process' : 'without a deployed stack the run'} happens in this process and ends with it. Leave out --no-wait.`);
      }
      if (options.inProcess) return runInProcess(runtime, workflowName, { leaseWaitMs, safety, notifySender }, command, context);
      if (!deployed) {
        // No stack here (a fresh account, the emulator): the seed's `workflow run cleanup` still
        // works, on the tables `cloudsweep init` made. (A stack named with --stack must exist.)
        await fallBackInProcess(runtime, globalOptions(command).stack, workflowName, context);
        return runInProcess(runtime, workflowName, { leaseWaitMs, safety, notifySender }, command, context);
      }
      return runDeployed(runtime, workflowName, options.wait !== false, command, context);
    });

  workflow
    .command('list')
    .description('list recent workflow runs, newest first')
    .option('--limit <n>', 'how many runs', '20')
    .action(async (options: { limit: string }, command: Command) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new ValidationError(`invalid --limit ${JSON.stringify(options.limit)}: give a positive integer`);
      const { runs, runtime } = await openRuns(command, context);
      const list = await withAws(() => listRuns(runs, executionsDeps(runtime), limit), 'listing workflow runs');
      if (isJson(command)) return printJson(context, list);
      if (list.length === 0) return context.out('No workflow runs yet. Start one with: workflow run collect_and_cleanup --in-process');
      context.out(
        formatTable(context, list, [
          { header: 'run', value: (run) => run.run_id },
          { header: 'workflow', value: (run) => run.workflow },
          { header: 'status', value: (run) => run.status },
          { header: 'started', value: (run) => run.started_at },
          { header: 'duration', value: (run) => (run.duration_ms === undefined ? '' : seconds(run.duration_ms)) },
          { header: 'failed jobs', value: (run) => failedJobIds(run).join(', ') },
          { header: 'error', value: (run) => run.error ?? '' },
        ]),
      );
    });

  workflow
    .command('show')
    .description('show one run with the result of each step and job')
    .argument('<run>', 'the run id (or a unique prefix of a recent one)')
    .action(async (runId: string, _options: unknown, command: Command) => {
      const { runs, runtime } = await openRuns(command, context);
      const run = await withAws(() => findRun(runs, executionsDeps(runtime), runId), 'reading the run');
      if (isJson(command)) return printJson(context, run);
      context.out(showRun(run));
    });
};

interface RunOptions {
  inProcess?: boolean;
  wait?: boolean;
  leaseWait: string;
  minimumIdleDays?: string;
  protectTag?: string;
  notifySender?: string;
}

/** The sender's address, checked: an address SES would refuse is an error before the run, not after its notices. */
export async function notifySenderFrom(value: string | undefined): Promise<string | undefined> {
  if (value === undefined || value === '') return undefined;
  const { emailIn } = await import('../src/owners/owner');
  if (emailIn(value) !== value.trim()) throw new ValidationError(`invalid notify sender ${JSON.stringify(value)} (--notify-sender or CLOUDSWEEP_NOTIFY_SENDER): give an e-mail address verified in SES, such as cloudsweep@example.com`);
  return value.trim();
}

async function runInProcess(
  runtime: Runtime,
  workflow: WorkflowName,
  settings: { leaseWaitMs: number; safety: SafetySettings; notifySender: string | undefined },
  command: Command,
  context: CliContext,
): Promise<void> {
  const json = isJson(command);
  // With --output json, stdout carries only the run record; progress goes to stderr.
  const say = json ? context.err : context.out;
  const { inProcessRunner } = await import('../src/workflow/in-process');
  const { runWorkflow } = await import('../src/workflow/runner');
  const { stepsOf } = await import('../src/workflow/declaration');
  const interrupt = whenInterrupted(runtime, stepsOf(workflow).map((step) => step.event), context);
  const deps = inProcessRunner(runtime.aws, runtime.names, {
    leaseTiming: { waitMs: settings.leaseWaitMs },
    safety: settings.safety,
    ...(settings.notifySender !== undefined ? { notifySender: settings.notifySender } : {}),
    onProgress: (progress) => {
      // Once interrupted, the steps it cut short fail: the interrupt's own line says what became of the run.
      if (interrupt.interrupted()) return;
      interrupt.follow(progress);
      for (const line of progressLines(progress, context)) say(line);
    },
  });
  // Once interrupted, the run (still going until the process exits) must not write `running` back.
  deps.runs = interrupt.guard(deps.runs);
  try {
    const run = await withAws(() => runWorkflow(deps, workflow), `running ${workflow}`).catch((error: unknown) => {
      if (interrupt.interrupted()) return undefined;
      throw error;
    });
    const interrupted = interrupt.interrupted();
    if (interrupted || run === undefined) {
      // It already said what was done; the shell goes back to its prompt.
      await interrupted;
      throw new ReportedFailure(130);
    }
    if (json) printJson(context, run);
    if (run.status === 'failed') throw new ReportedFailure(1);
  } finally {
    interrupt.stop();
  }
}

/**
 * Ctrl-C, SIGTERM or a closed pipe (`| head`) during an in-process run: the run is recorded as
 * `interrupted` (not left `running`), the lease released for the next run, and one line says which
 * steps were done and which not; then exit 130. A step cut short is safe to run again: cleanup
 * records an intent before each IAM write and the next run settles it. In the shell, Ctrl-C aborts
 * the command (its AWS calls stop): the run is recorded the same way and the shell stays open.
 */
function whenInterrupted(runtime: Runtime, events: readonly string[], context: CliContext) {
  let run: RunRecord | undefined;
  const done: string[] = [];
  let recorded: Promise<void> | undefined;
  const shellCommand = currentAbortSignal();
  const onInterrupt = (why: string, exit: boolean) => {
    if (recorded) return;
    // The record is written whatever became of the command's own calls.
    // What was done when it was interrupted: the steps still going fail from here on.
    const doneThen = [...done];
    recorded = despiteAbort(async () => {
      const notDone = events.filter((event) => !doneThen.includes(event));
      if (run) {
        const { DynamoRunStore } = await import('../src/workflow/runs');
        const { DynamoLease } = await import('../src/workflow/lease');
        const runs = new DynamoRunStore(runtime.aws, runtime.names.runsTable);
        const stored = (await runs.get(run.run_id).catch(() => undefined)) ?? run;
        const finished = new Date();
        await runs
          .save({ ...stored, status: 'interrupted', error: `interrupted by ${why}`, finished_at: finished.toISOString(), duration_ms: finished.getTime() - Date.parse(stored.started_at) })
          .catch(() => undefined);
        await new DynamoLease(runtime.aws, runtime.names.runsTable).release(run.run_id).catch(() => false);
      }
      const which = run ? `run ${run.run_id} (${run.workflow}) recorded as interrupted, lease released` : 'no run had started';
      context.err(`Interrupted by ${why}: ${which}; done: ${doneThen.join(', ') || 'no step'}; not done: ${notDone.join(', ') || 'nothing'}.`);
    });
    if (exit) void recorded.then(() => process.exit(130));
  };
  const onSigint = () => onInterrupt('Ctrl-C (SIGINT)', true);
  const onAbort = () => onInterrupt('Ctrl-C (SIGINT)', false);
  const onSigterm = () => onInterrupt('SIGTERM', true);
  const onPipe = (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') onInterrupt('a closed pipe (EPIPE)', true);
  };
  if (shellCommand) shellCommand.addEventListener('abort', onAbort);
  else process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  process.stdout.on('error', onPipe);
  return {
    guard(runs: RunStore): RunStore {
      return { save: (record) => (recorded ? Promise.resolve() : runs.save(record)), get: (id) => runs.get(id), list: (limit) => runs.list(limit) };
    },
    /** Once interrupted: settles when the run is recorded as interrupted and the line printed. */
    interrupted(): Promise<void> | undefined {
      return recorded;
    },
    follow(progress: RunProgress) {
      if (progress.type === 'run_started') run = progress.run;
      if (progress.type === 'step_finished' && progress.record.status === 'succeeded') done.push(progress.record.event);
    },
    stop() {
      shellCommand?.removeEventListener('abort', onAbort);
      process.removeListener('SIGINT', onSigint);
      process.removeListener('SIGTERM', onSigterm);
      process.stdout.removeListener('error', onPipe);
    },
  };
}

/** Says the run happens here, or refuses (exit 1) when there are no tables to run on either. */
async function fallBackInProcess(runtime: Runtime, stack: string, workflow: WorkflowName, context: CliContext): Promise<void> {
  const { missingTables } = await import('../src/aws/provision');
  const missing = await withAws(() => missingTables(runtime.aws, runtime.names), 'looking for the tables');
  if (missing.length > 0) {
    const { callerAccount } = await import('./runtime');
    throw new RuntimeError(
      `no stack ${stack} is deployed in region ${runtime.region}, account ${await callerAccount(runtime.aws)}, and the tables of cloudsweep init are missing (${missing.join(', ')}). ` +
        `Deploy the stack (npx cdk deploy), name it with --stack, or create the tables with cloudsweep init and run: workflow run ${workflow} --in-process`,
    );
  }
  context.err(`No stack ${stack} is deployed here (region ${runtime.region}): running ${workflow} in this process (--in-process).`);
}

async function runDeployed(runtime: Runtime, workflow: WorkflowName, wait: boolean, command: Command, context: CliContext): Promise<void> {
  const deps = executionsDeps(runtime);
  if (!deps) {
    const stack = globalOptions(command).stack;
    throw new RuntimeError(
      `no deployed state machine: stack ${stack} has no StateMachineArn output. ` +
        `Deploy it again (npx cdk deploy) or run the workflow here with: workflow run ${workflow} --in-process`,
    );
  }
  const json = isJson(command);
  const say = json ? context.err : context.out;
  const { followExecution, startExecution } = await import('../src/executions/executions');
  const { newRunId } = await import('../src/workflow/runs');
  const started = await withAws(() => startExecution(deps, workflow, newRunId(new Date())), `starting ${workflow}`);
  if (!wait) {
    // The execution ARN alone on stdout, for scripts: `arn=$(cloudsweep workflow run cleanup --no-wait)`.
    context.err(`Workflow ${workflow} started: run ${started.runId}`);
    if (json) printJson(context, { run_id: started.runId, execution_arn: started.executionArn, status: 'running' });
    else context.out(started.executionArn);
    return;
  }
  say(`Workflow ${workflow} started: run ${started.runId} (Step Functions execution ${started.executionArn})`);
  const run = await withAws(
    () =>
      followExecution(deps, started, workflow, (progress) => {
        if (progress.type === 'run_started') return;
        for (const line of progressLines(progress, context)) say(line);
      }),
    `following ${workflow}`,
  );
  if (json) printJson(context, run);
  if (run.status === 'failed') throw new ReportedFailure(1);
}

/** Step Functions access when the stack is deployed; undefined in-process only. */
function executionsDeps(runtime: Runtime): ExecutionsDeps | undefined {
  const stateMachineArn = runtime.names.stateMachineArn;
  return stateMachineArn ? { sfn: runtime.aws.sfn, stateMachineArn } : undefined;
}

/** What the terminal shows for each runner event. */
export function progressLines(progress: RunProgress, context: Pick<CliContext, 'color'>): string[] {
  switch (progress.type) {
    case 'run_started':
      return [`Workflow ${progress.run.workflow} started: run ${progress.run.run_id}`];
    case 'runs_abandoned':
      return progress.runs.map(
        (run) => `Marked run ${run.run_id} (${run.workflow}, started ${run.started_at}) abandoned: it was still running, but its process had ended without recording an end.`,
      );
    case 'step_started':
      return [paint(context, 'bold', `[${progress.index + 1}/${progress.total}] ${progress.step.event}`)];
    case 'jobs_finished':
      return progress.jobs.map((job) => `  ${jobLine(job, context)}`);
    case 'action_progress':
      return [`  ${progress.line}`];
    case 'step_finished': {
      const { record } = progress;
      if (record.status === 'failed') return [paint(context, 'red', `  ${record.event} failed: ${record.error ?? ''}`)];
      if (!record.action || !record.summary) return [];
      // Collect already showed each account as it finished: the totals are enough here.
      const lines = summaryLines(record.action, record.summary);
      return (record.action === 'collect' ? lines.slice(0, 1) : lines).map((line) => `  ${line}`);
    }
    case 'run_finished':
      return [runOutcome(progress.run, context)];
  }
}

function jobLine(job: JobRunResult, context: Pick<CliContext, 'color'>): string {
  const took = seconds(job.duration_ms);
  if (job.error !== undefined) return paint(context, 'red', `job ${job.job_id} failed after ${took}: ${job.error.split('\n')[0]}`);
  return `job ${job.job_id}: matched ${job.matched}, flagged ${job.flagged} (${took})`;
}

function runOutcome(run: RunRecord, context: Pick<CliContext, 'color'>): string {
  const took = run.duration_ms === undefined ? '' : ` in ${seconds(run.duration_ms)}`;
  const failed = failedJobIds(run);
  const jobs = failed.length > 0 ? ` ${failed.length} job${failed.length === 1 ? '' : 's'} failed: ${failed.join(', ')}.` : '';
  if (run.status === 'succeeded') return paint(context, 'green', `Workflow ${run.workflow} succeeded${took} (run ${run.run_id}).`) + jobs;
  // The error is printed as it is: it ends its own sentence, or with a command to copy whole.
  return paint(context, 'red', `Workflow ${run.workflow} failed${took} (run ${run.run_id}): ${run.error ?? 'unknown error.'}`) + jobs;
}

/** An action's summary in words: the totals of collect (each account's result is in the collect log), the counts of plan and cleanup. */
export function summaryLines(action: string, summary: Record<string, unknown>): string[] {
  if (action === 'collect') {
    const collect = summary as unknown as CollectSummary;
    const failed = collect.failed_accounts.length > 0 ? `; failed: ${collect.failed_accounts.join(', ')}` : '';
    return [`collect: ${plural(collect.accounts, 'account')}, ${collect.users} users, ${collect.keys} keys, ${collect.calls} calls in ${seconds(collect.duration_ms)}${failed}`];
  }
  if (action === 'plan') {
    const plan = summary as unknown as PlanSummary;
    const mode = !plan.cleanup_enabled ? 'cleanup disabled (fixworker.cleanup: false)' : plan.dry_run ? 'dry run' : 'cleanup enabled';
    return [`plan: ${plan.flagged} flagged, ${plan.protected} protected, ${plan.candidates} to clean; ${mode}${plan.refusal ? `; the circuit breaker would refuse: ${plan.refusal}` : ''}`];
  }
  const cleanup = summary as unknown as CleanupSummary;
  if (!cleanup.cleanup_enabled) return [`cleanup: disabled (fixworker.cleanup: false); ${cleanup.flagged} keys flagged, nothing touched`];
  // Summaries stored before cleanup named its failed accounts have none.
  const failures = (cleanup.account_failures ?? []).map((f) => `  ${f.account_id} (${f.account_name}): FAILED, ${plural(f.keys, 'key')} left: ${f.error}`);
  // A dry run writes nothing: what it counts is what it would do.
  const done = cleanup.dry_run
    ? `would delete ${cleanup.would_delete ?? 0}, would deactivate ${cleanup.would_deactivate ?? 0}`
    : `${cleanup.deleted} deleted, ${cleanup.deactivated} deactivated, ${cleanup.already_absent} already absent`;
  return [
    `cleanup${cleanup.dry_run ? ' (dry run)' : ''}: ${cleanup.flagged} flagged, ${cleanup.protected} protected, ${cleanup.skipped} skipped, ` +
      `${done}, ${cleanup.failed} failed` +
      (cleanup.refused ? `; refused: ${cleanup.refused}` : '') +
      (failures.length > 0 ? `; accounts it could not enter: ${cleanup.failed_accounts.join(', ')}` : ''),
    ...failures,
    ...ownerLines(summary),
  ];
}

/** What owners were told (or, in a dry run, would have been), from the cleanup summary (docs/owners.md). */
function ownerLines(summary: Record<string, unknown>): string[] {
  const messages = summary.owner_messages as OwnerMessagesSummary | undefined;
  const notices = (summary.notices as NoticeLine[] | undefined) ?? [];
  if (!messages) return [];
  const counts = [
    typeof summary.noticed === 'number' && summary.noticed > 0 ? `${summary.noticed} noticed` : '',
    typeof summary.would_notice === 'number' && summary.would_notice > 0 ? `${summary.would_notice} would be noticed` : '',
    typeof summary.kept === 'number' && summary.kept > 0 ? `${summary.kept} kept` : '',
  ].filter((part) => part !== '');
  const lines = [
    `owners: ${counts.length > 0 ? `${counts.join(', ')}; ` : ''}${plural(messages.sent, 'digest')} sent` +
      (messages.would_send > 0 ? `, ${messages.would_send} would be sent (dry run)` : '') +
      (messages.failed > 0 ? `, ${messages.failed} failed` : '') +
      (messages.without_owner > 0 ? `, ${messages.without_owner} without an owner` : '') +
      `, ${plural(messages.events, 'stage event')}`,
  ];
  if (messages.note) lines.push(`  ${messages.note}`);
  for (const notice of notices) {
    lines.push(`  ${notice.dry_run ? 'would tell' : 'told'} ${notice.owner ?? '(no owner)'}: ${notice.stage} ${notice.access_key_id ?? `(all keys of ${notice.user_name})`} of ${notice.user_name} in ${notice.account}${notice.next ? `, next ${notice.next}` : ''}`);
  }
  return lines;
}

function showRun(run: RunRecord): string {
  const lines = [
    `run:      ${run.run_id}`,
    `workflow: ${run.workflow} (${run.mode})`,
    `status:   ${run.status}`,
    `started:  ${run.started_at}`,
    ...(run.finished_at ? [`finished: ${run.finished_at} (${seconds(run.duration_ms ?? 0)})`] : []),
    ...(run.error ? [`error:    ${run.error}`] : []),
    'steps:',
  ];
  for (const step of run.steps) lines.push(...stepLines(step));
  return lines.join('\n');
}

function stepLines(step: StepRecord): string[] {
  const lines = [`  ${step.event.padEnd(18)} ${step.status.padEnd(9)} ${seconds(step.duration_ms)}${step.error ? `  ${step.error}` : ''}`];
  for (const job of step.jobs) lines.push(`    ${jobLine(job, { color: false })}`);
  if (step.action && step.summary) for (const line of summaryLines(step.action, step.summary)) lines.push(`    ${line}`);
  return lines;
}

/** In-process runs from the runs table and, with a deployed stack, its executions: newest first. */
async function listRuns(runs: RunStore, deployed: ExecutionsDeps | undefined, limit: number): Promise<RunRecord[]> {
  const local = await runs.list(limit);
  if (!deployed) return local;
  const { listExecutions } = await import('../src/executions/executions');
  const byId = new Map<string, RunRecord>();
  for (const run of [...(await listExecutions(deployed, limit)), ...local]) byId.set(run.run_id, run);
  return [...byId.values()].sort((a, b) => b.started_at.localeCompare(a.started_at)).slice(0, limit);
}

async function findRun(runs: RunStore, deployed: ExecutionsDeps | undefined, runId: string): Promise<RunRecord> {
  const exact = (await runs.get(runId)) ?? (deployed ? await (await import('../src/executions/executions')).readExecution(deployed, runId) : undefined);
  if (exact) return exact;
  const matches = (await listRuns(runs, deployed, 100)).filter((run) => run.run_id.startsWith(runId));
  if (matches.length === 1 && matches[0]) return findRun(runs, deployed, matches[0].run_id);
  if (matches.length > 1) throw new ValidationError(`run ${JSON.stringify(runId)} is ambiguous: ${matches.map((r) => r.run_id).join(', ')}`);
  throw new ValidationError(`no workflow run ${JSON.stringify(runId)} (workflow list shows recent runs)`);
}

function failedJobIds(run: RunRecord): string[] {
  return run.steps.flatMap((step) => step.jobs.filter((job) => job.error !== undefined).map((job) => job.job_id));
}

function checkWorkflow(name: string): WorkflowName {
  if (!isWorkflowName(name)) throw new ValidationError(`unknown workflow ${JSON.stringify(name)}; workflows: ${WORKFLOW_NAMES.join(', ')}`);
  return name;
}

async function openRuns(command: Command, context: CliContext) {
  const runtime = await resolveRuntime(command, context);
  const { DynamoRunStore } = await import('../src/workflow/runs');
  return { runs: new DynamoRunStore(runtime.aws, runtime.names.runsTable), runtime };
}
