import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { runCleanup } from '../../src/cleanup/run';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { enabledConfig, HOME, MEMBER_A, MEMBER_B, Scenario } from './cleanup.fixture';

/** Runs the child cleanup process until it kills itself; resolves to the signal it died of. */
function runChild(settings: Record<string, unknown>): Promise<{ signal: NodeJS.Signals | null; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'cleanup-crash.child.ts')], {
      env: { ...process.env, CLEANUP_CHILD: JSON.stringify(settings), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe('cleanup killed in the middle', () => {
  let emulator: Emulator;

  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  it('is finished by the next run: every key deleted once, audited once as deleted', async () => {
    const scenario = await Scenario.create(emulator, 'crash');
    const keys: { account: string; user: string; key: string }[] = [];
    for (const account of [HOME, MEMBER_A, MEMBER_B]) {
      for (const name of ['packer-ami', 'test-max', 'db-runner', 'ci']) {
        const user = await scenario.user(account, name);
        for (let i = 0; i < 2; i += 1) keys.push({ account, user, key: await scenario.key(account, user, 200) });
      }
    }
    await scenario.collect();
    await scenario.flag(keys.map((key) => key.key));

    const killed = await runChild({ ...scenario.settings, killAfter: 8, runId: 'crash-1', poolSize: 4 });

    expect(killed).toMatchObject({ signal: 'SIGKILL' });
    const left = async () => {
      let count = 0;
      for (const { account, user, key } of keys) if (key in (await scenario.keysOf(account, user))) count += 1;
      return count;
    };
    const remaining = await left();
    expect(remaining).toBeLessThanOrEqual(keys.length - 8);
    expect(remaining).toBeGreaterThan(0);
    const pending = await scenario.audit.pendingIntents();
    expect(pending.length).toBeGreaterThanOrEqual(1);
    expect(pending.every((intent) => intent.run_id === 'crash-1' && intent.result === 'pending')).toBe(true);

    const summary = await runCleanup(scenario.deps(), enabledConfig({ cleanup_pool_size: 4 }), { workflow: 'cleanup', run_id: 'crash-2' });

    expect(await left()).toBe(0);
    expect(summary).toMatchObject({ failed: 0, already_absent: 0, reconciled: pending.length });
    expect(await scenario.audit.pendingIntents()).toEqual([]);
    const entries = await scenario.audit.query({});
    const deletedOnce = new Map<string, number>();
    for (const entry of entries) if (entry.result === 'deleted') deletedOnce.set(entry.access_key_id, (deletedOnce.get(entry.access_key_id) ?? 0) + 1);
    expect([...deletedOnce.keys()].sort()).toEqual(keys.map((key) => key.key).sort());
    expect([...deletedOnce.values()].every((count) => count === 1)).toBe(true);
    // Only the interrupted-before-the-write entries may say anything else, and they say why.
    for (const entry of entries.filter((entry) => entry.result !== 'deleted')) {
      expect(entry).toMatchObject({ run_id: 'crash-1', result: 'failed', reason: expect.stringContaining('interrupted before the delete took effect') });
    }
    const { graph } = await scenario.store.loadGraph();
    expect(keys.every(({ key }) => graph.node(key)?.metadata.cleaned === true)).toBe(true);

    const again = await runCleanup(scenario.deps(), enabledConfig(), { workflow: 'cleanup', run_id: 'crash-3' });
    expect(again).toMatchObject({ candidates: 0, reconciled: 0, deleted: 0 });
  });
});
