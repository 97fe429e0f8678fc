import { createTable } from '../../src/aws/provision';
import { run } from '../../cli/main';
import type { CliContext } from '../../cli/context';
import { AwsClients } from '../../src/aws/clients';
import { AuditEntry, IntentExistsError } from '../../src/cleanup/audit';
import { DynamoAuditStore } from '../../src/cleanup/dynamo-audit-store';
import { Emulator, startEmulator } from '../../src/emulator/moto';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function entry(change: Partial<AuditEntry>): AuditEntry {
  return {
    run_id: 'run-a',
    at: new Date().toISOString(),
    account: '123456789012',
    user_name: 'nancy',
    access_key_id: 'AKIAEXAMPLE',
    action: 'delete',
    result: 'deleted',
    dry_run: false,
    job_id: 'clean_outdated_access_keys',
    reason: 'flagged by clean_outdated_access_keys: unused for 90 days',
    ...change,
  };
}

describe('the audit table and cloudsweep audit', () => {
  let emulator: Emulator;
  let aws: AwsClients;
  let tables = 0;

  beforeAll(async () => {
    emulator = await startEmulator();
    aws = new AwsClients({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    // The CLI builds its own clients from the SDK's settings.
    process.env.AWS_ACCESS_KEY_ID = 'testing';
    process.env.AWS_SECRET_ACCESS_KEY = 'testing';
    process.env.AWS_REGION = 'us-east-1';
  });
  afterAll(() => emulator.stop());

  async function auditTable(): Promise<string> {
    tables += 1;
    const name = `audit-${tables}`;
    await createTable(aws, name);
    return name;
  }

  async function cli(argv: string[], table: string) {
    const out: string[] = [];
    const err: string[] = [];
    const context: CliContext = {
      out: (text) => void out.push(text),
      err: (text) => void err.push(text),
      env: { CLOUDSWEEP_AUDIT_TABLE: table },
      isTTY: false,
      color: false,
    };
    const code = await run([...argv, '--endpoint-url', emulator.endpoint], context);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('brackets an IAM write with an intent: one at a time per key, resolved by its own run', async () => {
    const store = new DynamoAuditStore(aws.documents, await auditTable());
    const pending = entry({ result: 'pending' });

    await store.recordIntent(pending);
    await expect(store.recordIntent({ ...pending, run_id: 'run-b' })).rejects.toBeInstanceOf(IntentExistsError);
    expect(await store.pendingIntents()).toEqual([pending]);
    await expect(store.resolveIntent({ ...pending, run_id: 'run-b', result: 'deleted' })).rejects.toThrow(/no intent of run run-b/);
    await store.resolveIntent({ ...pending, result: 'deleted' });

    expect(await store.pendingIntents()).toEqual([]);
    expect(await store.query({ runId: 'run-a' })).toEqual([{ ...pending, result: 'deleted' }]);
  });

  it('finds entries by run and by time, across days', async () => {
    const now = new Date();
    const store = new DynamoAuditStore(aws.documents, await auditTable(), () => now);
    const old = entry({ run_id: 'run-old', at: new Date(now.getTime() - 3 * DAY).toISOString(), access_key_id: 'AKIAOLD' });
    const yesterday = entry({ run_id: 'run-yesterday', at: new Date(now.getTime() - DAY).toISOString(), access_key_id: 'AKIAYESTERDAY' });
    const recent = entry({ run_id: 'run-recent', at: new Date(now.getTime() - HOUR).toISOString(), access_key_id: 'AKIARECENT', action: 'skip', result: 'skipped' });
    for (const item of [recent, old, yesterday]) await store.record(item);

    expect(await store.query({ runId: 'run-yesterday' })).toEqual([yesterday]);
    expect(await store.query({ since: new Date(now.getTime() - 2 * DAY) })).toEqual([yesterday, recent]);
    expect(await store.query({ since: new Date(now.getTime() - 400 * DAY) })).toEqual([old, yesterday, recent]);
    expect(await store.query({})).toEqual([old, yesterday, recent]);
    expect(await store.query({ runId: 'run-old', since: new Date(now.getTime() - DAY) })).toEqual([]);
  });

  it('prints a run as JSON with exactly the fields of the contract, as CSV, and as a table', async () => {
    const table = await auditTable();
    const store = new DynamoAuditStore(aws.documents, table);
    const deleted = entry({ access_key_id: 'AKIADELETED' });
    const skipped = entry({ access_key_id: 'AKIASKIPPED', action: 'skip', result: 'skipped', job_id: null, reason: 'protected: user nancy carries the protect tag cloudsweep:protect=yes, "really"' });
    await store.record(deleted);
    await store.record(skipped);
    await store.record(entry({ run_id: 'run-other', access_key_id: 'AKIAOTHER' }));

    const json = await cli(['audit', '--run', 'run-a', '--output', 'json'], table);
    expect(json.code).toBe(0);
    const printed = JSON.parse(json.out) as Record<string, unknown>[];
    expect(printed).toEqual([deleted, skipped]);
    expect(Object.keys(printed[0] ?? {})).toEqual(['run_id', 'at', 'account', 'user_name', 'access_key_id', 'action', 'result', 'dry_run', 'job_id', 'reason']);

    const csv = await cli(['audit', '--run', 'run-a', '--output', 'csv'], table);
    const lines = csv.out.split('\n');
    expect(lines[0]).toBe('run_id,at,account,user_name,access_key_id,action,result,dry_run,job_id,reason');
    expect(lines[2]).toBe(`run-a,${skipped.at},123456789012,nancy,AKIASKIPPED,skip,skipped,false,,"protected: user nancy carries the protect tag cloudsweep:protect=yes, ""really"""`);

    const text = await cli(['audit', '--run', 'run-a'], table);
    const rows = text.out.split('\n');
    expect(rows[0]).toMatch(/^AT +RUN +ACCOUNT +USER +ACCESS KEY +ACTION +RESULT +DRY RUN +JOB +REASON$/);
    expect(rows[0]?.indexOf('RESULT')).toBe(rows[1]?.indexOf('deleted'));
    expect(rows.at(-1)).toBe('2 entries (deleted: 1, skipped: 1), newest first');

    const since = await cli(['audit', '--since', '1h', '--output', 'json'], table);
    expect((JSON.parse(since.out) as unknown[]).length).toBe(3);
  });

  it('shows the last 7 days by default, newest first, and says how to see more', async () => {
    const table = await auditTable();
    const store = new DynamoAuditStore(aws.documents, table);
    const at = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY).toISOString();
    await store.record(entry({ run_id: 'run-old', access_key_id: 'AKIAOLD', at: at(10) }));
    await store.record(entry({ run_id: 'run-earlier', access_key_id: 'AKIAEARLIER', at: at(3) }));
    await store.record(entry({ run_id: 'run-last', access_key_id: 'AKIALAST', at: at(1) }));

    const text = await cli(['audit'], table);
    const rows = text.out.split('\n');
    expect(rows.slice(1, 3).map((row) => /AKIA\w+/.exec(row)?.[0])).toEqual(['AKIALAST', 'AKIAEARLIER']);
    expect(rows.slice(3)).toEqual([
      '2 entries (deleted: 2), newest first',
      'Showing the last 7 days; older entries: cloudsweep audit --since 90d (or --since 2026-01-01, or --run RUN).',
    ]);
    const json = JSON.parse((await cli(['audit', '--output', 'json'], table)).out) as { access_key_id: string }[];
    expect(json.map((row) => row.access_key_id)).toEqual(['AKIALAST', 'AKIAEARLIER']);
    expect((JSON.parse((await cli(['audit', '--since', '30d', '--output', 'json'], table)).out) as unknown[]).length).toBe(3);
  });

  it('refuses a --since that is neither a duration nor a date, and an output it cannot print', async () => {
    const table = await auditTable();

    const since = await cli(['audit', '--since', 'yesterdayish'], table);
    const output = await cli(['audit', '--output', 'yaml'], table);

    expect(since).toMatchObject({ code: 2, err: expect.stringContaining('--since: "yesterdayish" is neither a duration') });
    expect(output.code).toBe(2);
  });

  it('says what to do when the audit table does not exist', async () => {
    const result = await cli(['audit'], 'no-such-audit-table');

    expect(result).toMatchObject({ code: 1, err: 'error: reading the audit: table no-such-audit-table does not exist: deploy the stack (cdk deploy) or run cloudsweep init' });
  });
});
