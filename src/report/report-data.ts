import type { AuditEntry } from '../cleanup/audit';
import { protectionOf } from '../cleanup/policy';
import type { CleanupRunSummary } from '../cleanup/run';
import type { InventoryGraph } from '../inventory/graph';
import type { InventoryNode } from '../inventory/model';
import type { RunRecord } from '../workflow/runs';

/**
 * What `cloudsweep report` shows, drawn from the stored inventory, the audit and the workflow runs.
 * Pure: the clock and the data are arguments, the HTML is drawn elsewhere (report-html.ts), and
 * `report --output json` prints this as it is.
 */

const DAY_MS = 86_400_000;
/** Idle longer than this is stale: the seed's `last_access > 90days`. */
export const STALE_DAYS = 90;

/** Last-access bands, each up to and including its upper bound in days; `never` is a key never used. */
export const AGE_BANDS = [
  { id: 'upto30', label: 'used in the last 30 days', short: '≤30d', upTo: 30 },
  { id: 'upto90', label: 'unused 31-90 days', short: '31–90d', upTo: 90 },
  { id: 'upto180', label: 'unused 91-180 days', short: '91–180d', upTo: 180 },
  { id: 'upto365', label: 'unused 181-365 days', short: '181–365d', upTo: 365 },
  { id: 'over365', label: 'unused more than 365 days', short: '>365d', upTo: Number.POSITIVE_INFINITY },
  { id: 'never', label: 'never used', short: 'never', upTo: Number.NaN },
] as const;
export type AgeBand = (typeof AGE_BANDS)[number]['id'];

/** The stages a flagged key goes through in a cleanup run, as the report counts them. */
export const STAGES = ['flagged', 'protected', 'noticed', 'deactivated', 'deleted', 'kept'] as const;
export type Stage = (typeof STAGES)[number];

export interface AccountAges {
  id: string;
  name: string;
  keys: number;
  bands: Record<AgeBand, number>;
}

export interface RunStages {
  run_id: string;
  workflow: string;
  started_at: string;
  dry_run: boolean;
  /** deleted and deactivated count what a dry run would have done; null where the source does not say. */
  counts: Record<Stage, number | null>;
  failed: number;
}

export interface StaleOwner {
  user: string;
  account: string;
  stale_keys: number;
  /** Days the longest-idle of those keys has been unused (since its creation when never used). */
  oldest_idle_days: number;
}

export interface Exemption {
  /** `user`: the user and all its keys; `key`: one key. */
  scope: 'user' | 'key';
  user: string;
  account: string;
  /** The key id for a key; the user's keys for a user. */
  keys: string[];
  reason: string;
}

export interface LastRun {
  run_id: string;
  workflow: string;
  status: string;
  started_at: string;
  duration_ms: number | null;
  error: string | null;
  /** `name: value` pairs of each step's summary that has one, in step order. */
  steps: { event: string; status: string; summary: Record<string, number | string | boolean> }[];
}

export interface ReportData {
  generated_at: string;
  collected_at: string | null;
  totals: { accounts: number; users: number; keys: number; stale_keys: number; never_used: number; flagged: number; protected_keys: number };
  stale_days: number;
  accounts: AccountAges[];
  /** Oldest run first, at most `runLimit` runs that reached cleanup. */
  runs: RunStages[];
  /** The users with the most stale keys, most first. */
  owners: StaleOwner[];
  exemptions: Exemption[];
  last_run: LastRun | null;
}

export interface ReportInput {
  graph: InventoryGraph;
  collectedAt?: string;
  audit: readonly AuditEntry[];
  /** Any order; only those with a cleanup step or audit entries are charted. */
  runs: readonly RunRecord[];
  /** The protect tags in force: the deployed one and fix.worker's. */
  protectTags: readonly string[];
  now: Date;
  runLimit?: number;
  ownerLimit?: number;
}

