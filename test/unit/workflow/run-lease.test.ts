import { createTable } from '../../../src/aws/provision';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { AwsClients } from '../../../src/aws/clients';
import { Emulator, startEmulator } from '../../../src/emulator/moto';
import { acquireRunLease, DynamoLease, EXECUTION_LEASE_ADVICE, LeaseBusyError, LeaseHolder, releaseRunLease } from '../../../src/workflow/lease';

/** The lease as a Step Functions execution takes it (plan: acquire_lease / release_lease), on moto's DynamoDB. */
describe('the lease of a run that cannot renew it (DynamoDB in moto)', () => {
  const TABLE = 'cloudsweep-runs-lease-test';
  const start = new Date('2026-11-24T10:00:00.000Z');
  let now = start;
  let emulator: Emulator;
  let aws: AwsClients;
  let lease: DynamoLease;

  const holder = (run: string, at: Date = now): LeaseHolder => ({ holder: run, workflow: 'collect_and_cleanup', where: `step-functions:${run}`, acquired_at: at.toISOString() });
  const stored = async () => (await aws.documents.send(new GetCommand({ TableName: TABLE, Key: { pk: 'lease', sk: 'workflow' }, ConsistentRead: true }))).Item;

  beforeAll(async () => {
    emulator = await startEmulator();
    aws = new AwsClients({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await createTable(aws, TABLE);
    lease = new DynamoLease(aws, TABLE, () => now);
  });
  afterAll(() => emulator?.stop());
  beforeEach(async () => {
    now = start;
    // Whoever a test left holding it gives it up: each test starts with no lease.
    const item = await stored();
    if (item) await lease.release(String(item.holder));
  });

  it('takes a free lease for the whole run, and taking it again for the same run is no error', async () => {
    const taken = await acquireRunLease(lease, holder('run-a'), 7200);

    expect(taken).toEqual({ ...holder('run-a'), expires_at: start.getTime() / 1000 + 7200 });
    expect(await stored()).toEqual({ pk: 'lease', sk: 'workflow', ...taken });
    // A retried invocation (the first answer was lost) finds the lease its own.
    await expect(acquireRunLease(lease, holder('run-a'), 7200)).resolves.toMatchObject({ holder: 'run-a' });
  });

  it('refuses a second run with LeaseBusyError naming the holder, and leaves the lease as it was', async () => {
    await acquireRunLease(lease, holder('run-a'), 7200);

    const refusal = await acquireRunLease(lease, holder('run-b'), 7200, EXECUTION_LEASE_ADVICE).catch((error: unknown) => error);

    expect(refusal).toBeInstanceOf(LeaseBusyError);
    expect((refusal as LeaseBusyError).name).toBe('LeaseBusyError');
    expect((refusal as LeaseBusyError).heldBy).toMatchObject({ holder: 'run-a', where: 'step-functions:run-a' });
    expect((refusal as Error).message).toBe(
      'another workflow run holds the lease: run run-a (collect_and_cleanup, started 2026-11-24T10:00:00.000Z on step-functions:run-a), ' +
        `until 2026-11-24T12:00:00.000Z unless it renews. ${EXECUTION_LEASE_ADVICE}`,
    );
    expect(await stored()).toMatchObject({ holder: 'run-a' });
  });

  it('leaves the lease to its holder when another run releases it, and releases it for its holder, once', async () => {
    await acquireRunLease(lease, holder('run-a'), 7200);

    expect(await releaseRunLease(lease, 'run-b')).toEqual({ holder: 'run-b', released: false });
    expect(await stored()).toMatchObject({ holder: 'run-a' });

    expect(await releaseRunLease(lease, 'run-a')).toEqual({ holder: 'run-a', released: true });
    expect(await stored()).toBeUndefined();
    expect(await releaseRunLease(lease, 'run-a')).toEqual({ holder: 'run-a', released: false });
  });

  it('takes over a lease whose holder let it expire (a run stopped before it could release it)', async () => {
    await acquireRunLease(lease, holder('run-a'), 60);
    now = new Date(start.getTime() + 61_000);

    const taken = await acquireRunLease(lease, holder('run-b'), 7200);

    expect(taken.holder).toBe('run-b');
    expect(await stored()).toMatchObject({ holder: 'run-b', expires_at: now.getTime() / 1000 + 7200 });
    // The stopped run's release, should it come, no longer touches it.
    expect(await releaseRunLease(lease, 'run-a')).toMatchObject({ released: false });
    expect(await stored()).toMatchObject({ holder: 'run-b' });
  });

  it('tells an execution how long it waits for a busy lease', () => {
    expect(EXECUTION_LEASE_ADVICE).toMatch(/^An execution waits up to about 10 minutes for it before failing; start the workflow again/);
  });
});
