import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, DescribeEventBusCommand } from '@aws-sdk/client-eventbridge';
import type { ResourceNames, ResourceRole } from '../resources';
import type { AwsClients } from './clients';

/** One resource `ensureResources` looked at, and whether it had to create it. */
export interface ProvisionedResource {
  role: ResourceRole;
  kind: 'table' | 'event_bus';
  name: string;
  status: 'created' | 'exists';
}

/** The five tables, by role; each has the shared key schema. */
export const TABLE_ROLES = ['inventoryTable', 'configTable', 'jobsTable', 'auditTable', 'runsTable'] as const satisfies readonly ResourceRole[];

/**
 * Creates what in-process use needs and is missing: the five tables (string `pk`/`sk`, on-demand
 * billing) and the event bus. Running it again finds everything and changes nothing. The deployed
 * stack creates the same resources with CloudFormation; this is for an emulator or an account
 * without the stack (`cloudsweep init`).
 */
export async function ensureResources(aws: AwsClients, names: ResourceNames): Promise<ProvisionedResource[]> {
  const tables = await Promise.all(TABLE_ROLES.map((role) => ensureTable(aws, role, names[role])));
  const bus = await ensureEventBus(aws, names.eventBus);
  return [...tables, bus];
}

/** The tables of `names` that do not exist: those `cloudsweep init` would create. */
export async function missingTables(aws: AwsClients, names: ResourceNames): Promise<string[]> {
  const missing = await Promise.all(
    TABLE_ROLES.map(async (role) => {
      try {
        await aws.dynamodb.send(new DescribeTableCommand({ TableName: names[role] }));
        return undefined;
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return names[role];
        throw error;
      }
    }),
  );
  return missing.filter((name): name is string => name !== undefined);
}

async function ensureTable(aws: AwsClients, role: ResourceRole, name: string): Promise<ProvisionedResource> {
  const found: ProvisionedResource = { role, kind: 'table', name, status: 'exists' };
  try {
    const { Table } = await aws.dynamodb.send(new DescribeTableCommand({ TableName: name }));
    if (Table?.TableStatus !== 'CREATING') return found;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    try {
      await createTable(aws, name);
      found.status = 'created';
    } catch (createError) {
      // Someone else (a second `init`) created it between our two calls.
      if (!(createError instanceof ResourceInUseException)) throw createError;
    }
  }
  await waitUntilTableExists({ client: aws.dynamodb, maxWaitTime: 120, minDelay: 1, maxDelay: 5 }, { TableName: name });
  return found;
}

async function ensureEventBus(aws: AwsClients, name: string): Promise<ProvisionedResource> {
  const bus: ProvisionedResource = { role: 'eventBus', kind: 'event_bus', name, status: 'exists' };
  if (name === 'default') return bus; // every account has it
  try {
    await aws.eventbridge.send(new DescribeEventBusCommand({ Name: name }));
    return bus;
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
  }
  try {
    await aws.eventbridge.send(new CreateEventBusCommand({ Name: name }));
    bus.status = 'created';
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceAlreadyExistsException') throw error;
  }
  return bus;
}

/** Creates one of cloudsweep's tables: string keys `pk` and `sk`, on-demand billing (as the stack does). */
export async function createTable(aws: AwsClients, name: string): Promise<void> {
  await aws.dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
}
