import { CreateUserCommand, GetUserCommand } from '@aws-sdk/client-iam';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { AwsClients } from '../../src/aws/clients';
import { FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { ValidationError } from '../../src/errors';

const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

describe('the fault-injecting proxy (moto behind it)', () => {
  let emulator: Emulator;
  const proxies: FaultProxy[] = [];
  const proxy = async (options: Omit<Parameters<typeof startFaultProxy>[0], 'target'>) => {
    const started = await startFaultProxy({ target: emulator.endpoint, ...options });
    proxies.push(started);
    return started;
  };
  const clients = (endpoint: string, maxAttempts?: number) =>
    new AwsClients({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, ...(maxAttempts ? { maxAttempts } : {}) });

  beforeAll(async () => {
    emulator = await startEmulator();
    await clients(emulator.endpoint).iam.send(new CreateUserCommand({ UserName: 'nancy' }));
  });
  afterAll(async () => {
    for (const started of proxies) await started.stop();
    await emulator.stop();
  });

  it('answers throttling errors the SDK recognises, in the query and the JSON protocols', async () => {
    const always = await proxy({ throttleRate: 1 });
    const once = clients(always.endpoint, 1);
    await expect(once.iam.send(new GetUserCommand({ UserName: 'nancy' }))).rejects.toMatchObject({ name: 'Throttling' });
    await expect(once.dynamodb.send(new ListTablesCommand({}))).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(always.stats()).toMatchObject({ requests: 2, throttled: 2, forwarded: 0, byOperation: { 'iam:GetUser': 1, 'dynamodb:ListTables': 1 } });
  });

  it('throttles one call at most maxThrottlesPerCall times, so SDK retries get through', async () => {
    const always = await proxy({ throttleRate: 1, maxThrottlesPerCall: 1 });
    const answer = await clients(always.endpoint).iam.send(new GetUserCommand({ UserName: 'nancy' }));
    expect(answer.User?.UserName).toBe('nancy');
    expect(always.stats()).toMatchObject({ requests: 2, throttled: 1, forwarded: 1 });
  });

  it('adds latency to each request', async () => {
    const slow = await proxy({ latencyMs: 120 });
    const started = Date.now();
    await clients(slow.endpoint).iam.send(new GetUserCommand({ UserName: 'nancy' }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(120);
    expect(slow.stats().delayed).toBe(1);
  });

  it('makes the same choices for the same seed', async () => {
    const run = async () => {
      const seeded = await proxy({ throttleRate: 0.5, seed: 42, maxThrottlesPerCall: 20 });
      const outcomes: string[] = [];
      for (let i = 0; i < 12; i++) {
        // Fresh clients each time: the SDK's adaptive rate limiter would slow down after each throttle.
        outcomes.push(await clients(seeded.endpoint, 1).iam.send(new GetUserCommand({ UserName: 'nancy' })).then(() => 'ok', (e: Error) => e.name));
      }
      return outcomes;
    };
    const first = await run();
    expect(first).toContain('Throttling');
    expect(first).toContain('ok');
    expect(await run()).toEqual(first);
  });

  it('replays recorded answers without reaching the target', async () => {
    const recorder = await proxy({});
    const aws = clients(recorder.endpoint);
    recorder.setMode('record');
    const live = await aws.iam.send(new GetUserCommand({ UserName: 'nancy' }));
    recorder.setMode('replay');
    recorder.resetStats();
    const replayed = await aws.iam.send(new GetUserCommand({ UserName: 'nancy' }));
    expect(replayed.User?.UserId).toBe(live.User?.UserId);
    expect(recorder.stats()).toMatchObject({ replayed: 1, forwarded: 0 });
  });

  it('forwards only to a loopback endpoint and refuses shares outside 0..1', async () => {
    await expect(startFaultProxy({ target: 'http://example.com:80' })).rejects.toThrow(ValidationError);
    await expect(startFaultProxy({ target: emulator.endpoint, throttleRate: 1.5 })).rejects.toThrow('throttleRate: expected a share between 0 and 1');
  });
});
