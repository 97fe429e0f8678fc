import { DeleteCommand, GetCommand, paginateQuery, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../aws/errors';
import type { AwsClients } from '../aws/clients';
import { ValidationError } from '../errors';
import { got, parseStored } from '../schema-errors';
import { Job, JobRunRecord } from './job';

/** Where jobs live. `create` refuses an id in use; `replace`/`delete` refuse one that is not. */
export interface JobStore {
  get(id: string): Promise<Job | undefined>;
  /** Every job, oldest first (the order jobs of one event run in). */
  list(): Promise<Job[]>;
  create(job: Job): Promise<void>;
  replace(job: Job): Promise<void>;
  delete(id: string): Promise<Job>;
  /** Records a run's result; a job deleted meanwhile stays deleted. */
  recordRun(id: string, run: JobRunRecord): Promise<void>;
}

export function noSuchJob(id: string): ValidationError {
  return new ValidationError(`no job with id ${JSON.stringify(id)} (jobs list shows the jobs)`);
}

export function jobExists(id: string): ValidationError {
  return new ValidationError(`a job with id ${JSON.stringify(id)} already exists; choose another id or use jobs update`);
}

export function byCreation(a: Job, b: Job): number {
  return a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id);
}

/** Item layout in the jobs table: `pk = "job"`, `sk = <id>`; one Query lists them all. */
const PK = 'job';

/**
 * What recording a run writes: the key and `last_run`, nothing else. The plan function may update
 * only these (IAM `dynamodb:Attributes` on its role and in the table's resource policy), so a job's
 * command and trigger change only through an administrator.
 */
export const JOB_KEY_ATTRIBUTES = ['pk', 'sk'] as const;
export const JOB_RUN_ATTRIBUTES = ['last_run'] as const;

export class DynamoJobStore implements JobStore {
  constructor(
    private readonly aws: AwsClients,
    private readonly tableName: string,
  ) {}

  async get(id: string): Promise<Job | undefined> {
    const answer = await this.aws.documents.send(new GetCommand({ TableName: this.tableName, Key: { pk: PK, sk: id }, ConsistentRead: true }));
    return answer.Item ? toJob(answer.Item) : undefined;
  }

  async list(): Promise<Job[]> {
    const jobs: Job[] = [];
    const query = { TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': PK }, ConsistentRead: true };
    for await (const page of paginateQuery({ client: this.aws.documents }, query)) {
      for (const item of page.Items ?? []) jobs.push(toJob(item));
    }
    return jobs.sort(byCreation);
  }

  async create(job: Job): Promise<void> {
    await conditional(
      () => this.aws.documents.send(new PutCommand({ TableName: this.tableName, Item: toItem(job), ConditionExpression: 'attribute_not_exists(pk)' })),
      () => jobExists(job.id),
    );
  }

  async replace(job: Job): Promise<void> {
    await conditional(
      () => this.aws.documents.send(new PutCommand({ TableName: this.tableName, Item: toItem(job), ConditionExpression: 'attribute_exists(pk)' })),
      () => noSuchJob(job.id),
    );
  }

  async delete(id: string): Promise<Job> {
    const answer = await conditional(
      () =>
        this.aws.documents.send(
          new DeleteCommand({ TableName: this.tableName, Key: { pk: PK, sk: id }, ConditionExpression: 'attribute_exists(pk)', ReturnValues: 'ALL_OLD' }),
        ),
      () => noSuchJob(id),
    );
    // Deleting is how a malformed job is got rid of: what was there is returned (for the audit) unchecked.
    const { pk: _pk, sk: _sk, ...job } = answer.Attributes ?? { id };
    return job as Job;
  }

  async recordRun(id: string, run: JobRunRecord): Promise<void> {
    try {
      await this.aws.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: PK, sk: id },
          UpdateExpression: 'SET last_run = :run',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':run': run },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }
}

/** Sends a conditional write; a failed condition becomes the user-facing refusal. */
async function conditional<T>(send: () => Promise<T>, refusal: () => Error): Promise<T> {
  try {
    return await send();
  } catch (error) {
    if (isConditionalCheckFailed(error)) throw refusal();
    throw error;
  }
}

function toItem(job: Job): Record<string, unknown> {
  return { pk: PK, sk: job.id, ...job };
}

/** A job read back, checked: the table may hold what `jobs add` would never write. */
function toJob(item: Record<string, unknown>): Job {
  const { pk: _pk, sk, ...job } = item;
  return parseStored(Job, job, `the jobs table's job ${got(sk)} is malformed`);
}

export function createJobStore(aws: AwsClients, tableName: string): JobStore {
  return new DynamoJobStore(aws, tableName);
}
