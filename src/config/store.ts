import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../aws/errors';
import type { AwsClients } from '../aws/clients';
import { RuntimeError } from '../errors';
import { defaultFixWorkerConfig, FIX_WORKER, FixWorkerConfig } from './fix-worker';
import { validateFixWorkerConfig } from './schema';

/** `fix.worker` as stored: the config and the revision a writer must name to replace it. */
export interface StoredConfig {
  config: FixWorkerConfig;
  /** 0 while nothing is stored (the defaults apply). */
  revision: number;
  updatedAt?: string;
  /** The YAML it was saved as, with the user's comments: what `config get` and `config edit` build on. */
  yaml?: string;
}

/**
 * Where `fix.worker` lives. Writes are optimistic: a writer names the revision it read, and
 * loses with ConfigConflictError when someone saved in between.
 */
export interface ConfigStore {
  read(): Promise<StoredConfig>;
  /** Stores a validated config, and the YAML it was written as; resolves to the new revision. */
  write(config: FixWorkerConfig, expectedRevision: number, yaml?: string): Promise<StoredConfig>;
}

export class ConfigConflictError extends RuntimeError {
  constructor(expected: number) {
    super(
      `${FIX_WORKER} was changed by someone else since revision ${expected} was read; nothing was saved. ` +
        `Read it again (config get ${FIX_WORKER}) and repeat your change.`,
    );
  }
}

/** The typed loader collect, plan and cleanup use: the stored config, else the safe defaults. */
export async function loadFixWorkerConfig(store: ConfigStore): Promise<FixWorkerConfig> {
  return (await store.read()).config;
}

/** Item layout in the config table: one item per config name, `sk = "current"`. */
const KEY = { pk: FIX_WORKER, sk: 'current' };

export class DynamoConfigStore implements ConfigStore {
  constructor(
    private readonly aws: AwsClients,
    private readonly tableName: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async read(): Promise<StoredConfig> {
    const answer = await this.aws.documents.send(new GetCommand({ TableName: this.tableName, Key: KEY, ConsistentRead: true }));
    const item = answer.Item;
    if (!item) return { config: defaultFixWorkerConfig(), revision: 0 };
    // Validated again on the way out: keys added since it was stored take their defaults.
    const config = validateFixWorkerConfig(item.config, `stored ${FIX_WORKER} (revision ${String(item.revision)})`);
    return {
      config,
      revision: Number(item.revision),
      ...(typeof item.updated_at === 'string' ? { updatedAt: item.updated_at } : {}),
      ...(typeof item.yaml === 'string' ? { yaml: item.yaml } : {}),
    };
  }

  async write(config: FixWorkerConfig, expectedRevision: number, yaml?: string): Promise<StoredConfig> {
    const valid = validateFixWorkerConfig(config);
    const revision = expectedRevision + 1;
    const updatedAt = this.clock().toISOString();
    try {
      await this.aws.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...KEY, config: valid, revision, updated_at: updatedAt, ...(yaml === undefined ? {} : { yaml }) },
          ...(expectedRevision === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: 'revision = :expected', ExpressionAttributeValues: { ':expected': expectedRevision } }),
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) {
        throw new ConfigConflictError(expectedRevision);
      }
      throw error;
    }
    return { config: valid, revision, updatedAt, ...(yaml === undefined ? {} : { yaml }) };
  }
}

export function createConfigStore(aws: AwsClients, tableName: string): ConfigStore {
  return new DynamoConfigStore(aws, tableName);
}
