import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DynamoDBDocumentClient,
  paginateQuery,
  paginateScan,
  PutCommand,
  QueryCommandInput,
  ScanCommandInput,
  TransactWriteCommand,
  TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../aws/errors';
import { RuntimeError } from '../errors';
import { batchWriteAll } from '../inventory/dynamo-batch';
import { AuditEntry, AuditFilter, AuditStore, CHANGE_FIELDS, ChangeRecord, compareChanges, compareEntries, IntentExistsError, publicEntry } from './audit';

/**
 * The audit table (partition key `pk`, sort key `sk`, both strings). Three kinds of item:
 *
 *   pk `run#<run_id>`    sk `key#<access_key_id>`  one decision: a run decides once per key
 *   pk `day#<YYYY-MM-DD>` sk `run#<run_id>`         the runs that wrote entries that day (UTC)
 *   pk `intent`           sk `key#<access_key_id>`  an IAM write under way (the pending entry)
 *   pk `change#<YYYY-MM-DD>` sk `<at>#<uuid>`       who changed a job, the config or a flag that day
 *
 * Queries by run read one partition; queries by time read the day index, then those runs. No GSI.
 */
export class DynamoAuditStore implements AuditStore {
  private readonly indexedDays = new Map<string, Promise<void>>();

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.indexDay(entry);
    await this.documents.send(new PutCommand({ TableName: this.table, Item: entryItem(entry) }));
  }

  async recordIntent(entry: AuditEntry): Promise<void> {
    await this.indexDay(entry);
    try {
      await this.documents.send(
        transaction([
          {
            Put: {
              TableName: this.table,
              Item: intentItem(entry),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          { Put: { TableName: this.table, Item: entryItem(entry) } },
        ]),
      );
    } catch (error) {
      if (conditionFailed(error)) throw new IntentExistsError(entry.access_key_id);
      throw error;
    }
  }

  async resolveIntent(entry: AuditEntry): Promise<void> {
    try {
      await this.documents.send(
        transaction([
          { Put: { TableName: this.table, Item: entryItem(entry) } },
          {
            Delete: {
              TableName: this.table,
              Key: { pk: INTENT_PK, sk: keySk(entry.access_key_id) },
              ConditionExpression: 'run_id = :run',
              ExpressionAttributeValues: { ':run': entry.run_id },
            },
          },
        ]),
      );
    } catch (error) {
      if (conditionFailed(error)) {
        throw new RuntimeError(`no intent of run ${entry.run_id} for access key ${entry.access_key_id} in ${this.table}`);
      }
      throw error;
    }
  }

  async pendingIntents(): Promise<AuditEntry[]> {
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': INTENT_PK },
      ConsistentRead: true,
    });
    return items.map(toEntry);
  }

  async query(filter: AuditFilter): Promise<AuditEntry[]> {
    const since = filter.since?.toISOString();
    let entries: AuditEntry[];
    if (filter.runId !== undefined) entries = await this.runEntries(filter.runId, since);
    else if (since !== undefined && daysBetween(since, this.now()).length <= MAX_INDEXED_DAYS) {
      const runIds = new Set<string>();
      for (const day of daysBetween(since, this.now())) {
        const items = await this.queryAll({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `day#${day}` },
        });
        for (const item of items) if (typeof item.run_id === 'string') runIds.add(item.run_id);
      }
      entries = [];
      for (const runId of runIds) entries.push(...(await this.runEntries(runId, since)));
    } else {
      entries = (await this.scanItems('entry', since)).map(toEntry);
    }
    return entries.sort(compareEntries);
  }

  async recordChanges(records: readonly ChangeRecord[]): Promise<void> {
    const requests = records.map((record) => ({
      PutRequest: { Item: { pk: `change#${record.at.slice(0, 10)}`, sk: `${record.at}#${randomUUID()}`, item: 'change', ...publicChange(record) } },
    }));
    await batchWriteAll(this.documents, this.table, requests, { sleep });
  }

  async changes(filter: AuditFilter): Promise<ChangeRecord[]> {
    if (filter.runId !== undefined) return [];
    const since = filter.since?.toISOString();
    let items: Record<string, unknown>[];
    if (since !== undefined && daysBetween(since, this.now()).length <= MAX_INDEXED_DAYS) {
      items = [];
      for (const day of daysBetween(since, this.now())) {
        items.push(
          ...(await this.queryAll({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk and sk >= :since',
            ExpressionAttributeValues: { ':pk': `change#${day}`, ':since': since },
          })),
        );
      }
    } else {
      items = await this.scanItems('change', since);
    }
    return items.map(toChange).sort(compareChanges);
  }

  private async runEntries(runId: string, since: string | undefined): Promise<AuditEntry[]> {
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ...(since !== undefined ? { FilterExpression: '#at >= :since', ExpressionAttributeNames: { '#at': 'at' } } : {}),
      ExpressionAttributeValues: { ':pk': `run#${runId}`, ...(since !== undefined ? { ':since': since } : {}) },
    });
    return items.map(toEntry);
  }

  private async scanItems(kind: 'entry' | 'change', since: string | undefined): Promise<Record<string, unknown>[]> {
    const input: ScanCommandInput = {
      TableName: this.table,
      FilterExpression: since === undefined ? '#item = :kind' : '#item = :kind and #at >= :since',
      ExpressionAttributeNames: { '#item': 'item', ...(since === undefined ? {} : { '#at': 'at' }) },
      ExpressionAttributeValues: { ':kind': kind, ...(since === undefined ? {} : { ':since': since }) },
    };
    const items: Record<string, unknown>[] = [];
    for await (const page of paginateScan({ client: this.documents }, input)) items.push(...(page.Items ?? []));
    return items;
  }

  private async queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for await (const page of paginateQuery({ client: this.documents }, input)) items.push(...(page.Items ?? []));
    return items;
  }

  /** The day index is written once per run and day, before the run's first entry of that day. */
  private indexDay(entry: AuditEntry): Promise<void> {
    const day = entry.at.slice(0, 10);
    const key = `${day}#${entry.run_id}`;
    let written = this.indexedDays.get(key);
    if (!written) {
      written = this.documents
        .send(
          new PutCommand({
            TableName: this.table,
            Item: { pk: `day#${day}`, sk: `run#${entry.run_id}`, item: 'run_day', run_id: entry.run_id },
          }),
        )
        .then(() => undefined);
      // A failed write is tried again by the next entry rather than remembered.
      written.catch(() => this.indexedDays.delete(key));
      this.indexedDays.set(key, written);
    }
    return written;
  }
}

