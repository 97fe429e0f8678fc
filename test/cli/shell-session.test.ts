import { RuntimeCache, Runtime } from '../../cli/runtime';
import { ensureResources } from '../../src/aws/provision';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { DEFAULT_RESOURCE_NAMES } from '../../src/resources';
import { emulatorClients, emulatorEnv, spawnCloudsweep } from '../support/aws';

describe('a cloudsweep shell session', () => {
  let emulator: Emulator;
  let proxy: FaultProxy;

  beforeAll(async () => {
    emulator = await startEmulator();
    await ensureResources(emulatorClients(emulator), DEFAULT_RESOURCE_NAMES);
    proxy = await startFaultProxy({ target: emulator.endpoint });
  });
  afterAll(async () => {
    await proxy.stop();
    await emulator.stop();
  });

  it('looks the stack up once for all its lines, where separate commands look it up each time', async () => {
    const env = { ...process.env, ...emulatorEnv(emulator), AWS_ENDPOINT_URL: proxy.endpoint, CLOUDSWEEP_HISTORY: '', NO_COLOR: '1' };
    const lines = ['config get fix.worker fixworker.cleanup', 'jobs list', 'config get fix.worker fixworker.cleanup_pool_size'];
    const session = await spawnCloudsweep(['shell'], env, `${lines.join('\n')}\n`);
    // moto loads its CloudFormation backend on the first call, which may take long enough for the notice.
    expect(session.code).toBe(0);
    expect(session.stderr.replace(/^waiting for the endpoint .* to answer \(CloudFormation DescribeStacks\) \.\.\.\n/, '')).toBe('');
    expect(session.stdout).toMatch(/^false\n[\s\S]*\n16\n$/);
    expect(proxy.stats().byOperation['cloudformation:DescribeStacks']).toBe(1);

    proxy.resetStats();
    for (const line of lines) expect((await spawnCloudsweep(line.split(' '), env)).code).toBe(0);
    expect(proxy.stats().byOperation['cloudformation:DescribeStacks']).toBe(3);
  });
});

describe('RuntimeCache', () => {
  const runtime = (name: string) => ({ names: { ...DEFAULT_RESOURCE_NAMES, configTable: name } }) as Runtime;

  it('answers from what it resolved for the same place until the time to live has passed', async () => {
    let now = 0;
    const cache = new RuntimeCache(60_000, () => now);
    let lookups = 0;
    const resolve = async () => runtime(`config-${++lookups}`);
    expect((await cache.get('here', resolve)).names.configTable).toBe('config-1');
    now = 59_999;
    expect((await cache.get('here', resolve)).names.configTable).toBe('config-1');
    expect((await cache.get('elsewhere', resolve)).names.configTable).toBe('config-2');
    now = 60_000;
    expect((await cache.get('here', resolve)).names.configTable).toBe('config-3');
  });

  it('does not keep a lookup that failed', async () => {
    const cache = new RuntimeCache();
    await expect(cache.get('here', () => Promise.reject(new Error('no credentials')))).rejects.toThrow('no credentials');
    expect((await cache.get('here', async () => runtime('config'))).names.configTable).toBe('config');
  });
});
