import type { Command } from 'commander';
import { ReportedFailure } from '../src/errors';
import type { Job, JobRunRecord } from '../src/jobs/job';
import { CliContext, isJson, RegisterVerb } from './context';
import { formatTable, printJson, seconds } from './output';
import { changeLog, resolveRuntime, withAws } from './runtime';

/**
 * `cloudsweep jobs ...` (SPEC section 5): search pipelines that run when a workflow emits an event
 * or on a schedule. Add prints `Job ID added.` as in the seed.
 */
export const register: RegisterVerb = (program, context) => {
  const jobs = program.command('jobs').description('add, list, show, change, run and remove jobs: searches that run on workflow events or a schedule');

  jobs
    .command('add')
    .description("add a job: jobs add --id ID (--wait-for-event EVENT | --schedule CRON) [--timeout D] 'search ... | clean'")
    .requiredOption('--id <id>', 'the job id (letters, digits, _ - .)')
    .option('--wait-for-event <event>', 'run when a workflow emits this event (e.g. post_collect)')
    .option('--schedule <cron>', 'run on this schedule: "0 * * * *", @daily, rate(1 hour), cron(...)')
    .option('--timeout <duration>', 'fail the job when it runs longer (default 10m)')
    .argument('<command...>', "the search pipeline, e.g. 'search is(access_key) and last_access > 90days | clean'")
    .action(async (words: string[], options: TriggerOptions & { id: string }, command: Command) => {
      const { admin } = await openJobs(command, context);
      const { addJob } = await import('../src/jobs/manage');
      const job = await withAws(() => addJob(admin, { id: options.id, command: words.join(' '), ...triggerOf(options) }), 'adding the job');
      if (isJson(command)) return printJson(context, job);
      context.out(`Job ${job.id} added.`);
    });

  jobs
    .command('list')
    .description('list the jobs: id, trigger, active, last run, command')
    .action(async (_options: unknown, command: Command) => {
      const { admin } = await openJobs(command, context);
      const list = await withAws(() => admin.store.list(), 'listing jobs');
      if (isJson(command)) return printJson(context, list);
      if (list.length === 0) return context.out('No jobs. Add one with: jobs add --id ID --wait-for-event post_collect \'search ... | clean\'');
      const { describeTrigger } = await import('../src/jobs/job');
      context.out(
        formatTable(context, list, [
          { header: 'id', value: (job) => job.id },
          { header: 'trigger', value: (job) => describeTrigger(job.trigger) },
          { header: 'active', value: (job) => (job.active ? 'yes' : 'no') },
          { header: 'last run', value: (job) => lastRunText(job.last_run) },
          { header: 'command', value: (job) => job.command },
        ]),
      );
    });

  jobs
    .command('show')
    .description("show a job and its last run's result")
    .argument('<id>', 'the job id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { admin } = await openJobs(command, context);
      const { getJob } = await import('../src/jobs/manage');
      const job = await withAws(() => getJob(admin.store, id), 'reading the job');
      if (isJson(command)) return printJson(context, job);
      context.out(await showJob(job));
    });

  jobs
    .command('update')
    .description("change a job's trigger, timeout or command")
    .argument('<id>', 'the job id')
    .option('--wait-for-event <event>', 'run when a workflow emits this event')
    .option('--schedule <cron>', 'run on this schedule')
    .option('--timeout <duration>', 'fail the job when it runs longer')
    .argument('[command...]', 'the new search pipeline')
    .action(async (id: string, words: string[], options: TriggerOptions, command: Command) => {
      const { admin } = await openJobs(command, context);
      const { updateJob } = await import('../src/jobs/manage');
      const changes = { ...triggerOf(options), ...(words.length > 0 ? { command: words.join(' ') } : {}) };
      const job = await withAws(() => updateJob(admin, id, changes), 'updating the job');
      if (isJson(command)) return printJson(context, job);
      context.out(`Job ${job.id} updated.`);
    });

  jobs
    .command('delete')
    .alias('remove')
    .description('remove a job (and its schedule)')
    .argument('<id>', 'the job id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { admin } = await openJobs(command, context);
      const { deleteJob } = await import('../src/jobs/manage');
      const job = await withAws(() => deleteJob(admin, id), 'deleting the job');
      if (isJson(command)) return printJson(context, job);
      context.out(`Job ${job.id} deleted.`);
    });

  for (const [verb, active] of [['activate', true], ['deactivate', false]] as const) {
    jobs
      .command(verb)
      .description(active ? 'let a job run on its event or schedule again' : 'keep a job from running on its event or schedule')
      .argument('<id>', 'the job id')
      .action(async (id: string, _options: unknown, command: Command) => {
        const { admin } = await openJobs(command, context);
        const { setJobActive } = await import('../src/jobs/manage');
        const job = await withAws(() => setJobActive(admin, id, active), `${verb === 'activate' ? 'activating' : 'deactivating'} the job`);
        if (isJson(command)) return printJson(context, job);
        context.out(`Job ${job.id} ${verb}d.`);
      });
  }

  jobs
    .command('run')
    .description('run a job now, against the stored inventory, and record its result')
    .argument('<id>', 'the job id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { admin, runtime } = await openJobs(command, context);
      const { runJobById } = await import('../src/jobs/run');
      const { createInventoryStore } = await import('../src/inventory/dynamo-store');
      const inventory = createInventoryStore(runtime.aws, runtime.names.inventoryTable);
      // A deployed stack runs the job in its plan function, where the Scheduler runs it.
      const planFunction = runtime.names.planFunction;
      const result = planFunction
        ? await (await import('./deployed')).runJobDeployed(runtime, planFunction, id)
        : await withAws(async () => {
            const { DynamoLease } = await import('../src/workflow/lease');
            const { hostname } = await import('node:os');
            const lease = { lease: new DynamoLease(runtime.aws, runtime.names.runsTable), where: `${hostname()}:${process.pid}`, waitMs: 10_000 };
            return runJobById({ jobs: admin.store, inventory, clock: admin.clock }, id, 'manual', lease);
          }, 'running the job');
      if (isJson(command)) printJson(context, result);
      else if (result.error !== undefined) context.err(`Job ${id} failed after ${seconds(result.duration_ms)}: ${result.error}`);
      else context.out(`Job ${id}: matched ${result.matched}, flagged ${result.flagged} in ${seconds(result.duration_ms)}.`);
      if (result.error !== undefined) throw new ReportedFailure(1);
    });
};