/** The partition of intents: the only audit items cleanup's role may delete (lib/cloudsweep-stack.ts). */
export const AUDIT_INTENT_PARTITION = 'intent';
const INTENT_PK = AUDIT_INTENT_PARTITION;
/** Beyond this many days a `--since` query scans instead of walking the day index. */
const MAX_INDEXED_DAYS = 92;

/**
 * A transaction whose idempotency token is derived from its content: a retry of the same write
 * (after a timeout the SDK could not tell from a failure) is applied once, never twice.
 */
function transaction(items: NonNullable<TransactWriteCommandInput['TransactItems']>): TransactWriteCommand {
  const token = createHash('sha256').update(JSON.stringify(items)).digest('hex').slice(0, 36);
  return new TransactWriteCommand({ TransactItems: items, ClientRequestToken: token });
}

function keySk(accessKeyId: string): string {
  return `key#${accessKeyId}`;
}

function entryItem(entry: AuditEntry): Record<string, unknown> {
  return { pk: `run#${entry.run_id}`, sk: keySk(entry.access_key_id), item: 'entry', ...publicEntry(entry) };
}

function intentItem(entry: AuditEntry): Record<string, unknown> {
  return { pk: INTENT_PK, sk: keySk(entry.access_key_id), item: 'intent', ...publicEntry(entry) };
}

function toEntry(item: Record<string, unknown>): AuditEntry {
  const text = (name: string): string => {
    const value = item[name];
    if (typeof value !== 'string') throw new RuntimeError(`audit item ${String(item.pk)}/${String(item.sk)}: ${name} is not a string`);
    return value;
  };
  return publicEntry({
    run_id: text('run_id'),
    at: text('at'),
    account: text('account'),
    user_name: text('user_name'),
    access_key_id: text('access_key_id'),
    action: text('action') as AuditEntry['action'],
    result: text('result') as AuditEntry['result'],
    dry_run: item.dry_run === true,
    job_id: typeof item.job_id === 'string' ? item.job_id : null,
    reason: typeof item.reason === 'string' ? item.reason : '',
  });
}

function publicChange(record: ChangeRecord): ChangeRecord {
  return Object.fromEntries(CHANGE_FIELDS.map((field) => [field, record[field]])) as unknown as ChangeRecord;
}

function toChange(item: Record<string, unknown>): ChangeRecord {
  const text = (name: string): string => (typeof item[name] === 'string' ? (item[name]) : '');
  const optional = (name: string): string | null => (typeof item[name] === 'string' ? (item[name]) : null);
  return {
    at: text('at'),
    who: text('who'),
    subject: text('subject') as ChangeRecord['subject'],
    action: text('action'),
    target: text('target'),
    before: optional('before'),
    after: optional('after'),
    reason: text('reason'),
  };
}

/** The UTC days from `since` to `now`, both included. */
export function daysBetween(since: string, now: Date): string[] {
  const days: string[] = [];
  const cursor = new Date(`${since.slice(0, 10)}T00:00:00.000Z`);
  const last = now.toISOString().slice(0, 10);
  while (days.length <= MAX_INDEXED_DAYS + 1) {
    const day = cursor.toISOString().slice(0, 10);
    if (day > last) break;
    days.push(day);
    cursor.setUTCDate(cursor.getUTCDate() + 1);
  }
  return days;
}

function conditionFailed(error: unknown): boolean {
  if (isConditionalCheckFailed(error)) return true;
  if ((error as { name?: string }).name !== 'TransactionCanceledException') return false;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
  if (reasons?.some((reason) => reason.Code === 'ConditionalCheckFailed')) return true;
  return /ConditionalCheckFailed/.test((error as Error).message ?? '');
}
