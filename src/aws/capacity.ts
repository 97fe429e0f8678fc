import { AsyncLocalStorage } from 'node:async_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** DynamoDB capacity units consumed, as DynamoDB reports them (`ReturnConsumedCapacity: TOTAL`). */
export interface CapacityUnits {
  read_units: number;
  write_units: number;
}

const meters = new AsyncLocalStorage<CapacityUnits>();

/** The operations that report consumed capacity, by the side they are billed on. */
const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems', 'Get', 'BatchGet']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems', 'Put', 'Update', 'Delete', 'BatchWrite', 'TransactWrite']);

interface ConsumedCapacity {
  CapacityUnits?: number;
}

/**
 * Runs `work` and returns, with its result, the DynamoDB capacity its requests consumed (those made
 * through clients with `meterCapacity`, in `work`'s asynchronous context: concurrent work metered
 * separately is counted separately).
 */
export async function meteringCapacity<T>(work: () => Promise<T>): Promise<{ result: T; units: CapacityUnits }> {
  const units: CapacityUnits = { read_units: 0, write_units: 0 };
  const result = await meters.run(units, work);
  return { result, units: { read_units: roundUnits(units.read_units), write_units: roundUnits(units.write_units) } };
}

/**
 * Asks each read and write of the client for its consumed capacity and adds it to the meter of the
 * work it runs in (none: nothing is counted). The document client shares its client's middleware.
 */
export function meterCapacity(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? '').replace(/Command$/, '');
      const side = READS.has(operation) ? 'read_units' : WRITES.has(operation) ? 'write_units' : undefined;
      const meter = meters.getStore();
      if (!side || !meter) return next(args);
      const input = args.input as { ReturnConsumedCapacity?: string };
      const output = await next({ ...args, input: { ...input, ReturnConsumedCapacity: input.ReturnConsumedCapacity ?? 'TOTAL' } });
      const consumed = (output.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }).ConsumedCapacity;
      for (const entry of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) meter[side] += entry.CapacityUnits ?? 0;
      return output;
    },
    { step: 'initialize', name: 'meterConsumedCapacity' },
  );
}

/** Capacity comes in halves and tenths: sums of them without the float's tail. */
export function roundUnits(units: number): number {
  return Math.round(units * 10) / 10;
}