export function buildReport(input: ReportInput): ReportData {
  const { graph, now } = input;
  const accounts = new Map<string, AccountAges>();
  const owners = new Map<string, StaleOwner>();
  const exemptions: Exemption[] = [];
  const exemptUsers = new Map<string, Exemption>();
  const totals = { accounts: 0, users: 0, keys: 0, stale_keys: 0, never_used: 0, flagged: 0, protected_keys: 0 };

  const accountEntry = (account: InventoryNode | undefined): AccountAges => {
    const id = account?.id ?? '(no account)';
    let entry = accounts.get(id);
    if (!entry) {
      entry = { id, name: account ? nameOf(account) : id, keys: 0, bands: emptyBands() };
      accounts.set(id, entry);
    }
    return entry;
  };

  for (const node of graph.nodes()) {
    if (node.kind === 'aws_account') {
      totals.accounts += 1;
      accountEntry(node);
    } else if (node.kind === 'aws_iam_user') {
      totals.users += 1;
    }
  }
  for (const key of graph.nodes()) {
    // A key cleanup deleted is gone from IAM (it stays marked until the next collect): it no longer counts.
    if (key.kind !== 'aws_iam_access_key' || key.metadata.cleaned === true) continue;
    const user = graph.ancestor(key.id, 'aws_iam_user');
    const account = graph.accountOf(key.id);
    const ages = accountEntry(account);
    const lastUsed = timeOf(key.reported.atime);
    const idleDays = (now.getTime() - (lastUsed ?? timeOf(key.reported.ctime) ?? now.getTime())) / DAY_MS;
    totals.keys += 1;
    ages.keys += 1;
    ages.bands[lastUsed === undefined ? 'never' : bandOf(idleDays)] += 1;
    if (lastUsed === undefined) totals.never_used += 1;
    if (key.desired.clean === true) totals.flagged += 1;

    if (idleDays > STALE_DAYS) {
      totals.stale_keys += 1;
      const ownerId = user?.id ?? `(no user) ${ages.id}`;
      const owner = owners.get(ownerId) ?? { user: user ? nameOf(user) : '(no user)', account: ages.name, stale_keys: 0, oldest_idle_days: 0 };
      owner.stale_keys += 1;
      owner.oldest_idle_days = Math.max(owner.oldest_idle_days, Math.floor(idleDays));
      owners.set(ownerId, owner);
    }

    const reason = protectionOf(key, user, input.protectTags, now);
    if (reason) {
      totals.protected_keys += 1;
      const keyId = typeof key.reported.id === 'string' ? key.reported.id : key.id;
      const byUser = user !== undefined && key.metadata.protected !== true;
      if (byUser) {
        const known = exemptUsers.get(user.id);
        if (known) known.keys.push(keyId);
        else {
          const exemption: Exemption = { scope: 'user', user: nameOf(user), account: ages.name, keys: [keyId], reason };
          exemptUsers.set(user.id, exemption);
          exemptions.push(exemption);
        }
      } else {
        exemptions.push({ scope: 'key', user: user ? nameOf(user) : '(no user)', account: ages.name, keys: [keyId], reason });
      }
    }
  }

  return {
    generated_at: now.toISOString(),
    collected_at: input.collectedAt ?? null,
    totals,
    stale_days: STALE_DAYS,
    accounts: [...accounts.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)),
    runs: runStages(input.runs, input.audit, input.runLimit ?? 10),
    owners: [...owners.values()]
      .sort((a, b) => b.stale_keys - a.stale_keys || b.oldest_idle_days - a.oldest_idle_days || a.user.localeCompare(b.user) || a.account.localeCompare(b.account))
      .slice(0, input.ownerLimit ?? 10),
    exemptions: exemptions.sort((a, b) => a.account.localeCompare(b.account) || a.user.localeCompare(b.user) || a.scope.localeCompare(b.scope)),
    last_run: lastRun(input.runs),
  };
}

function emptyBands(): Record<AgeBand, number> {
  return Object.fromEntries(AGE_BANDS.map((band) => [band.id, 0])) as Record<AgeBand, number>;
}

function bandOf(idleDays: number): AgeBand {
  return (AGE_BANDS.find((band) => idleDays <= band.upTo) ?? AGE_BANDS[4]).id;
}

/**
 * Stages per run, oldest first. A run's cleanup summary says it all (flagged and protected come
 * only from there); a run known only by its audit entries (a deployed run listed without its
 * steps) is counted from them, flagged as the keys it decided on and protected unknown.
 */