interface TriggerOptions {
  waitForEvent?: string;
  schedule?: string;
  timeout?: string;
}

function triggerOf(options: TriggerOptions) {
  return {
    ...(options.waitForEvent !== undefined ? { event: options.waitForEvent } : {}),
    ...(options.schedule !== undefined ? { schedule: options.schedule } : {}),
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
  };
}

async function openJobs(command: Command, context: CliContext) {
  const runtime = await resolveRuntime(command, context);
  const { createJobStore } = await import('../src/jobs/store');
  const { jobSchedulerFor } = await import('../src/jobs/scheduler');
  const scheduler = jobSchedulerFor(() => runtime.aws.scheduler, runtime.names);
  const admin = {
    store: createJobStore(runtime.aws, runtime.names.jobsTable),
    clock: () => new Date(),
    changes: await changeLog(runtime),
    ...(scheduler ? { scheduler } : {}),
  };
  return { admin, runtime };
}

async function showJob(job: Job): Promise<string> {
  const { describeTrigger } = await import('../src/jobs/job');
  const lines = [
    `id:       ${job.id}`,
    `trigger:  ${describeTrigger(job.trigger)}`,
    `active:   ${job.active ? 'yes' : 'no'}`,
    `timeout:  ${job.timeout}`,
    `command:  ${job.command}`,
    `added:    ${job.created_at}`,
    `updated:  ${job.updated_at}`,
  ];
  const run = job.last_run;
  if (!run) return [...lines, 'last run: never'].join('\n');
  return [
    ...lines,
    'last run:',
    `  started:  ${run.started_at} (${run.trigger}${run.run_id ? `, run ${run.run_id}` : ''})`,
    `  result:   ${run.error === undefined ? 'succeeded' : 'failed'}`,
    `  matched:  ${run.matched}`,
    `  flagged:  ${run.flagged}`,
    `  duration: ${seconds(run.duration_ms)}`,
    ...(run.error !== undefined ? [`  error:    ${run.error}`] : []),
  ].join('\n');
}

function lastRunText(run: JobRunRecord | undefined): string {
  if (!run) return 'never';
  const at = run.started_at.replace(/\.\d+Z$/, 'Z');
  return run.error === undefined ? `${at} matched ${run.matched}, flagged ${run.flagged}` : `${at} failed: ${run.error.split('\n')[0]}`;
}
