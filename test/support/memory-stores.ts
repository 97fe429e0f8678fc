import { AuditEntry, AuditFilter, AuditStore, ChangeRecord, compareChanges, compareEntries, IntentExistsError } from '../../src/cleanup/audit';
import { ConfigConflictError, ConfigStore, StoredConfig } from '../../src/config/store';
import { defaultFixWorkerConfig, FixWorkerConfig } from '../../src/config/fix-worker';
import { validateFixWorkerConfig } from '../../src/config/schema';
import type { PublishedEvent, WorkflowEventDetail } from '../../src/events/contracts';
import { InventoryGraph } from '../../src/inventory/graph';
import type { InventoryStore, LoadedInventory, NodeFlags, NodeRef, NodeUpdate } from '../../src/inventory/store';
import type { Job, JobRunRecord } from '../../src/jobs/job';
import { byCreation, jobExists, JobStore, noSuchJob } from '../../src/jobs/store';
import { epochSeconds, HeldLease, Lease, LeaseHolder } from '../../src/workflow/lease';
import type { EventPublisher } from '../../src/workflow/publisher';
import type { RunRecord, RunStore } from '../../src/workflow/runs';

/**
 * The stores, the lease and the publisher in memory, with the refusals of their DynamoDB and
 * EventBridge counterparts: unit tests and the cleanup benchmarks (bench/cleanup-world.mjs, from
 * dist/test/support/) use them; the product never does.
 */

// --- the inventory ---------------------------------------------------------------------------

/** An InventoryStore held in memory; `updates` keeps every update written, in order. */
export class MemoryInventoryStore implements InventoryStore {
  readonly updates: NodeUpdate[] = [];

  constructor(
    private readonly graph: InventoryGraph,
    private readonly collectedAt?: string,
  ) {}

  async loadGraph(): Promise<LoadedInventory> {
    return { graph: this.graph, ...(this.collectedAt ? { collectedAt: this.collectedAt } : {}) };
  }

  async updateNodes(updates: readonly NodeUpdate[]): Promise<void> {
    for (const update of updates) {
      const node = this.graph.node(update.id);
      if (!node) continue;
      if (update.metadata) node.metadata = { ...update.metadata };
      if (update.desired) node.desired = { ...update.desired };
      this.updates.push(update);
    }
  }

  async readFlags(nodes: readonly NodeRef[]): Promise<Map<string, NodeFlags>> {
    const flags = new Map<string, NodeFlags>();
    for (const { id } of nodes) {
      const node = this.graph.node(id);
      flags.set(id, node ? { metadata: structuredClone(node.metadata), desired: structuredClone(node.desired) } : {});
    }
    return flags;
  }
}

// --- the audit table -------------------------------------------------------------------------

/** An AuditStore in memory, with the DynamoDB store's semantics. */
export class MemoryAuditStore implements AuditStore {
  private readonly entries = new Map<string, AuditEntry>();
  private readonly intents = new Map<string, AuditEntry>();
  private readonly changeRecords: ChangeRecord[] = [];

  async record(entry: AuditEntry): Promise<void> {
    this.entries.set(entryKey(entry), { ...entry });
  }

  async recordIntent(entry: AuditEntry): Promise<void> {
    if (this.intents.has(entry.access_key_id)) throw new IntentExistsError(entry.access_key_id);
    this.intents.set(entry.access_key_id, { ...entry });
    this.entries.set(entryKey(entry), { ...entry });
  }

  async resolveIntent(entry: AuditEntry): Promise<void> {
    const intent = this.intents.get(entry.access_key_id);
    if (!intent || intent.run_id !== entry.run_id) {
      throw new Error(`no intent of run ${entry.run_id} for access key ${entry.access_key_id}`);
    }
    this.entries.set(entryKey(entry), { ...entry });
    this.intents.delete(entry.access_key_id);
  }

  async pendingIntents(): Promise<AuditEntry[]> {
    return [...this.intents.values()].map((intent) => ({ ...intent }));
  }

  async query(filter: AuditFilter): Promise<AuditEntry[]> {
    const since = filter.since?.toISOString();
    return [...this.entries.values()]
      .filter((entry) => filter.runId === undefined || entry.run_id === filter.runId)
      .filter((entry) => since === undefined || entry.at >= since)
      .map((entry) => ({ ...entry }))
      .sort(compareEntries);
  }

  async recordChanges(records: readonly ChangeRecord[]): Promise<void> {
    this.changeRecords.push(...records.map((record) => ({ ...record })));
  }

