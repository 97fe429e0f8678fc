import { createTable } from '../../src/aws/provision';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  GetAccessKeyLastUsedCommand,
  ListAccessKeysCommand,
  ListUserTagsCommand,
  TagUserCommand,
} from '@aws-sdk/client-iam';
import { clientsForAccount, memberRoleArn } from '../../src/aws/accounts';
import { AwsClients } from '../../src/aws/clients';
import type { CleanupDeps, Clock } from '../../src/cleanup/run';
import { DynamoAuditStore } from '../../src/cleanup/dynamo-audit-store';
import { DEFAULT_SAFETY_SETTINGS } from '../../src/cleanup/policy';
import { defaultFixWorkerConfig, FixWorkerConfig } from '../../src/config/fix-worker';
import type { Emulator } from '../../src/emulator/moto';
import type { PublishedEvent } from '../../src/events/contracts';
import { createInventoryStore, DynamoInventoryStore } from '../../src/inventory/dynamo-store';
import { accessKeyNode, accountNode, Edge, InventoryNode, userNode } from '../../src/inventory/model';

/**
 * Cleanup scenarios against moto: users and aged keys in three accounts (the home account and two
 * members entered with AssumeRole), an inventory written the way collect writes it, flags set the
 * way `clean` sets them. Each scenario has its own inventory and audit tables, so scenarios in one
 * file (one emulator) do not see each other's keys.
 */
export const HOME = '123456789012';
export const MEMBER_A = '111111111111';
export const MEMBER_B = '222222222222';
export const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const DAY = 86_400_000;

export interface WorldSettings {
  endpoint: string;
  inventoryTable: string;
  auditTable: string;
}

