import type { AuditEntry } from '../../../src/cleanup/audit';
import { emptyRunSummary } from '../../../src/cleanup/run';
import { InventoryGraph } from '../../../src/inventory/graph';
import { accessKeyNode, accountNode, InventoryNode, userNode } from '../../../src/inventory/model';
import { buildReport, ReportInput } from '../../../src/report/report-data';
import type { RunRecord } from '../../../src/workflow/runs';

const NOW = new Date('2026-11-24T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();
const PROTECT = ['cloudsweep:protect'];

/** prod: alice (keys idle 10, 30, 31 and 400 days), bob (never used, created 200 days ago; never used, created 5 days ago). dev: ci (100 and 95 days, tagged protect). */
function inventory(): InventoryGraph {
  const graph = new InventoryGraph();
  const user = (account: string, id: string, name: string, tags: Record<string, string> = {}) => {
    graph.addNode(userNode({ id, name, arn: `arn:aws:iam::${account}:user/${name}`, path: '/', ctime: daysAgo(900), atime: null, tags, password_enabled: false, mfa_active: false }));
    graph.addEdge(account, id);
  };
  const key = (userId: string, id: string, userName: string, createdDaysAgo: number, usedDaysAgo: number | null, change: (node: InventoryNode) => void = () => undefined) => {
    const node = accessKeyNode({
      id, name: id, user_name: userName, ctime: daysAgo(createdDaysAgo), atime: usedDaysAgo === null ? null : daysAgo(usedDaysAgo), access_key_status: 'Active',
      access_key_last_used: { last_used: usedDaysAgo === null ? null : daysAgo(usedDaysAgo), service_name: null, region: null },
    });
    change(node);
    graph.addNode(node);
    graph.addEdge(userId, id);
  };
  graph.addNode(accountNode({ id: '111111111111', name: 'prod' }));
  graph.addNode(accountNode({ id: '222222222222', name: 'dev' }));
  user('111111111111', 'AIDAALICE', 'alice');
  user('111111111111', 'AIDABOB', 'bob');
  user('222222222222', 'AIDACI', 'ci', { 'cloudsweep:protect': 'true' });
  key('AIDAALICE', 'AKIAA1', 'alice', 500, 10);
  key('AIDAALICE', 'AKIAA2', 'alice', 500, 30);
  key('AIDAALICE', 'AKIAA3', 'alice', 500, 31);
  key('AIDAALICE', 'AKIAA4', 'alice', 500, 400, (node) => {
    node.desired.clean = true;
    node.metadata.protected = true;
  });
  key('AIDABOB', 'AKIAB1', 'bob', 200, null, (node) => {
    node.desired.clean = true;
  });
  key('AIDABOB', 'AKIAB2', 'bob', 5, null);
  key('AIDABOB', 'AKIAGONE', 'bob', 300, 300, (node) => {
    node.metadata.cleaned = true;
  });
  key('AIDACI', 'AKIAC1', 'ci', 300, 100);
  key('AIDACI', 'AKIAC2', 'ci', 300, 95);
  return graph;
}

function run(runId: string, startedAt: string, summary?: Record<string, unknown>): RunRecord {
  return {
    run_id: runId, workflow: 'collect_and_cleanup', mode: 'in-process', status: 'succeeded', started_at: startedAt, finished_at: startedAt, duration_ms: 4200,
    steps: summary ? [{ event: 'cleanup', action: 'cleanup', status: 'succeeded', started_at: startedAt, duration_ms: 100, jobs: [], summary }] : [],
  };
}

function audit(runId: string, at: string, key: string, action: AuditEntry['action'], result: AuditEntry['result'], dryRun = false): AuditEntry {
  return { run_id: runId, at, account: '111111111111', user_name: 'alice', access_key_id: key, action, result, dry_run: dryRun, job_id: null, reason: 'r' };
}

const report = (overrides: Partial<ReportInput> = {}) => buildReport({ graph: inventory(), audit: [], runs: [], protectTags: PROTECT, now: NOW, ...overrides });

describe('report: keys by last access per account', () => {
  it('counts each key in one band, up to and including the bound, never-used keys apart, deleted keys not at all', () => {
    const { accounts, totals } = report();
    expect(accounts).toEqual([
      { id: '222222222222', name: 'dev', keys: 2, bands: { upto30: 0, upto90: 0, upto180: 2, upto365: 0, over365: 0, never: 0 } },
      { id: '111111111111', name: 'prod', keys: 6, bands: { upto30: 2, upto90: 1, upto180: 0, upto365: 0, over365: 1, never: 2 } },
    ]);
    expect(totals).toEqual({ accounts: 2, users: 3, keys: 8, stale_keys: 4, never_used: 2, flagged: 2, protected_keys: 3 });
  });

  it('lists an account without keys with empty bands', () => {
    const graph = inventory();
    graph.addNode(accountNode({ id: '333333333333', name: 'empty' }));
    expect(report({ graph }).accounts.find((account) => account.name === 'empty')).toEqual({ id: '333333333333', name: 'empty', keys: 0, bands: { upto30: 0, upto90: 0, upto180: 0, upto365: 0, over365: 0, never: 0 } });
  });
});

describe('report: the biggest owners of stale keys', () => {
  it('ranks users by keys unused for more than 90 days (a never-used key counting from its creation), then by the oldest', () => {
    expect(report().owners).toEqual([
      { user: 'ci', account: 'dev', stale_keys: 2, oldest_idle_days: 100 },
      { user: 'alice', account: 'prod', stale_keys: 1, oldest_idle_days: 400 },
      { user: 'bob', account: 'prod', stale_keys: 1, oldest_idle_days: 200 },
    ]);
    expect(report({ ownerLimit: 1 }).owners.map((owner) => owner.user)).toEqual(['ci']);
  });
});

describe('report: exemptions', () => {
  it('lists a tagged user once with its keys, and a protected key on its own, each with the reason', () => {
    expect(report().exemptions).toEqual([
      { scope: 'user', user: 'ci', account: 'dev', keys: ['AKIAC1', 'AKIAC2'], reason: 'user ci carries the protect tag cloudsweep:protect=true' },
      { scope: 'key', user: 'alice', account: 'prod', keys: ['AKIAA4'], reason: 'the key is protected (metadata.protected)' },
    ]);
  });

  it('follows the protect tags in force', () => {
    expect(report({ protectTags: ['other:tag'] }).exemptions.map((exemption) => exemption.user)).toEqual(['alice']);
  });
});

describe('report: keys per stage over the last runs', () => {
  const summary = (changes: Record<string, unknown>) => ({ ...emptyRunSummary('x', true, false), ...changes });

  it('takes each run from its cleanup summary, oldest first, a dry run counting what it would have done', () => {
    const runs = [
      run('run-2', '2026-11-23T10:00:00Z', summary({ flagged: 7, protected: 2, deleted: 3, already_absent: 1, deactivated: 0, skipped: 1, failed: 0 })),
      run('run-1', '2026-11-22T10:00:00Z', summary({ flagged: 7, protected: 2, dry_run: true, would_delete: 4, would_deactivate: 0, skipped: 1 })),
      run('collect-only', '2026-11-23T11:00:00Z'),
    ];
    expect(report({ runs }).runs).toEqual([
      { run_id: 'run-1', workflow: 'collect_and_cleanup', started_at: '2026-11-22T10:00:00Z', dry_run: true, counts: { flagged: 7, protected: 2, noticed: 0, deactivated: 0, deleted: 4, kept: 1 }, failed: 0 },
      { run_id: 'run-2', workflow: 'collect_and_cleanup', started_at: '2026-11-23T10:00:00Z', dry_run: false, counts: { flagged: 7, protected: 2, noticed: 0, deactivated: 0, deleted: 4, kept: 1 }, failed: 0 },
    ]);
  });

  it('counts a run known only from the audit from its entries, protected unknown, pending intents left out', () => {
    const entries = [
      audit('run-9', '2026-11-20T10:00:05Z', 'AKIA1', 'delete', 'deleted'),
      audit('run-9', '2026-11-20T10:00:01Z', 'AKIA2', 'deactivate', 'deactivated'),
      audit('run-9', '2026-11-20T10:00:02Z', 'AKIA3', 'skip', 'skipped'),
      audit('run-9', '2026-11-20T10:00:03Z', 'AKIA4', 'delete', 'failed'),
      audit('run-9', '2026-11-20T10:00:04Z', 'AKIA5', 'delete', 'pending'),
      audit('run-8', '2026-11-19T10:00:00Z', 'AKIA1', 'delete', 'dry_run', true),
    ];
    expect(report({ audit: entries }).runs).toEqual([
      { run_id: 'run-8', workflow: 'cleanup', started_at: '2026-11-19T10:00:00Z', dry_run: true, counts: { flagged: 1, protected: null, noticed: 0, deactivated: 0, deleted: 1, kept: 0 }, failed: 0 },
      { run_id: 'run-9', workflow: 'cleanup', started_at: '2026-11-20T10:00:01Z', dry_run: false, counts: { flagged: 4, protected: null, noticed: 0, deactivated: 1, deleted: 1, kept: 1 }, failed: 1 },
    ]);
  });

  it('keeps the last runs only', () => {
    const runs = Array.from({ length: 14 }, (_, i) => run(`run-${String(i).padStart(2, '0')}`, `2026-11-${String(i + 1).padStart(2, '0')}T10:00:00Z`, summary({ flagged: i })));
    const charted = report({ runs, runLimit: 10 }).runs;
    expect(charted.map((stages) => stages.run_id)).toEqual(runs.slice(4).map((record) => record.run_id));
  });
});

describe('report: the last run', () => {
  it("summarises the newest run with each step's plain values", () => {
    const runs = [
      run('old', '2026-11-20T10:00:00Z', summary()),
      { ...run('new', '2026-11-23T10:00:00Z', { flagged: 3, protected: 1, failed_accounts: ['333333333333'], account_failures: [{ account_id: '3' }] }), status: 'failed' as const, error: 'cleanup: 1 account failed' },
    ];
    expect(report({ runs }).last_run).toEqual({
      run_id: 'new', workflow: 'collect_and_cleanup', status: 'failed', started_at: '2026-11-23T10:00:00Z', duration_ms: 4200, error: 'cleanup: 1 account failed',
      steps: [{ event: 'cleanup', status: 'succeeded', summary: { flagged: 3, protected: 1, failed_accounts: '333333333333' } }],
    });
    expect(report().last_run).toBeNull();
  });

  function summary(changes: Record<string, unknown> = {}) {
    return { ...emptyRunSummary('x', true, false), ...changes };
  }
});
