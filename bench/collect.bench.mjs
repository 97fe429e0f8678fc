// Collect benchmark (issue 3): seeds moto with 600 users across 3 accounts (40% with an access key)
// and measures, through the fault proxy:
//   1. IAM calls per account on a first collect against the floor (ListAccessKeys per user with keys
//      + the credential report's GenerateCredentialReport and GetCredentialReport + one
//      GetAccountAuthorizationDetails page; goal within 10%),
//   2. on a second collect that finds nothing new: IAM calls per account against the floor of an
//      unchanged account (the report's 2 calls + one GetAccountAuthorizationDetails page per 1,000
//      users; goal at most 1.1x: no ListAccessKeys for a user whose report columns match the stored
//      snapshot), and DynamoDB write requests (goal: at most 1 per account),
//   3. the wall time of a first and of an unchanged collect with 50 ms latency on every call (the
//      median of BENCH_REPLAYS replays of each, 5 unless set). Reported, not checked.
// Run: node bench/collect.bench.mjs  (npm run bench runs it with the others). Prints its figures.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet'], { stdio: 'inherit' });
const require = createRequire(import.meta.url);
const dist = (path) => require(join(root, 'dist', path));

const { CreateUserCommand, CreateAccessKeyCommand } = require('@aws-sdk/client-iam');
const { CreateOrganizationCommand, CreateAccountCommand } = require('@aws-sdk/client-organizations');
const { DeleteCommand } = require('@aws-sdk/lib-dynamodb');
const { AwsClients } = dist('src/aws/clients.js');
const { clientsForAccount, memberRoleArn } = dist('src/aws/accounts.js');
const { ensureResources } = dist('src/aws/provision.js');
const { collectInventory, IAM_CALLS_IN_FLIGHT_PER_ACCOUNT } = dist('src/collect/index.js');
const { mapPool } = dist('src/pool.js');
const { startEmulator } = dist('src/emulator/moto.js');
const { startFaultProxy } = dist('test/support/fault-proxy.js');
const { createInventoryStore } = dist('src/inventory/dynamo-store.js');
const { DEFAULT_RESOURCE_NAMES } = dist('src/resources.js');

const USERS = 600;
const ACCOUNTS = 3;
const KEY_SHARE = 0.4;
const LATENCY_MS = 50;
const ROLE = 'CloudSweepMemberRole';
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'];
const REPLAYS = Number(process.env.BENCH_REPLAYS) || 5;

async function seed(aws) {
  await aws.organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  const accounts = [{ id: '123456789012', aws }];
  for (let i = 1; i < ACCOUNTS; i++) {
    const created = await aws.organizations.send(new CreateAccountCommand({ AccountName: `member-${i}`, Email: `m${i}@example.com` }));
    const id = created.CreateAccountStatus.AccountId;
    accounts.push({ id, aws: await clientsForAccount(aws, { id, name: id, role_arn: memberRoleArn(id, ROLE) }, 'bench-seed') });
  }
  const perAccount = USERS / ACCOUNTS;
  const withKeys = Math.round(perAccount * KEY_SHARE);
  const jobs = accounts.flatMap((account) => Array.from({ length: perAccount }, (_, i) => ({ account, i })));
  await mapPool(jobs, 16, async ({ account, i }) => {
    const name = `user-${String(i).padStart(4, '0')}`;
    await account.aws.iam.send(new CreateUserCommand({ UserName: name, Tags: [{ Key: 'team', Value: `t${i % 7}` }] }));
    if (i < withKeys) await account.aws.iam.send(new CreateAccessKeyCommand({ UserName: name }));
  });
  return { accounts, withKeys };
}

/**
 * The fault proxy on its own thread (its own event loop), so its work does not queue behind the
 * collect's in this one: the timings then measure the collect.
 */
