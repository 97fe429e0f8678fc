import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RuntimeError } from '../errors';

/** One write of a BatchWriteItem request, in the document client's plain-value form. */
export type WriteRequest = { PutRequest: { Item: Record<string, unknown> } } | { DeleteRequest: { Key: Record<string, unknown> } };

export interface BatchOptions {
  sleep: (ms: number) => Promise<void>;
  /** Batches sent at once. */
  concurrency?: number;
  /** Rounds of re-sending UnprocessedItems before giving up. */
  maxRounds?: number;
}

const BATCH_SIZE = 25; // DynamoDB's limit per BatchWriteItem

/**
 * Writes `requests` in batches of 25, re-sending what DynamoDB leaves unprocessed (it does so
 * under throttling instead of failing) with exponential backoff. Resolves to the number of
 * BatchWriteItem requests sent.
 */
export async function batchWriteAll(
  documents: DynamoDBDocumentClient,
  table: string,
  requests: readonly WriteRequest[],
  options: BatchOptions,
): Promise<number> {
  const batches: WriteRequest[][] = [];
  for (let i = 0; i < requests.length; i += BATCH_SIZE) batches.push(requests.slice(i, i + BATCH_SIZE));
  let sent = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      const batch = batches[next++] ?? [];
      sent += await writeBatch(documents, table, batch, options);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, batches.length) }, worker));
  return sent;
}

async function writeBatch(documents: DynamoDBDocumentClient, table: string, batch: WriteRequest[], options: BatchOptions): Promise<number> {
  const maxRounds = options.maxRounds ?? 8;
  let pending = batch;
  let sent = 0;
  for (let round = 0; pending.length > 0; round++) {
    if (round >= maxRounds) throw new RuntimeError(`DynamoDB left ${pending.length} writes to ${table} unprocessed after ${maxRounds} attempts`);
    if (round > 0) await options.sleep(Math.min(50 * 2 ** round, 5_000) * (0.5 + Math.random() / 2));
    const answer = await documents.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
    sent += 1;
    pending = (answer.UnprocessedItems?.[table] ?? []) as WriteRequest[];
  }
  return sent;
}

const GET_BATCH_SIZE = 100; // DynamoDB's limit per BatchGetItem

/** Reads these keys consistently, 100 at a time, re-asking for what DynamoDB leaves unprocessed. Missing items are left out. */
export async function batchGetAll(
  documents: DynamoDBDocumentClient,
  table: string,
  keys: readonly Record<string, unknown>[],
  options: BatchOptions,
): Promise<Array<Record<string, unknown>>> {
  const maxRounds = options.maxRounds ?? 8;
  const items: Array<Record<string, unknown>> = [];
  for (let i = 0; i < keys.length; i += GET_BATCH_SIZE) {
    let pending = keys.slice(i, i + GET_BATCH_SIZE);
    for (let round = 0; pending.length > 0; round++) {
      if (round >= maxRounds) throw new RuntimeError(`DynamoDB left ${pending.length} reads of ${table} unprocessed after ${maxRounds} attempts`);
      if (round > 0) await options.sleep(Math.min(50 * 2 ** round, 5_000) * (0.5 + Math.random() / 2));
      const answer = await documents.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }));
      items.push(...(answer.Responses?.[table] ?? []));
      pending = answer.UnprocessedKeys?.[table]?.Keys ?? [];
    }
  }
  return items;
}
