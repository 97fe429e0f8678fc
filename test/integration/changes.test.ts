import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { ChangeRecord } from '../../src/cleanup/audit';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { CliResult, emulatorClients, emulatorEnv, runCli } from '../support/aws';

const JOB = 'search is(access_key) and last_access > 90days | clean';

describe('who changed a job, the config or a flag, in cloudsweep audit (moto)', () => {
  let emulator: Emulator;
  let env: NodeJS.ProcessEnv;
  let caller: string;
  const cli = (...argv: string[]): Promise<CliResult> => runCli(argv, env);

  const changes = async (): Promise<ChangeRecord[]> => {
    const shown = await cli('audit', '--changes', '--output', 'json');
    expect(shown.code).toBe(0);
    return JSON.parse(shown.out) as ChangeRecord[];
  };

  beforeAll(async () => {
    emulator = await startEmulator();
    env = emulatorEnv(emulator);
    expect((await cli('init')).code).toBe(0);
    caller = (await emulatorClients(emulator).sts.send(new GetCallerIdentityCommand({}))).Arn ?? '';
  });
  afterAll(() => emulator.stop());

  it('records every change to a job with the caller, before and after', async () => {
    expect((await cli('jobs', 'add', '--id', 'stale', '--wait-for-event', 'post_collect', JOB)).code).toBe(0);
    expect((await cli('jobs', 'update', 'stale', '--timeout', '2m')).code).toBe(0);
    expect((await cli('jobs', 'deactivate', 'stale')).code).toBe(0);
    expect((await cli('jobs', 'activate', 'stale')).code).toBe(0);
    expect((await cli('jobs', 'delete', 'stale')).code).toBe(0);

    const jobChanges = (await changes()).filter((change) => change.subject === 'job');
    expect(jobChanges.map((change) => change.action)).toEqual(['add', 'update', 'deactivate', 'activate', 'delete']);
    for (const change of jobChanges) expect(change).toMatchObject({ who: caller, target: 'stale' });
    const [added, updated, deactivated, , deleted] = jobChanges;
    expect(added?.before).toBeNull();
    expect(JSON.parse(added?.after ?? '')).toEqual({ command: JOB, trigger: { event: 'post_collect' }, timeout: '10m', active: true });
    expect(JSON.parse(updated?.before ?? '')).toMatchObject({ timeout: '10m' });
    expect(JSON.parse(updated?.after ?? '')).toMatchObject({ timeout: '2m' });
    expect(JSON.parse(deactivated?.after ?? '')).toMatchObject({ active: false });
    expect(deleted?.after).toBeNull();
    expect(caller).toMatch(/^arn:aws:/);
  });

  it('records a config change with only the keys that changed', async () => {
    expect((await cli('config', 'set', 'fix.worker', 'fixworker.cleanup=true', 'fixworker.cleanup_pool_size=4')).code).toBe(0);
    const [change] = (await changes()).filter((c) => c.subject === 'config');
    expect(change).toMatchObject({ who: caller, action: 'set', target: 'fix.worker' });
    expect(JSON.parse(change?.before ?? '')).toEqual({ 'fixworker.cleanup': false, 'fixworker.cleanup_pool_size': expect.any(Number) });
    expect(JSON.parse(change?.after ?? '')).toEqual({ 'fixworker.cleanup': true, 'fixworker.cleanup_pool_size': 4 });
  });

  it('shows the changes after the decisions in text, and only them with --changes', async () => {
    const text = await cli('audit');
    expect(text.code).toBe(0);
    const lines = text.out.split('\n');
    expect(lines[0]).toMatch(/^AT +WHO +CHANGED +TARGET +BEFORE +AFTER +REASON$/);
    expect(text.out).toContain('job add');
    expect(text.out).toContain('config set');
    expect(lines.at(-2)).toMatch(/^\d+ changes$/);
    expect(lines.at(-1)).toMatch(/^Showing the last 7 days; older entries: cloudsweep audit --since 90d/);

    expect((await cli('audit', '--output', 'json')).out).toBe('[]');
    const csv = (await cli('audit', '--changes', '--output', 'csv')).out.split('\n');
    expect(csv[0]).toBe('at,who,subject,action,target,before,after,reason');
    expect((await cli('audit', '--changes', '--run', 'run-1')).code).toBe(2);
  });
});