  async changes(filter: AuditFilter): Promise<ChangeRecord[]> {
    if (filter.runId !== undefined) return [];
    const since = filter.since?.toISOString();
    return this.changeRecords
      .filter((record) => since === undefined || record.at >= since)
      .map((record) => ({ ...record }))
      .sort(compareChanges);
  }
}

function entryKey(entry: AuditEntry): string {
  return `${entry.run_id}\u0000${entry.access_key_id}`;
}

// --- jobs ------------------------------------------------------------------------------------

/** A JobStore in memory with the same refusals. */
export class MemoryJobStore implements JobStore {
  private readonly jobs = new Map<string, Job>();

  async get(id: string): Promise<Job | undefined> {
    const job = this.jobs.get(id);
    return job ? structuredClone(job) : undefined;
  }

  async list(): Promise<Job[]> {
    return [...this.jobs.values()].map((job) => structuredClone(job)).sort(byCreation);
  }

  async create(job: Job): Promise<void> {
    if (this.jobs.has(job.id)) throw jobExists(job.id);
    this.jobs.set(job.id, structuredClone(job));
  }

  async replace(job: Job): Promise<void> {
    if (!this.jobs.has(job.id)) throw noSuchJob(job.id);
    this.jobs.set(job.id, structuredClone(job));
  }

  async delete(id: string): Promise<Job> {
    const job = this.jobs.get(id);
    if (!job) throw noSuchJob(id);
    this.jobs.delete(id);
    return job;
  }

  async recordRun(id: string, run: JobRunRecord): Promise<void> {
    const job = this.jobs.get(id);
    if (job) job.last_run = structuredClone(run);
  }
}

// --- fix.worker ------------------------------------------------------------------------------

/** A ConfigStore in memory, with the same optimistic locking. */
export class MemoryConfigStore implements ConfigStore {
  private stored: StoredConfig = { config: defaultFixWorkerConfig(), revision: 0 };

  async read(): Promise<StoredConfig> {
    return structuredClone(this.stored);
  }

  async write(config: FixWorkerConfig, expectedRevision: number, yaml?: string): Promise<StoredConfig> {
    const valid = validateFixWorkerConfig(config);
    if (expectedRevision !== this.stored.revision) throw new ConfigConflictError(expectedRevision);
    this.stored = { config: valid, revision: expectedRevision + 1, updatedAt: new Date().toISOString(), ...(yaml === undefined ? {} : { yaml }) };
    return structuredClone(this.stored);
  }
}

// --- runs ------------------------------------------------------------------------------------

export class MemoryRunStore implements RunStore {
  private readonly runs = new Map<string, RunRecord>();

  async save(run: RunRecord): Promise<void> {
    this.runs.set(run.run_id, structuredClone(run));
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    const run = this.runs.get(runId);
    return run ? structuredClone(run) : undefined;
  }

  async list(limit: number): Promise<RunRecord[]> {
    return [...this.runs.values()]
      .sort((a, b) => b.run_id.localeCompare(a.run_id))
      .slice(0, limit)
      .map((run) => structuredClone(run));
  }
}

// --- the workflow lease ----------------------------------------------------------------------

/** A Lease in memory with the same rules. */
export class MemoryLease implements Lease {
  private held?: HeldLease;

  constructor(private readonly clock: () => Date = () => new Date()) {}

  async tryAcquire(holder: LeaseHolder, ttlSeconds: number) {
    const now = epochSeconds(this.clock());
    if (this.held && this.held.expires_at >= now && this.held.holder !== holder.holder) return { acquired: false as const, heldBy: { ...this.held } };
    this.held = { ...holder, expires_at: now + ttlSeconds };
    return { acquired: true as const };
  }

  async renew(holder: string, ttlSeconds: number): Promise<boolean> {
    if (this.held?.holder !== holder) return false;
    this.held.expires_at = epochSeconds(this.clock()) + ttlSeconds;
    return true;
  }

  async release(holder: string): Promise<boolean> {
    if (this.held?.holder !== holder) return false;
    this.held = undefined;
    return true;
  }
}

// --- events ----------------------------------------------------------------------------------

/** Keeps what was published, in order. */
export class RecordingPublisher implements EventPublisher {
  readonly published: { event: PublishedEvent; detail: WorkflowEventDetail }[] = [];

  async publish(event: PublishedEvent, detail: WorkflowEventDetail): Promise<void> {
    this.published.push({ event, detail: structuredClone(detail) });
  }
}
