// Cleanup under throttling (issue 21): 1,000 flagged keys in 3 accounts, cleaned against moto
// through the fault proxy answering 30 % of IAM requests with Throttling (seeded, so every run
// draws the same faults). Figures: wall time, IAM attempts per key (retries included), and the
// cleanup invocations it took: each invocation gets a budget (a Lambda's 15 minutes by default,
// CLEANUP_BENCH_INVOCATION_MS to shrink it) and the bench invokes cleanup again, as the state
// machine does, while it reports keys left. A cleanup that cannot stop itself (before issue 21)
// is cut off at CLEANUP_BENCH_CAP_MS (the same 15 minutes: where Lambda would kill it), and the
// keys it finished by then are reported.
// The stores are the in-memory ones (see cleanup.bench.mjs for why): this measures IAM.
// Run: node bench/cleanup-throttled.bench.mjs  (npm run bench runs it with the others). Last line: JSON figures.
import { ACCOUNT_IDS, built, cleanupConfig, cleanupDeps, count, CREDENTIALS, KEYS, phase as phaseOf, seed, startProxyProcess, stores } from './cleanup-world.mjs';

const { AwsClients, runCleanup, startEmulator } = built();
const POOL = 16;
const THROTTLE_RATE = 0.3;
const INVOCATION_MS = Number(process.env.CLEANUP_BENCH_INVOCATION_MS ?? 900_000);
const CAP_MS = Number(process.env.CLEANUP_BENCH_CAP_MS ?? 900_000);
const MAX_INVOCATIONS = 50;

const phase = (text) => phaseOf('cleanup-throttled', text);

async function main() {
  const emulator = await startEmulator();
  let proxy;
  try {
    const direct = new AwsClients({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
    phase(`seeding ${KEYS} users with a key`);
    const inventory = await seed(direct, KEYS);
    proxy = await startProxyProcess({ target: emulator.endpoint, throttleRate: THROTTLE_RATE, seed: 21 });
    const aws = new AwsClients({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
    const { store, audit } = stores(inventory, 0);
    let done = 0;
    let summary;
    const invocations = [];
    const started = Date.now();
    let cutOff = false;

    while (invocations.length < MAX_INVOCATIONS) {
      const invocationStarted = Date.now();
      const deps = { ...cleanupDeps(aws, { store, audit }), remainingMs: () => invocationStarted + INVOCATION_MS - Date.now() };
      phase(`invocation ${invocations.length + 1}`);
      // One run: each invocation gets the summary so far, as the state machine passes it.
      const progress = () => {
        done += 1;
        if (done % 100 === 0) phase(`${done} keys done`);
      };
      const run = runCleanup(deps, cleanupConfig(KEYS, POOL), { workflow: 'cleanup', run_id: 'bench-throttled' }, progress, summary);
      const answer = await Promise.race([run, new Promise((resolve) => setTimeout(() => resolve(undefined), Math.max(0, started + CAP_MS - Date.now())).unref())]);
      if (answer === undefined) {
        cutOff = true;
        invocations.push({ wall_ms: Date.now() - invocationStarted, cut_off: true });
        break;
      }
      const before = summary?.deleted ?? 0;
      summary = answer;
      invocations.push({ wall_ms: Date.now() - invocationStarted, deleted: summary.deleted - before, remaining: summary.remaining ?? 0 });
      if (!(summary.remaining > 0)) break;
    }

    const stats = await proxy.stats();
    const iamAttempts = count(stats.byOperation, 'iam:');
    const figures = {
      keys: KEYS,
      accounts: ACCOUNT_IDS.length,
      pool: POOL,
      throttle_rate: THROTTLE_RATE,
      invocation_budget_ms: INVOCATION_MS,
      wall_ms: Date.now() - started,
      finished: !cutOff && done === KEYS,
      keys_done: done,
      deleted: summary?.deleted ?? 0,
      already_absent: summary?.already_absent ?? 0,
      failed: summary?.failed ?? 0,
      invocations: invocations.length,
      iam_attempts: iamAttempts,
      iam_attempts_per_key_done: Number((iamAttempts / Math.max(1, done)).toFixed(2)),
      iam_throttled: stats.throttled,
      sts_calls: count(stats.byOperation, 'sts:'),
      per_invocation: invocations,
    };
    console.log(`cleanup under throttling: ${KEYS} flagged keys in ${ACCOUNT_IDS.length} accounts, cleanup_pool_size ${POOL}, ${THROTTLE_RATE * 100} % of IAM requests throttled`);
    console.log(
      `  ${cutOff ? `CUT OFF after ${CAP_MS} ms` : 'finished'}: ${done} keys done in ${figures.wall_ms} ms over ${invocations.length} invocation(s) ` +
        `(budget ${INVOCATION_MS} ms each); ${iamAttempts} IAM attempts (${figures.iam_attempts_per_key_done} per key done, ${stats.throttled} throttled), ${figures.sts_calls} STS calls`,
    );
    if (!figures.finished) process.exitCode = 1;
    console.log(JSON.stringify({ bench: 'cleanup-throttled', ...figures }));
  } finally {
    await proxy?.stop();
    await emulator.stop();
  }
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  // A cleanup cut off at the cap is still running: end it with the process.
  .finally(() => setTimeout(() => process.exit(), 100).unref());
