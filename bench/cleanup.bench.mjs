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
// The proxy runs in a child process (bench/cleanup-world.mjs), so its work does not share the event loop
// with the cleanup it times: the latency sits on the far side of a connection, as AWS's does.
// Run: node bench/cleanup.bench.mjs  (npm run bench runs it with the others). Last line: JSON figures.
import { ACCOUNT_IDS, built, cleanupConfig, cleanupDeps, count, CREDENTIALS, KEYS, phase as phaseOf, seed, startProxyProcess, stores } from './cleanup-world.mjs';

const { AwsClients, runCleanup, startEmulator } = built();
const POOL = 16;
const LATENCY_MS = 50;
const STORE_LATENCY_MS = 5;
const GOAL = 1.3;
const RUN = { workflow: 'cleanup', run_id: 'bench-cleanup' };

const phase = (text) => phaseOf('cleanup', text);

async function timedCleanup(aws, { store, audit }) {
  const deps = cleanupDeps(aws, { store, audit });
  const started = Date.now();
  const summary = await runCleanup(deps, cleanupConfig(KEYS, POOL), RUN);
  const wallMs = Date.now() - started;
  if (summary.deleted !== KEYS || summary.failed !== 0) throw new Error(`cleanup incomplete: ${JSON.stringify(summary)}`);
  return { summary, wallMs };
}

async function main() {
  const emulator = await startEmulator();
  let proxy;
  try {
    const direct = new AwsClients({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
    phase(`seeding ${KEYS} users with a key`);
    const seedStarted = Date.now();
    const inventory = await seed(direct, KEYS);
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

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
