// What the cleanup benchmarks share: the built modules, a seeded organization of flagged keys in
// moto, the configuration that lets cleanup delete them, and the fault proxy in a child process.
// Not a bench itself (run.mjs runs only *.bench.mjs).
import { fork, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
export const root = join(dirname(self), '..');
const require = createRequire(import.meta.url);
export const dist = (path) => require(join(root, 'dist', path));

/** Builds dist/ and loads what both benches drive: the clients, cleanup and the emulator. */
export function built() {
  spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet'], { stdio: 'inherit' });
  return { ...dist('src/aws/clients.js'), ...dist('src/cleanup/index.js'), ...dist('src/emulator/moto.js') };
}

/** Flagged keys to seed: CLEANUP_BENCH_KEYS, 1,000 unless set. */
export const KEYS = Number(process.env.CLEANUP_BENCH_KEYS ?? 1000);

export const ACCOUNT_IDS = ['123456789012', '111111111111', '222222222222'];
export const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export const phase = (bench, text) => process.stderr.write(`[${bench} bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);

/** `keys` users with one flagged key each, spread over the accounts; returns the inventory's nodes and edges. */
export async function seed(aws, keys) {
  const { CreateUserCommand, CreateAccessKeyCommand } = require('@aws-sdk/client-iam');
  const { clientsForAccount, memberRoleArn } = dist('src/aws/accounts.js');
  const { accountNode, userNode, accessKeyNode } = dist('src/inventory/model.js');
  const accounts = [];
  for (const id of ACCOUNT_IDS) {
    const clients = id === ACCOUNT_IDS[0] ? aws : await clientsForAccount(aws, { id, name: id, role_arn: memberRoleArn(id, 'CloudSweepMemberRole') }, 'bench-seed');
    accounts.push({ id, clients });
  }
  const nodes = accounts.map((account) => accountNode({ id: account.id, name: `account-${account.id.slice(0, 3)}` }));
  const edges = [];
  const jobs = Array.from({ length: keys }, (_, i) => ({ i, account: accounts[i % accounts.length] }));
  await dist('src/pool.js').mapPool(jobs, 16, async ({ i, account }) => {
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

/**
 * The benches' clock: a month after the keys were created (now), so the deploy-time act-time floor
 * (30 idle days by default) lets cleanup act on keys IAM shows never used.
 */
export const NOW = new Date(Date.now() + 31 * 86_400_000);

/** What runCleanup is given: these clients and stores, the default deploy-time guards, no bus. */
export function cleanupDeps(aws, { store, audit }) {
  const { DEFAULT_SAFETY_SETTINGS } = dist('src/cleanup/index.js');
  return { aws, store, audit, clock: { now: () => NOW }, publish: async () => undefined, homeAccountId: ACCOUNT_IDS[0], safety: DEFAULT_SAFETY_SETTINGS };
}

/** fix.worker with cleanup on, for real, for all `keys` keys at `pool` IAM writes in flight. */
export function cleanupConfig(keys, poolSize) {
  const { defaultFixWorkerConfig } = dist('src/config/fix-worker.js');
  const base = defaultFixWorkerConfig();
  return { ...base, fixworker: { ...base.fixworker, cleanup: true, cleanup_dry_run: false, cleanup_pool_size: poolSize, max_cleanup_per_run: keys, max_cleanup_percent: 100 } };
}

/** Fresh stores over a copy of the inventory; every store request waits `latencyMs` first. */
export function stores(inventory, latencyMs) {
  const { MemoryAuditStore, MemoryInventoryStore } = dist('test/support/memory-stores.js');
  const { InventoryGraph } = dist('src/inventory/graph.js');
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

/** Sums the requests of operations that start with `prefix` (`iam:`, `sts:`). */
export function count(byOperation, prefix) {
  return Object.entries(byOperation).filter(([op]) => op.startsWith(prefix)).reduce((total, [, n]) => total + n, 0);
}

/**
 * The fault proxy in a forked child (this file), so its work does not share the event loop with
 * the cleanup a bench times: the latency and the throttling sit on the far side of a connection.
 */
export async function startProxyProcess(options) {
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
  const { startFaultProxy } = dist('test/support/fault-proxy.js');
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

if (process.env.CLEANUP_BENCH_ROLE === 'proxy' && process.argv[1] === self) serveProxy();