function runStages(runs: readonly RunRecord[], audit: readonly AuditEntry[], limit: number): RunStages[] {
  const entriesByRun = new Map<string, AuditEntry[]>();
  for (const entry of audit) {
    if (entry.result === 'pending') continue;
    const list = entriesByRun.get(entry.run_id) ?? [];
    list.push(entry);
    entriesByRun.set(entry.run_id, list);
  }
  const charted: RunStages[] = [];
  const seen = new Set<string>();
  for (const run of runs) {
    const summary = cleanupSummaryOf(run);
    const entries = entriesByRun.get(run.run_id);
    if (!summary && !entries) continue;
    seen.add(run.run_id);
    charted.push(summary ? fromSummary(run.run_id, run.workflow, run.started_at, summary) : fromAudit(run.run_id, run.workflow, run.started_at, entries ?? []));
  }
  // Audited runs the runs table no longer lists (or never did).
  for (const [runId, entries] of entriesByRun) {
    if (seen.has(runId)) continue;
    const first = entries.reduce((min, entry) => (entry.at < min ? entry.at : min), entries[0]?.at ?? '');
    charted.push(fromAudit(runId, 'cleanup', first, entries));
  }
  return charted.sort((a, b) => a.started_at.localeCompare(b.started_at) || a.run_id.localeCompare(b.run_id)).slice(-limit);
}

function cleanupSummaryOf(run: RunRecord): CleanupRunSummary | undefined {
  const step = [...run.steps].reverse().find((candidate) => candidate.action === 'cleanup' && candidate.summary !== undefined);
  const summary = step?.summary as Partial<CleanupRunSummary> | undefined;
  return summary && typeof summary.flagged === 'number' ? (summary as CleanupRunSummary) : undefined;
}

function fromSummary(runId: string, workflow: string, startedAt: string, summary: CleanupRunSummary): RunStages {
  const dry = summary.dry_run === true;
  return {
    run_id: runId,
    workflow,
    started_at: startedAt,
    dry_run: dry,
    counts: {
      flagged: summary.flagged,
      protected: summary.protected,
      // Summaries stored before notices existed have neither count.
      noticed: dry ? summary.would_notice ?? 0 : summary.noticed ?? 0,
      deactivated: dry ? summary.would_deactivate ?? 0 : summary.deactivated,
      deleted: dry ? summary.would_delete ?? 0 : summary.deleted + summary.already_absent,
      kept: summary.skipped,
    },
    failed: summary.failed,
  };
}

function fromAudit(runId: string, workflow: string, startedAt: string, entries: readonly AuditEntry[]): RunStages {
  const counts: Record<Stage, number | null> = { flagged: new Set(entries.map((entry) => entry.access_key_id)).size, protected: null, noticed: 0, deactivated: 0, deleted: 0, kept: 0 };
  let failed = 0;
  for (const entry of entries) {
    const planned = entry.result === 'dry_run' ? entry.action : undefined;
    if (entry.result === 'noticed' || planned === 'notice') counts.noticed = (counts.noticed ?? 0) + 1;
    else if (entry.result === 'deleted' || entry.result === 'already_absent' || planned === 'delete') counts.deleted = (counts.deleted ?? 0) + 1;
    else if (entry.result === 'deactivated' || planned === 'deactivate') counts.deactivated = (counts.deactivated ?? 0) + 1;
    else if (entry.result === 'skipped' || entry.result === 'kept' || planned === 'skip') counts.kept = (counts.kept ?? 0) + 1;
    else if (entry.result === 'failed') failed += 1;
  }
  return { run_id: runId, workflow, started_at: startedAt, dry_run: entries.some((entry) => entry.dry_run), counts, failed };
}

function lastRun(runs: readonly RunRecord[]): LastRun | null {
  const latest = [...runs].sort((a, b) => b.started_at.localeCompare(a.started_at))[0];
  if (!latest) return null;
  return {
    run_id: latest.run_id,
    workflow: latest.workflow,
    status: latest.status,
    started_at: latest.started_at,
    duration_ms: latest.duration_ms ?? null,
    error: latest.error ?? null,
    steps: latest.steps
      .filter((step) => step.summary !== undefined)
      .map((step) => ({ event: step.event, status: step.status, summary: scalars(step.summary as Record<string, unknown>) })),
  };
}

/** The summary's plain values (numbers, strings, booleans): nested details stay in `workflow show`. */
function scalars(summary: Record<string, unknown>): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const [name, value] of Object.entries(summary)) {
    if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') out[name] = value;
    else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) out[name] = value.join(', ');
  }
  return out;
}

function nameOf(node: InventoryNode): string {
  return typeof node.reported.name === 'string' ? node.reported.name : node.id;
}

function timeOf(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