async function proxyInWorker(options) {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const { startFaultProxy } = require(workerData.module);
     let proxy;
     parentPort.on('message', async ({ id, op, arg }) => {
       try {
         const value = op === 'start' ? (proxy = await startFaultProxy(arg)).endpoint : await proxy[op](arg);
         parentPort.postMessage({ id, value });
       } catch (error) { parentPort.postMessage({ id, error: String(error) }); }
     });`,
    { eval: true, workerData: { module: join(root, 'dist', 'test', 'support', 'fault-proxy.js') } },
  );
  const waiting = new Map();
  let next = 0;
  worker.on('message', ({ id, value, error }) => {
    const call = waiting.get(id);
    waiting.delete(id);
    if (error) call.reject(new Error(error));
    else call.resolve(value);
  });
  const call = (op, arg) => new Promise((resolve, reject) => {
    const id = next++;
    waiting.set(id, { resolve, reject });
    worker.postMessage({ id, op, arg });
  });
  const endpoint = await call('start', options);
  return {
    endpoint,
    stats: () => call('stats'),
    setMode: (mode) => call('setMode', mode),
    resetStats: () => call('resetStats'),
    stop: async () => {
      await call('stop');
      await worker.terminate();
    },
  };
}

/** A collect's summary, with each account's result as its progress reported it. */
async function collectWithResults(deps, config, runId) {
  const results = [];
  const summary = await collectInventory(deps, config, runId, (event) => {
    if (event.type === 'account_finished') results.push(event.result);
  });
  return { ...summary, results };
}

function sum(byOperation, prefix, names) {
  return Object.entries(byOperation)
    .filter(([op]) => op.startsWith(prefix) && (!names || names.includes(op.slice(prefix.length))))
    .reduce((total, [, n]) => total + n, 0);
}

async function main() {
  const emulator = await startEmulator();
  const direct = new AwsClients({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
  const table = 'bench-collect-inventory';
  await ensureResources(direct, { ...DEFAULT_RESOURCE_NAMES, inventoryTable: table });
  const started = Date.now();
  const { accounts, withKeys } = await seed(direct);
  const seedMs = Date.now() - started;
  const config = { accounts: 'organization', member_role: ROLE, pool_size: 8 };
  const figures = {};

  // 1 + 2: counting runs, through a proxy without faults.
  const counter = await startFaultProxy({ target: emulator.endpoint });
  const counted = new AwsClients({ endpoint: counter.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
  const store = createInventoryStore(counted, table);
  const first = await collectWithResults({ aws: counted, store }, config, 'bench-1');
  if (first.failed_accounts.length > 0) throw new Error(`collect failed: ${JSON.stringify(first.results)}`);
  const firstStats = counter.stats();
  if (first.users !== USERS || first.keys !== accounts.length * withKeys) throw new Error(`incomplete inventory: ${first.users} users, ${first.keys} keys`);
  const floor = withKeys + 2 + 1;
  const iamPerAccount = first.results.map((a) => a.calls - (a.account_id === accounts[0].id ? 0 : 1)); // less the STS AssumeRole
  figures.iam_calls_per_account = iamPerAccount;
  figures.iam_floor_per_account = floor;
  figures.iam_over_floor = `${(((Math.max(...iamPerAccount) - floor) / floor) * 100).toFixed(1)}%`;
  figures.iam_requests_seen_by_proxy = sum(firstStats.byOperation, 'iam:');
  figures.first_collect_dynamodb_writes = sum(firstStats.byOperation, 'dynamodb:', WRITES);

  await counter.stop();

  // 3: a first and an unchanged collect into a table of their own, with 50 ms latency on every call
  // (IAM, STS, Organizations, DynamoDB), each recorded once and then replayed several times from the
  // recording: moto serves one request at a time (~5 ms each), which would otherwise cap the
  // throughput and hide what latency costs. A first collect's head carries a new generation each
  // time, so its head write goes on to moto (the heads are deleted before each replay).
  const timedTable = 'bench-collect-timed';
  await ensureResources(direct, { ...DEFAULT_RESOURCE_NAMES, inventoryTable: timedTable });
  const slow = await proxyInWorker({ target: emulator.endpoint, latencyMs: LATENCY_MS });
  const delayed = new AwsClients({ endpoint: slow.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
  const clock = () => new Date('2026-01-01T00:00:00Z');
  const timed = async (runId) => {
    await slow.resetStats();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const summary = await collectWithResults({ aws: delayed, store: createInventoryStore(delayed, timedTable), clock }, config, runId);
    const wallMs = Math.round(performance.now() - t0);
    if (summary.failed_accounts.length > 0) throw new Error(`collect failed: ${JSON.stringify(summary.results)}`);
    const cpu = process.cpuUsage(cpu0);
    return { summary, wallMs, cpuMs: Math.round((cpu.user + cpu.system) / 1000), stats: await slow.stats() };
  };
  const deleteHeads = async () => {
    for (const { id } of accounts) await direct.documents.send(new DeleteCommand({ TableName: timedTable, Key: { pk: `account#${id}`, sk: 'head' } }));
  };
  // One collect's wall time swings by ±20 ms with the garbage collector and the JIT: the median of
  // several replays is the figure.
  const replayed = async (before) => {
    await slow.setMode('replay');
    const runs = [];
    for (let i = 0; i < REPLAYS; i++) {
      await before();
      runs.push(await timed('bench-timed'));
    }
    return { median: [...runs].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(REPLAYS / 2)], each: runs.map((run) => run.wallMs) };
  };
  await slow.setMode('record');
  const firstAgainstMoto = await timed('bench-timed');
  const firstTimed = await replayed(deleteHeads);
  await slow.setMode('record');
  const unchanged = await timed('bench-timed');
  const unchangedTimed = await replayed(async () => undefined);
  await slow.stop();

  figures.second_collect_iam_calls_per_account = unchanged.summary.results.map((a) => a.calls - (a.account_id === accounts[0].id ? 0 : 1));
  const unchangedFloor = 2 + Math.ceil(USERS / ACCOUNTS / 1000);
  figures.unchanged_iam_floor_per_account = unchangedFloor;
  figures.second_collect_dynamodb_writes = sum(unchanged.stats.byOperation, 'dynamodb:', WRITES);
  figures.second_collect_writes_per_account = figures.second_collect_dynamodb_writes / unchanged.summary.accounts;
  const inFlight = Math.min(config.pool_size, accounts.length) * IAM_CALLS_IN_FLIGHT_PER_ACCOUNT;
  figures.iam_calls_in_flight_allowed = inFlight;
  for (const [name, run, against] of [['first', firstTimed, firstAgainstMoto], ['unchanged', unchangedTimed, unchanged]]) {
    figures[`${name}_collect_calls`] = run.median.stats.requests;
    figures[`${name}_collect_replayed`] = run.median.stats.replayed;
    figures[`${name}_collect_in_flight_max_seen`] = run.median.stats.maxInFlight;
    figures[`${name}_collect_wall_ms`] = run.median.wallMs;
    figures[`${name}_collect_wall_ms_each`] = run.each;
    figures[`${name}_collect_client_cpu_ms`] = run.median.cpuMs;
    figures[`${name}_collect_against_moto_wall_ms`] = against.wallMs;
  }
  figures.no_latency_with_moto_wall_ms = first.duration_ms;
  figures.users = unchanged.summary.users;
  figures.keys = unchanged.summary.keys;
  figures.seed_ms = seedMs;
  figures.load_average = Number(loadavg()[0].toFixed(1));

  await emulator.stop();

  console.log('collect benchmark: 600 users in 3 accounts, 40% with a key');
  console.log(`  IAM calls per account:         ${iamPerAccount.join(', ')} (floor ${floor}: ${withKeys} ListAccessKeys + 2 report + 1 details page; ${figures.iam_over_floor} over, goal <= 10%)`);
  console.log(`  ... 2nd, unchanged collect:     ${figures.second_collect_iam_calls_per_account.join(', ')} (floor ${unchangedFloor}: 2 report + 1 details page; goal <= 1.1x)`);
  console.log(`  DynamoDB writes, 1st collect:  ${figures.first_collect_dynamodb_writes}`);
  console.log(`  DynamoDB writes, 2nd collect:  ${figures.second_collect_dynamodb_writes} (${figures.second_collect_writes_per_account} per account, goal <= 1)`);
  for (const name of ['first', 'unchanged']) {
    console.log(
      `  ${name} collect at 50 ms per call: ${figures[`${name}_collect_wall_ms`]} ms for ${figures[`${name}_collect_calls`]} calls ` +
        `(median of ${REPLAYS} replays: ${figures[`${name}_collect_wall_ms_each`].join(', ')}; IAM calls in flight allowed ${inFlight}, ` +
        `max calls seen ${figures[`${name}_collect_in_flight_max_seen`]}; client CPU ${figures[`${name}_collect_client_cpu_ms`]} ms; against moto itself ${figures[`${name}_collect_against_moto_wall_ms`]} ms)`,
    );
  }
  console.log(`    (without latency, against moto: ${first.duration_ms} ms for the first collect; moto serves one request at a time; load average ${figures.load_average})`);
  // The call and write goals are exact counts and checked; wall time depends on the machine's
  // load, so it is reported, not checked.
  const missed = [];
  if (Math.max(...iamPerAccount) > floor * 1.1) missed.push('IAM calls within 10% of the floor');
  if (Math.max(...figures.second_collect_iam_calls_per_account) > unchangedFloor * 1.1) missed.push('unchanged collect within 1.1x of its floor');
  if (figures.second_collect_writes_per_account > 1) missed.push('at most 1 DynamoDB write per account on an unchanged collect');
  figures.goals_missed = missed;
  if (missed.length > 0) {
    console.log(`  MISSED: ${missed.join('; ')}`);
    process.exitCode = 1;
  }
  console.log(JSON.stringify({ bench: 'collect', ...figures }));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