/** The deps cleanup runs with against the emulator (also used by the crash test's child process). */
export function cleanupDeps(
  settings: WorldSettings,
  change: Partial<CleanupDeps> & { published?: { event: PublishedEvent; summary: Record<string, unknown> }[] } = {},
): CleanupDeps {
  const aws = new AwsClients({ endpoint: settings.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
  const { published, ...rest } = change;
  return {
    aws,
    store: createInventoryStore(aws, settings.inventoryTable),
    audit: new DynamoAuditStore(aws.documents, settings.auditTable),
    clock: { now: () => new Date() },
    publish: async (event, summary) => void published?.push({ event, summary }),
    homeAccountId: HOME,
    safety: DEFAULT_SAFETY_SETTINGS,
    ...rest,
  };
}

export function enabledConfig(fixworker: Partial<FixWorkerConfig['fixworker']> = {}): FixWorkerConfig {
  const config = defaultFixWorkerConfig();
  return { ...config, fixworker: { ...config.fixworker, cleanup: true, cleanup_dry_run: false, max_cleanup_percent: 100, ...fixworker } };
}

let scenarios = 0;

export class Scenario {
  readonly settings: WorldSettings;
  readonly aws: AwsClients;
  readonly store: DynamoInventoryStore;
  readonly audit: DynamoAuditStore;
  readonly published: { event: PublishedEvent; summary: Record<string, unknown> }[] = [];
  private readonly prefix: string;
  private readonly users: { account: string; name: string }[] = [];
  private readonly accounts = new Map<string, Promise<AwsClients>>();

  private constructor(
    private readonly emulator: Emulator,
    name: string,
  ) {
    scenarios += 1;
    this.prefix = `s${scenarios}${name}`;
    this.settings = { endpoint: emulator.endpoint, inventoryTable: `inventory-${this.prefix}`, auditTable: `audit-${this.prefix}` };
    this.aws = new AwsClients({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
    this.store = createInventoryStore(this.aws, this.settings.inventoryTable);
    this.audit = new DynamoAuditStore(this.aws.documents, this.settings.auditTable);
  }

  static async create(emulator: Emulator, name = ''): Promise<Scenario> {
    const scenario = new Scenario(emulator, name);
    for (const table of [scenario.settings.inventoryTable, scenario.settings.auditTable]) {
      await createTable(scenario.aws, table);
    }
    return scenario;
  }

  deps(change: Partial<CleanupDeps> = {}): CleanupDeps {
    return cleanupDeps(this.settings, { published: this.published, ...change });
  }

  /** IAM clients acting in an account: the home account's own, members' through AssumeRole. */
  iamIn(account: string): Promise<AwsClients> {
    let clients = this.accounts.get(account);
    if (!clients) {
      clients =
        account === HOME
          ? Promise.resolve(this.aws)
          : clientsForAccount(this.aws, { id: account, name: account, role_arn: memberRoleArn(account, 'CloudSweepMemberRole') }, 'fixture');
      this.accounts.set(account, clients);
    }
    return clients;
  }

  /** Creates a user (named after the scenario, so scenarios never share one) and returns its name. */
  async user(account: string, name: string, tags: Record<string, string> = {}): Promise<string> {
    const userName = `${this.prefix}-${name}`;
    const { iam } = await this.iamIn(account);
    await iam.send(new CreateUserCommand({ UserName: userName }));
    if (Object.keys(tags).length > 0) {
      await iam.send(new TagUserCommand({ UserName: userName, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
    }
    this.users.push({ account, name: userName });
    return userName;
  }

  /** A key created `ageDays` ago and last used `lastUsedDaysAgo` ago (null: never). */
  async key(account: string, userName: string, ageDays = 200, lastUsedDaysAgo: number | null = null): Promise<string> {
    const { iam } = await this.iamIn(account);
    const created = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
    const id = created.AccessKey?.AccessKeyId ?? '';
    const now = Date.now();
    await this.emulatorCall(account, id, ageDays, lastUsedDaysAgo === null ? null : new Date(now - lastUsedDaysAgo * DAY).toISOString(), now);
    return id;
  }

  /** Marks a key used now (as if someone used it since it was flagged). */
  async use(account: string, accessKeyId: string, at = new Date()): Promise<void> {
    await this.emulator.setAccessKey({ accountId: account, accessKeyId, lastUsed: { date: at.toISOString(), service: 's3', region: 'us-east-1' } });
  }

  /** Writes the accounts' snapshots as collect would: the scenario's users, their keys and tags. */
  async collect(now = new Date()): Promise<void> {
    const byAccount = new Map<string, { nodes: InventoryNode[]; edges: Edge[] }>();
    for (const { account, name } of this.users) {
      let snapshot = byAccount.get(account);
      if (!snapshot) {
        snapshot = { nodes: [accountNode({ id: account, name: account === HOME ? 'home' : `member-${account.slice(0, 3)}` })], edges: [] };
        byAccount.set(account, snapshot);
      }
      const { iam } = await this.iamIn(account);
      const tags = await iam.send(new ListUserTagsCommand({ UserName: name }));
      const user = userNode({
        id: `AIDA${account}${name}`,
        name,
        arn: `arn:aws:iam::${account}:user/${name}`,
        path: '/',
        ctime: '2024-01-01T00:00:00Z',
        atime: null,
        tags: Object.fromEntries((tags.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
        password_enabled: false,
        mfa_active: false,
      });
      snapshot.nodes.push(user);
      snapshot.edges.push({ from: account, to: user.id });
      const listed = await iam.send(new ListAccessKeysCommand({ UserName: name }));
      for (const key of listed.AccessKeyMetadata ?? []) {
        const id = key.AccessKeyId ?? '';
        const used = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: id }));
        const lastUsed = used.AccessKeyLastUsed?.LastUsedDate?.toISOString() ?? null;
        snapshot.nodes.push(
          accessKeyNode({
            id,
            name: id,
            user_name: name,
            ctime: key.CreateDate?.toISOString() ?? '',
            atime: lastUsed,
            access_key_status: key.Status === 'Inactive' ? 'Inactive' : 'Active',
            access_key_last_used: { last_used: lastUsed, service_name: null, region: null },
          }),
        );
        snapshot.edges.push({ from: user.id, to: id });
      }
    }
    for (const [accountId, { nodes, edges }] of byAccount) {
      await this.store.replaceAccount({ accountId, collectedAt: now.toISOString(), nodes, edges });
    }
  }

  /** `| clean` on these keys, as the job would. */
  async flag(accessKeyIds: string[], at = new Date()): Promise<void> {
    const { graph } = await this.store.loadGraph();
    await this.store.updateNodes(
      accessKeyIds.map((id) => {
        const node = graph.node(id);
        const account = graph.accountOf(id);
        if (!node || !account) throw new Error(`flag: ${id} is not in the inventory`);
        return {
          id,
          accountId: account.id,
          metadata: { ...node.metadata, flagged_by: 'clean_outdated_access_keys', flagged_at: at.toISOString(), clean_reason: 'unused for 90 days' },
          desired: { ...node.desired, clean: true },
        };
      }),
    );
  }

  async setMetadata(id: string, change: Record<string, unknown>): Promise<void> {
    const { graph } = await this.store.loadGraph();
    const node = graph.node(id);
    const account = graph.accountOf(id);
    if (!node || !account) throw new Error(`setMetadata: ${id} is not in the inventory`);
    await this.store.updateNodes([{ id, accountId: account.id, metadata: { ...node.metadata, ...change } }]);
  }

  async node(id: string): Promise<InventoryNode | undefined> {
    return (await this.store.loadGraph()).graph.node(id);
  }

  /** The key ids IAM lists for a user now, with their status. */
  async keysOf(account: string, userName: string): Promise<Record<string, string>> {
    const { iam } = await this.iamIn(account);
    const listed = await iam.send(new ListAccessKeysCommand({ UserName: userName }));
    return Object.fromEntries((listed.AccessKeyMetadata ?? []).map((key) => [key.AccessKeyId ?? '', key.Status ?? '']));
  }

  clockAt(date: Date): Clock {
    return { now: () => date };
  }

  private async emulatorCall(account: string, accessKeyId: string, ageDays: number, lastUsed: string | null, now: number) {
    await this.emulator.setAccessKey({
      accountId: account,
      accessKeyId,
      createDate: new Date(now - ageDays * DAY).toISOString(),
      lastUsed: lastUsed === null ? null : { date: lastUsed, service: 's3', region: 'us-east-1' },
    });
  }
}
