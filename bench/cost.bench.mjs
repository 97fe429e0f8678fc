// Cost benchmark (issue 16): what one deployment costs a month, run hourly, for three shapes
// (20 accounts x 1,000 users, 100 x 200, 1 x 20,000; one key per user; the seed's job), at the
// list prices of bench/prices.mjs (us-east-1, no free tier).
//
// Each shape is measured by bench/cost-shape.mjs: the synthesized state machine walked on moto,
// each Task running the real Lambda handler, every AWS request metered (DynamoDB in read and
// write units), a first run to fill the inventory and then the steady hourly run that is priced.
// Seeding 20,000 users in moto takes many minutes, so each shape is run with all its accounts
// but fewer users per account, at two sizes (BENCH_COST_SCALES, default 0.05,0.25 of the users),
// and every usage figure is extended along the straight line through the two: exact for what is
// per account or per run (transitions, invocations, metrics, alarms, per-account writes), and for
// what grows with users (reads of the inventory, durations, storage) as long as it grows in
// proportion. The two sizes lie far apart because the extension multiplies any error of the
// measured durations by (full - larger) / (larger - smaller): 3.75 here, 18 at 5 % and 10 %, where
// 100 x 200 read anywhere from 2.5 to 32 GB-s a run depending on what else the machine was doing.
// BENCH_COST_SCALES=1 measures the full shapes (slow).
// Run: node bench/cost.bench.mjs  (npm run bench runs it with the others).
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HOURS_PER_MONTH, PRICES } from './prices.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const GOAL = 1.0;
const SHAPES = [
  { name: '20 x 1,000', accounts: 20, usersPerAccount: 1000 },
  { name: '100 x 200', accounts: 100, usersPerAccount: 200 },
  { name: '1 x 20,000', accounts: 1, usersPerAccount: 20000 },
];
const SCALES = (process.env.BENCH_COST_SCALES ?? '0.05,0.25').split(',').map(Number);

function measure(shape) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(here, 'cost-shape.mjs'), JSON.stringify(shape)],
      { maxBuffer: 64 * 2 ** 20, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } },
      (error, stdout, stderr) => {
        process.stderr.write(stderr);
        if (error) return reject(new Error(`shape ${JSON.stringify(shape)}: ${error.message}`));
        resolve(JSON.parse(stdout.trim().split('\n').at(-1)));
      },
    );
  });
}

/** The usage of one steady run: what the prices multiply. */
function usage(m) {
  const s = m.steady;
  const fn = Object.entries(s.byFunction);
  const requests = (prefix) => Object.entries(s.requests).filter(([op]) => op.startsWith(prefix)).reduce((n, [, c]) => n + c, 0);
  return {
    transitions: s.transitions,
    lambdaGbSeconds: fn.reduce((n, [name, f]) => n + (f.ms / 1000) * (m.facts.functions[name].memoryMb / 1024), 0),
    lambdaInvocations: fn.reduce((n, [, f]) => n + f.invocations, 0),
    runSeconds: s.wallMs / 1000,
    dynamodbReadUnits: s.dynamodbUnits.read,
    dynamodbWriteUnits: s.dynamodbUnits.write,
    logBytes: fn.reduce((n, [, f]) => n + f.logBytes, 0),
    events: s.events,
    storedBytes: m.storedBytes,
    iamCalls: requests('iam:'),
    dynamodbRequests: requests('dynamodb:'),
  };
}

/** Each figure on the line through (u1, a) and (u2, b), at u. */
function extend(a, b, u1, u2, u) {
  if (u1 === u2) return a;
  return Object.fromEntries(Object.keys(a).map((key) => [key, Math.max(0, a[key] + ((b[key] - a[key]) * (u - u1)) / (u2 - u1))]));
}

function monthly(u, facts, metricSeries) {
  const runs = HOURS_PER_MONTH;
  const p = PRICES;
  const express = facts.stateMachineType === 'EXPRESS';
  const lines = {
    'Step Functions': express
      ? runs * (p.stepFunctions.expressPerRequest + Math.ceil(u.runSeconds * 10) / 10 * p.stepFunctions.expressMemoryGb * p.stepFunctions.expressPerGbSecond)
      : runs * u.transitions * p.stepFunctions.standardPerTransition,
    'Lambda': runs * (u.lambdaGbSeconds * p.lambda.perGbSecond + u.lambdaInvocations * p.lambda.perRequest),
    'DynamoDB writes': runs * u.dynamodbWriteUnits * p.dynamodb.perWriteUnit,
    'DynamoDB reads': runs * u.dynamodbReadUnits * p.dynamodb.perReadUnit,
    'DynamoDB storage+PITR': (u.storedBytes / 1e9) * (p.dynamodb.storagePerGbMonth + p.dynamodb.pitrPerGbMonth),
    'custom metrics': metricSeries.length * p.cloudwatch.perMetricMonth,
    'alarms': facts.alarmMetrics * p.cloudwatch.perAlarmMetricMonth,
    'dashboard': facts.dashboards * p.cloudwatch.perDashboardMonth,
    'logs': runs * (u.logBytes / 1e9) * p.cloudwatch.logsPerGbIngested,
    'KMS keys': facts.kmsKeys * p.kms.perKeyMonth,
    'EventBridge+Scheduler': runs * (u.events * p.eventbridge.perEventPublished + facts.schedules * p.scheduler.perInvocation),
    'X-Ray': facts.tracing ? runs * p.xray.perTraceRecorded : 0,
  };
  const standard = runs * u.transitions * p.stepFunctions.standardPerTransition;
  const expressAlt = runs * (p.stepFunctions.expressPerRequest + (Math.ceil(u.runSeconds * 10) / 10) * p.stepFunctions.expressMemoryGb * p.stepFunctions.expressPerGbSecond);
  return { lines, total: Object.values(lines).reduce((a, b) => a + b, 0), standard, expressAlt };
}

