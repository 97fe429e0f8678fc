// Cleanup benchmark (issue 5): 1,000 flagged keys in 3 accounts (one key per user), cleaned with
// cleanup_pool_size 16 and 50 ms latency on every IAM and STS call through the fault proxy.
// Goal: wall time within 1.3x of (IAM calls x 50 ms / cleanup_pool_size).
//
// moto serves one request at a time (~5 ms each), which would cap throughput and hide what latency
// costs, so the proxy first RECORDS a real cleanup against moto (which deletes the keys), then the
// same cleanup is REPLAYED from the recording with the latency: same run id, same fixed clock, so
// every IAM request is byte-identical and answered by the proxy. Two replays:
//   stores_5ms: inventory and audit stores that take 5 ms per request, like DynamoDB round trips
//               (intent, inventory mark, resolution: 3 per key); this is the goal's figure
//   stores_0ms: the same stores without delay: the IAM pipeline alone
// The stores are the in-memory ones: moto's DynamoDB deep-copies its tables on every transaction
// and fails under concurrent transactions, so it cannot stand in for DynamoDB at this scale.
// The proxy runs in a child process (this file, forked), so its work does not share the event loop
// with the cleanup it times: the latency sits on the far side of a connection, as AWS's does.
// Run: node bench/cleanup.bench.mjs  (npm run bench runs it with the others). Last line: JSON figures.
import { fork, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const root = join(dirname(self), '..');
const isProxyChild = process.env.CLEANUP_BENCH_ROLE === 'proxy';
if (!isProxyChild) spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet'], { stdio: 'inherit' });
const require = createRequire(import.meta.url);
const dist = (path) => require(join(root, 'dist', path));

const { CreateUserCommand, CreateAccessKeyCommand } = require('@aws-sdk/client-iam');
const { AwsClients } = dist('src/aws/clients.js');
const { clientsForAccount, memberRoleArn } = dist('src/aws/accounts.js');
const { runCleanup, MemoryAuditStore } = dist('src/cleanup/index.js');
const { defaultFixWorkerConfig } = dist('src/config/fix-worker.js');
const { startEmulator } = dist('src/emulator/moto.js');
const { startFaultProxy } = dist('src/emulator/fault-proxy.js');
const { MemoryInventoryStore } = dist('src/inventory/memory-store.js');
const { InventoryGraph } = dist('src/inventory/graph.js');
const { accountNode, userNode, accessKeyNode } = dist('src/inventory/model.js');

const KEYS = Number(process.env.CLEANUP_BENCH_KEYS ?? 1000);
const ACCOUNT_IDS = ['123456789012', '111111111111', '222222222222'];
const POOL = 16;
const LATENCY_MS = 50;
const STORE_LATENCY_MS = 5;
const GOAL = 1.3;
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const NOW = new Date('2026-03-01T00:00:00.000Z');
const RUN = { workflow: 'cleanup', run_id: 'bench-cleanup' };

const phase = (text) => process.stderr.write(`[cleanup bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function pool(items, size, work) {
  let next = 0;
  await Promise.all(Array.from({ length: size }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

/** 1,000 users with one key each, spread over the accounts; returns the inventory's nodes and edges. */
async function seed(aws) {
  const accounts = [];
  for (const id of ACCOUNT_IDS) {
    const clients = id === ACCOUNT_IDS[0] ? aws : await clientsForAccount(aws, { id, name: id, role_arn: memberRoleArn(id, 'CloudSweepMemberRole') }, 'bench-seed');
    accounts.push({ id, clients });
  }
  const nodes = accounts.map((account) => accountNode({ id: account.id, name: `account-${account.id.slice(0, 3)}` }));
  const edges = [];
  const jobs = Array.from({ length: KEYS }, (_, i) => ({ i, account: accounts[i % accounts.length] }));
  await pool(jobs, 16, async ({ i, account }) => {
    const name = `user-${String(i).padStart(4, '0')}`;
    const user = await account.clients.iam.send(new CreateUserCommand({ UserName: name }));
    const key = await account.clients.iam.send(new CreateAccessKeyCommand({ UserName: name }));
    const userId = user.User.UserId;
    const keyId = key.AccessKey.AccessKeyId;
    nodes.push(
      userNode({ id: userId, name, arn: user.User.Arn, path: '/', ctime: '2024-01-01T00:00:00Z', atime: null, tags: {}, password_enabled: false, mfa_active: false }),
      flagged(accessKeyNode({ id: keyId, name: keyId, user_name: name, ctime: '2024-01-01T00:00:00Z', atime: null, access_key_status: 'Active', access_key_last_used: { last_used: null, service_name: null, region: null } })),
    );
    edges.push({ from: account.id, to: userId }, { from: userId, to: keyId });
  });
  return { nodes, edges };
}

function flagged(node) {
  node.desired.clean = true;
  node.metadata.flagged_by = 'clean_outdated_access_keys';
  node.metadata.flagged_at = '2026-02-01T00:00:00.000Z';
  return node;
}

function config() {
  const base = defaultFixWorkerConfig();
  return { ...base, fixworker: { ...base.fixworker, cleanup: true, cleanup_dry_run: false, cleanup_pool_size: POOL, max_cleanup_per_run: KEYS, max_cleanup_percent: 100 } };
}

/** Fresh stores over a copy of the inventory; every store request waits `latencyMs` first. */
function stores(inventory, latencyMs) {
  const graph = new InventoryGraph(inventory.nodes.map((node) => structuredClone(node)), inventory.edges);
  const counter = { requests: 0 };
  const slow = (target) =>
    new Proxy(target, {
      get(object, property) {
        const value = object[property];
        if (typeof value !== 'function') return value;
        return async (...args) => {
          counter.requests += 1;
          if (latencyMs > 0) await sleep(latencyMs);
          return value.apply(object, args);
        };
      },
    });
  return { store: slow(new MemoryInventoryStore(graph)), audit: slow(new MemoryAuditStore()), counter };
}

async function timedCleanup(aws, { store, audit }) {
  const deps = { aws, store, audit, clock: { now: () => NOW }, publish: async () => undefined, homeAccountId: ACCOUNT_IDS[0] };
  const started = Date.now();
  const summary = await runCleanup(deps, config(), RUN);
  const wallMs = Date.now() - started;
  if (summary.deleted !== KEYS || summary.failed !== 0) throw new Error(`cleanup incomplete: ${JSON.stringify(summary)}`);
  return { summary, wallMs };
}

function count(byOperation, prefix) {
  return Object.entries(byOperation).filter(([op]) => op.startsWith(prefix)).reduce((total, [, n]) => total + n, 0);
}

/** The fault proxy in a forked child; the same calls as the in-process one, over IPC. */
async function startProxyProcess(options) {
  const child = fork(self, [], { env: { ...process.env, CLEANUP_BENCH_ROLE: 'proxy' }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let waiting = [];
  child.on('message', (message) => waiting.shift()?.(message));
  const ask = (message) => new Promise((resolve) => { waiting.push(resolve); child.send(message); });
  const { endpoint } = await ask({ cmd: 'start', options });
  return {
    endpoint,
    setMode: (mode) => ask({ cmd: 'setMode', mode }),
    resetStats: () => ask({ cmd: 'resetStats' }),
    stats: async () => (await ask({ cmd: 'stats' })).stats,
    stop: async () => {
      await ask({ cmd: 'stop' });
      waiting = [];
      child.disconnect();
    },
  };
}

function serveProxy() {
  let proxy;
  process.on('message', async (message) => {
    if (message.cmd === 'start') {
      proxy = await startFaultProxy(message.options);
      process.send({ endpoint: proxy.endpoint });
    } else if (message.cmd === 'setMode') {
      proxy.setMode(message.mode);
      process.send({});
    } else if (message.cmd === 'resetStats') {
      proxy.resetStats();
      process.send({});
    } else if (message.cmd === 'stats') {
      process.send({ stats: proxy.stats() });
    } else if (message.cmd === 'stop') {
      await proxy.stop();
      process.send({});
    }
  });
}

async function main() {
  const emulator = await startEmulator();
  let proxy;
  try {
    const direct = new AwsClients({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
    phase(`seeding ${KEYS} users with a key`);
    const seedStarted = Date.now();
    const inventory = await seed(direct);
    const seedMs = Date.now() - seedStarted;

    proxy = await startProxyProcess({ target: emulator.endpoint, latencyMs: LATENCY_MS });
    const viaProxy = () => new AwsClients({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
    phase('recording a cleanup against moto');
    await proxy.setMode('record');
    const recorded = await timedCleanup(viaProxy(), stores(inventory, 0));

    const replay = async (storeLatencyMs) => {
      phase(`replaying with stores at ${storeLatencyMs} ms`);
      await proxy.resetStats();
      await proxy.setMode('replay');
      const replayStores = stores(inventory, storeLatencyMs);
      const run = await timedCleanup(viaProxy(), replayStores);
      return { ...run, iam: await proxy.stats(), storeRequests: replayStores.counter.requests };
    };
    const runs = { stores_5ms: await replay(STORE_LATENCY_MS), stores_0ms: await replay(0) };

    const figures = { keys: KEYS, accounts: ACCOUNT_IDS.length, pool: POOL, latency_ms: LATENCY_MS, store_latency_ms: STORE_LATENCY_MS, seed_ms: seedMs, record_run_against_moto_ms: recorded.wallMs };
    for (const [name, run] of Object.entries(runs)) {
      const iamCalls = count(run.iam.byOperation, 'iam:');
      const ideal = (iamCalls * LATENCY_MS) / POOL;
      Object.assign(figures, {
        [`${name}_wall_ms`]: run.wallMs,
        [`${name}_iam_calls`]: iamCalls,
        [`${name}_sts_calls`]: count(run.iam.byOperation, 'sts:'),
        [`${name}_store_requests`]: run.storeRequests,
        [`${name}_ideal_ms`]: Math.round(ideal),
        [`${name}_ratio`]: Number((run.wallMs / ideal).toFixed(3)),
        [`${name}_iam_max_in_flight`]: run.iam.maxInFlight,
        [`${name}_not_replayed`]: run.iam.forwarded,
      });
    }
    figures.iam_calls_by_operation = runs.stores_5ms.iam.byOperation;
    figures.goal_ratio = GOAL;
    figures.goal_met = figures.stores_5ms_ratio <= GOAL;

    console.log(`cleanup benchmark: ${KEYS} flagged keys in ${ACCOUNT_IDS.length} accounts, cleanup_pool_size ${POOL}, ${LATENCY_MS} ms per IAM/STS call`);
    for (const name of Object.keys(runs)) {
      console.log(
        `  ${name}: ${figures[`${name}_wall_ms`]} ms for ${figures[`${name}_iam_calls`]} IAM calls (+${figures[`${name}_sts_calls`]} STS), ${figures[`${name}_store_requests`]} store requests; ` +
          `ideal ${figures[`${name}_ideal_ms`]} ms; ratio ${figures[`${name}_ratio`]} (goal <= ${GOAL}); IAM in flight max ${figures[`${name}_iam_max_in_flight`]}; not replayed ${figures[`${name}_not_replayed`]}`,
      );
    }
    console.log(`  IAM calls: ${JSON.stringify(figures.iam_calls_by_operation)}`);
    console.log(`  (the recording run against moto itself took ${recorded.wallMs} ms; seeding ${seedMs} ms)`);
    if (!figures.goal_met) process.exitCode = 1;
    console.log(JSON.stringify({ bench: 'cleanup', ...figures }));
  } finally {
    await proxy?.stop();
    await emulator.stop();
  }
}

if (isProxyChild) serveProxy();
else {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
