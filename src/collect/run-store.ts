import { setTimeout as delay } from 'node:timers/promises';
import { GetCommand, paginateQuery, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsClients } from '../aws/clients';
import { RuntimeError } from '../errors';
import { batchWriteAll } from '../inventory/dynamo-batch';
import type { AccountCollectResult, AccountRef } from '../workflow/step-payloads';

/**
 * What one deployed collect keeps outside the Step Functions state (256 KB at most, which about
 * 700 accounts' results used to fill): the accounts of each batch the state machine's Map collects,
 * and their results, so the state carries batch numbers and counts only. In the runs table, under
 * the run:
 *
 *   pk = collect#<run id>   sk = batch#<n>        the accounts of batch n
 *                           sk = results#<n>      their results (AccountCollectResult[])
 *
 * One item per batch, not per account: DynamoDB bills a write per item and per started KB, so 25
 * results of about 250 bytes cost 7 write units together and 25 apart, the larger part of an
 * unchanged collect's writes.
 *
 * Items expire (`expires_at`, the table's TTL) after RETENTION_DAYS; the run's record stays.
 */
export interface CollectRunStore {
  saveBatches(runId: string, batches: readonly AccountRef[][]): Promise<void>;
  batch(runId: string, batch: number): Promise<AccountRef[]>;
  saveResults(runId: string, batch: number, results: readonly AccountCollectResult[]): Promise<void>;
  /** Every account of the run's batches, and the results stored so far. */
  load(runId: string): Promise<{ accounts: AccountRef[]; results: AccountCollectResult[] }>;
}

const RETENTION_DAYS = 30;

export class DynamoCollectRunStore implements CollectRunStore {
  constructor(
    private readonly aws: AwsClients,
    private readonly tableName: string,
    private readonly clock: () => Date = () => new Date(),
    private readonly sleep: (ms: number) => Promise<void> = delay,
  ) {}

  async saveBatches(runId: string, batches: readonly AccountRef[][]): Promise<void> {
    const expires = this.expiresAt();
    await batchWriteAll(
      this.aws.documents,
      this.tableName,
      batches.map((accounts, n) => ({ PutRequest: { Item: { pk: runKey(runId), sk: batchKey(n), accounts, expires_at: expires } } })),
      { sleep: this.sleep },
    );
  }

  async batch(runId: string, batch: number): Promise<AccountRef[]> {
    const answer = await this.aws.documents.send(new GetCommand({ TableName: this.tableName, Key: { pk: runKey(runId), sk: batchKey(batch) }, ConsistentRead: true }));
    const item = answer.Item;
    if (!item || !Array.isArray(item.accounts)) throw new RuntimeError(`collect run ${runId} has no batch ${batch}: was it listed by this run's list_accounts?`);
    return item.accounts as AccountRef[];
  }

  async saveResults(runId: string, batch: number, results: readonly AccountCollectResult[]): Promise<void> {
    await this.aws.documents.send(
      new PutCommand({ TableName: this.tableName, Item: { pk: runKey(runId), sk: `results#${batchNumber(batch)}`, results, expires_at: this.expiresAt() } }),
    );
  }

  async load(runId: string): Promise<{ accounts: AccountRef[]; results: AccountCollectResult[] }> {
    const accounts: AccountRef[] = [];
    const results: AccountCollectResult[] = [];
    const query = { TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': runKey(runId) }, ConsistentRead: true };
    for await (const page of paginateQuery({ client: this.aws.documents }, query)) {
      for (const item of page.Items ?? []) {
        if (Array.isArray(item.accounts)) accounts.push(...(item.accounts as AccountRef[]));
        else if (Array.isArray(item.results)) results.push(...(item.results as AccountCollectResult[]));
      }
    }
    return { accounts, results };
  }

  private expiresAt(): number {
    return Math.floor(this.clock().getTime() / 1000) + RETENTION_DAYS * 86_400;
  }
}

function runKey(runId: string): string {
  return `collect#${runId}`;
}

function batchKey(n: number): string {
  return `batch#${batchNumber(n)}`;
}

function batchNumber(n: number): string {
  return String(n).padStart(5, '0');
}