async function main() {
  const results = [];
  for (const shape of SHAPES) {
    const points = [];
    for (const scale of SCALES) {
      const usersPerAccount = Math.max(1, Math.round(shape.usersPerAccount * scale));
      points.push({ usersPerAccount, measured: await measure({ accounts: shape.accounts, usersPerAccount }) });
    }
    const [p1, p2 = p1] = points;
    const u = extend(usage(p1.measured), usage(p2.measured), p1.usersPerAccount, p2.usersPerAccount, shape.usersPerAccount);
    const facts = p2.measured.facts;
    const metricSeries = p2.measured.steady.metricSeries;
    const cost = monthly(u, facts, metricSeries);
    results.push({ shape, points, usage: u, facts, metricSeries, cost, byFunction: p2.measured.steady.byFunction, requests: p2.measured.steady.requests });
  }

  const money = (n) => `$${n.toFixed(2)}`;
  console.log(`cost benchmark: monthly cost, hourly runs (${HOURS_PER_MONTH} a month), ${PRICES.source}, prices of ${PRICES.date}`);
  console.log(`  measured at ${SCALES.map((s) => `${s * 100}%`).join(' and ')} of the users per account, every account; figures extended linearly to the full shape`);
  const lineNames = Object.keys(results[0].cost.lines);
  console.log(`  ${'line'.padEnd(24)}${results.map((r) => r.shape.name.padStart(14)).join('')}`);
  for (const line of lineNames) console.log(`  ${line.padEnd(24)}${results.map((r) => money(r.cost.lines[line]).padStart(14)).join('')}`);
  console.log(`  ${'total'.padEnd(24)}${results.map((r) => money(r.cost.total).padStart(14)).join('')}   (goal < ${money(GOAL)})`);
  console.log('  per steady run:');
  const row = (label, f) => console.log(`    ${label.padEnd(30)}${results.map((r) => String(f(r)).padStart(14)).join('')}`);
  row('state transitions', (r) => Math.round(r.usage.transitions));
  row('Lambda invocations', (r) => Math.round(r.usage.lambdaInvocations));
  row('Lambda GB-s', (r) => r.usage.lambdaGbSeconds.toFixed(1));
  row('run wall time (s, moto)', (r) => r.usage.runSeconds.toFixed(1));
  row('DynamoDB write units', (r) => Math.round(r.usage.dynamodbWriteUnits));
  row('DynamoDB read units', (r) => Math.round(r.usage.dynamodbReadUnits));
  row('IAM calls', (r) => Math.round(r.usage.iamCalls));
  row('log KB', (r) => Math.round(r.usage.logBytes / 1024));
  row('custom metric series', (r) => r.metricSeries.length);
  row('alarm metrics', (r) => r.facts.alarmMetrics);
  row('Step Functions STANDARD $/mo', (r) => money(r.cost.standard));
  row('... if EXPRESS $/mo', (r) => money(r.cost.expressAlt));
  console.log(`  memory configured (MB): ${Object.entries(results[0].facts.functions).map(([n, f]) => `${n} ${f.memoryMb}`).join(', ')}`);
  for (const r of results) {
    const measured = r.points.at(-1);
    const first = measured.measured.firstRun.byFunction;
    console.log(`  ${r.shape.name} at ${measured.usersPerAccount} users per account, per function: ${Object.entries(measured.measured.steady.byFunction).map(([n, f]) => `${n} longest ${f.maxMs} ms, heap growth ${f.maxGrowthMb} MB (first run ${first[n]?.maxGrowthMb} MB)`).join('; ')}`);
  }
  console.log(`  prices: ${JSON.stringify(PRICES)}`);

  const missed = results.filter((r) => r.cost.total >= GOAL).map((r) => `${r.shape.name}: ${money(r.cost.total)}`);
  if (missed.length > 0) {
    console.log(`  MISSED: under ${money(GOAL)} a month (${missed.join('; ')})`);
    process.exitCode = 1;
  }
  console.log(
    JSON.stringify({
      bench: 'cost',
      prices_date: PRICES.date,
      scales: SCALES,
      shapes: results.map((r) => ({
        shape: r.shape.name,
        monthly_total: Number(r.cost.total.toFixed(2)),
        monthly_lines: Object.fromEntries(Object.entries(r.cost.lines).map(([k, v]) => [k, Number(v.toFixed(3))])),
        per_run: Object.fromEntries(Object.entries(r.usage).map(([k, v]) => [k, Number(v.toFixed(2))])),
        express_alternative: Number(r.cost.expressAlt.toFixed(3)),
        metric_series: r.metricSeries,
        measured_points: r.points.map((p) => ({ usersPerAccount: p.usersPerAccount, byFunction: p.measured.steady.byFunction, requests: p.measured.steady.requests, transitions: p.measured.steady.transitions })),
      })),
      goals_missed: missed,
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
