import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsClients } from '../aws/clients';
import * as z from 'zod/mini';
import { got, parseStored } from '../schema-errors';
import { JobRunResult } from './step-payloads';
import { StepAction, WORKFLOW_EVENTS, WORKFLOW_NAMES, WorkflowName } from './declaration';

const STEP_ACTIONS = ['collect', 'plan', 'cleanup'] as const satisfies readonly StepAction[];

const StepRecord = z.object({
  event: z.enum(WORKFLOW_EVENTS),
  action: z.optional(z.enum(STEP_ACTIONS)),
  status: z.enum(['succeeded', 'failed']),
  started_at: z.string(),
  duration_ms: z.number(),
  jobs: z.array(JobRunResult),
  /** The action's summary (collect, plan or cleanup). */
  summary: z.optional(z.record(z.string(), z.unknown())),
  error: z.optional(z.string()),
});
export type StepRecord = z.infer<typeof StepRecord>;

/** One workflow run as `workflow list` and `workflow show` report it; checked when read back from the runs table. */
const RunRecord = z.object({
  run_id: z.string(),
  workflow: z.enum(WORKFLOW_NAMES as [WorkflowName, ...WorkflowName[]]),
  mode: z.enum(['in-process', 'deployed']),
  /**
   * `abandoned`: found still `running` by a later run that took the lease (killed outright, no
   * handler ran); `interrupted`: stopped by a signal or a closed pipe, which released the lease.
   */
  status: z.enum(['running', 'succeeded', 'failed', 'abandoned', 'interrupted']),
  started_at: z.string(),
  finished_at: z.optional(z.string()),
  duration_ms: z.optional(z.number()),
  steps: z.array(StepRecord),
  /** Why the run failed: the failing step and its error. */
  error: z.optional(z.string()),
  /** When a later run found it `running` and marked it abandoned. */
  abandoned_at: z.optional(z.string()),
});
export type RunRecord = z.infer<typeof RunRecord>;

export interface RunStore {
  save(run: RunRecord): Promise<void>;
  get(runId: string): Promise<RunRecord | undefined>;
  /** The most recent runs first. */
  list(limit: number): Promise<RunRecord[]>;
}

/**
 * Run ids sort by start time (`20261124T110503Z-3fa9c1`), so the runs table lists the latest
 * first with one Query; the random tail keeps two runs started in the same second apart.
 */
export function newRunId(now: Date, random: () => number = Math.random): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const tail = Math.floor(random() * 0xffffff).toString(16).padStart(6, '0');
  return `${stamp}-${tail}`;
}

/** How far back a run that takes the lease looks for runs left `running`. */
export const ABANDONED_LOOKBACK = 100;

/**
 * Marks `abandoned` the runs still `running` that the run `by`, which has just taken the lease,
 * finds: the lease is one run's at a time, so none of them is under way; their process ended
 * without recording an end (SIGKILL, a crash, a lost machine). Gives back the runs it marked.
 */
export async function abandonStaleRuns(runs: RunStore, by: string, now: Date, lookback = ABANDONED_LOOKBACK): Promise<RunRecord[]> {
  const stale = (await runs.list(lookback)).filter((run) => run.status === 'running' && run.run_id !== by && run.mode === 'in-process');
  for (const run of stale) {
    run.status = 'abandoned';
    run.abandoned_at = now.toISOString();
    run.error = `abandoned: still running when run ${by} took the workflow lease at ${run.abandoned_at}; its process ended without recording an end (killed?)`;
    await runs.save(run);
  }
  return stale;
}

/** Item layout in the runs table: `pk = "run"`, `sk = <run id>`; the lease lives beside them. */
const PK = 'run';

export class DynamoRunStore implements RunStore {
  constructor(
    private readonly aws: AwsClients,
    private readonly tableName: string,
  ) {}

  async save(run: RunRecord): Promise<void> {
    await this.aws.documents.send(new PutCommand({ TableName: this.tableName, Item: { pk: PK, sk: run.run_id, ...run } }));
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    const answer = await this.aws.documents.send(new GetCommand({ TableName: this.tableName, Key: { pk: PK, sk: runId }, ConsistentRead: true }));
    return answer.Item ? toRun(answer.Item) : undefined;
  }

  async list(limit: number): Promise<RunRecord[]> {
    const answer = await this.aws.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': PK },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (answer.Items ?? []).map(toRun);
  }
}

/** A run read back, checked: a malformed one is named, with its field, instead of failing later. */
function toRun(item: Record<string, unknown>): RunRecord {
  const { pk: _pk, sk, ...run } = item;
  return parseStored(RunRecord, run, `the runs table's run ${got(sk)} is malformed`);
}
