// One shape of the cost benchmark (run by bench/cost.bench.mjs under `node --import tsx`, which
// passes the shape as JSON in argv[2] and reads the JSON this prints last).
//
// It synthesizes the stack, seeds moto with the shape's accounts, users and keys, and the seed's
// job, then runs the workflow the way the deployed stack does: the synthesized state machine
// definition is walked state by state and each Task invokes the real Lambda handler (lambdas/*/
// index.ts, with the environment the template gives it) or puts the event on the bus, all through
// a meter in front of moto. The first run fills the inventory; then, nothing having changed, the
// steady hourly run is measured (the quickest of BENCH_COST_REPEATS runs, default 3): states
// entered (billed transitions), each invocation's duration and its log and metric output, and
// every AWS request (DynamoDB in units).
import { CreateAccessKeyCommand, CreateUserCommand } from '@aws-sdk/client-iam';
import { CreateAccountCommand, CreateOrganizationCommand } from '@aws-sdk/client-organizations';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { itemSize, startMeter } from './cost-proxy.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const shape = JSON.parse(process.argv[2] ?? '{"accounts":2,"usersPerAccount":10}');
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const ROLE = 'CloudSweepMemberRole';
const STEADY_REPEATS = Number(process.env.BENCH_COST_REPEATS ?? 3);

const load = async (path) => import(pathToFileURL(join(root, path)).href);
const { synthApp, resolveIntrinsics, logicalId } = await load('test/infra/support/synth.ts');
const { AwsClients } = await load('src/aws/clients.ts');
const { clientsForAccount, memberRoleArn } = await load('src/aws/accounts.ts');
const { ensureResources } = await load('src/aws/provision.ts');
const { startEmulator } = await load('src/emulator/moto.ts');
const { RESOURCE_BINDINGS } = await load('src/resources.ts');

// Names for the stack's resources, as the template's Refs resolve.
const NAMES = {
  inventoryTable: 'bench-inventory',
  configTable: 'bench-config',
  jobsTable: 'bench-jobs',
  auditTable: 'bench-audit',
  runsTable: 'bench-runs',
  eventBus: 'bench-bus',
};

/** What the template declares that costs money, and the state machine with real ARNs. */
function synthesize() {
  const context = shape.context ?? {};
  const { central, centralTemplate } = synthApp(context);
  const template = centralTemplate.toJSON();
  const refs = { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': '123456789012', 'AWS::URLSuffix': 'amazonaws.com' };
  const tables = central.tables;
  for (const [role, table] of Object.entries({ inventoryTable: tables.inventory, configTable: tables.config, jobsTable: tables.jobs, auditTable: tables.audit, runsTable: tables.runs })) {
    refs[logicalId(table)] = NAMES[role];
  }
  refs[logicalId(central.eventBus)] = NAMES.eventBus;
  const attributes = { [`${logicalId(central.eventBus)}.Arn`]: `arn:aws:events:${REGION}:123456789012:event-bus/${NAMES.eventBus}`, [`${logicalId(central.eventBus)}.Name`]: NAMES.eventBus };
  const functions = {};
  for (const name of ['collect', 'plan', 'cleanup']) {
    const fn = central.functions[name].function;
    const id = logicalId(fn);
    attributes[`${id}.Arn`] = `arn:aws:lambda:${REGION}:123456789012:function:${name}`;
    refs[id] = name;
    const props = template.Resources[id].Properties;
    functions[name] = { memoryMb: props.MemorySize, timeoutS: props.Timeout, env: props.Environment?.Variables ?? {} };
  }
  const machine = central.workflow.stateMachine.node.defaultChild;
  const definition = JSON.parse(String(resolveIntrinsics(central.resolve(machine.definitionString), refs, attributes)));
  const resolveEnv = (env) =>
    Object.fromEntries(
      Object.entries(env).flatMap(([key, value]) => {
        try {
          return [[key, String(resolveIntrinsics(value, refs, attributes))]];
        } catch {
          return []; // an ARN of something the bench does not run (the state machine's own)
        }
      }),
    );
  for (const fn of Object.values(functions)) fn.env = resolveEnv(fn.env);

  const resources = Object.values(template.Resources);
  const ofType = (type) => resources.filter((r) => r.Type === type);
  const alarmMetrics = ofType('AWS::CloudWatch::Alarm').map((alarm) => (alarm.Properties.Metrics ? alarm.Properties.Metrics.filter((m) => m.MetricStat).length : 1));
  const machineProps = template.Resources[logicalId(central.workflow.stateMachine)].Properties;
  return {
    definition,
    functions,
    stateMachineType: machineProps.StateMachineType ?? 'STANDARD',
    tracing: Boolean(machineProps.TracingConfiguration?.Enabled),
    alarms: alarmMetrics.length,
    alarmMetrics: alarmMetrics.reduce((a, b) => a + b, 0),
    dashboards: ofType('AWS::CloudWatch::Dashboard').length,
    kmsKeys: ofType('AWS::KMS::Key').length,
    schedules: ofType('AWS::Scheduler::Schedule').length,
    lambdaTracing: ofType('AWS::Lambda::Function').some((f) => f.Properties.TracingConfig?.Mode === 'Active'),
  };
}

async function seed(aws) {
  await aws.organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  const accounts = [{ id: '123456789012', aws }];
  for (let i = 1; i < shape.accounts; i++) {
    const created = await aws.organizations.send(new CreateAccountCommand({ AccountName: `member-${i}`, Email: `m${i}@example.com` }));
    const id = created.CreateAccountStatus.AccountId;
    accounts.push({ id, aws: await clientsForAccount(aws, { id, name: id, role_arn: memberRoleArn(id, ROLE) }, 'bench-seed') });
  }
  const jobs = accounts.flatMap((account) => Array.from({ length: shape.usersPerAccount }, (_, i) => ({ account, i })));
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < jobs.length) {
        const { account, i } = jobs[next++];
        const name = `user-${String(i).padStart(5, '0')}`;
        await account.aws.iam.send(new CreateUserCommand({ UserName: name, Tags: [{ Key: 'team', Value: `t${i % 7}` }] }));
        await account.aws.iam.send(new CreateAccessKeyCommand({ UserName: name }));
      }
    }),
  );
}

/** The CLI, for what an operator sets up once: the seed's config and job (async: the meter runs in this process). */
function cli(env, args) {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [join(root, 'bin', 'cloudsweep.js'), ...args], { env }, (error, _stdout, stderr) =>
      error ? reject(new Error(`cloudsweep ${args.join(' ')}: ${stderr}`)) : resolve(),
    ),
  );
}

// --- the state machine, walked -------------------------------------------------------------

function readPath(data, path, context) {
  if (path === '$') return data;
  const [base, rest] = path.startsWith('$$.') ? [context, path.slice(3)] : [data, path.slice(2)];
  return rest.split('.').reduce((value, key) => (value === undefined || value === null ? undefined : value[key]), base);
}

function writePath(data, path, value) {
  if (path === null) return data;
  if (path === undefined || path === '$') return value;
  const copy = structuredClone(data);
  const keys = path.slice(2).split('.');
  let at = copy;
  for (const key of keys.slice(0, -1)) at = at[key] ??= {};
  at[keys.at(-1)] = value;
  return copy;
}

function fill(template, data, context) {
  if (Array.isArray(template)) return template.map((t) => fill(t, data, context));
  if (template === null || typeof template !== 'object') return template;
  const out = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$')) out[key.slice(0, -2)] = readPath(data, value, context);
    else out[key] = fill(value, data, context);
  }
  return out;
}

function holds(rule, data, context) {
  if (rule.And) return rule.And.every((r) => holds(r, data, context));
  if (rule.Or) return rule.Or.some((r) => holds(r, data, context));
  if (rule.Not) return !holds(rule.Not, data, context);
  const value = readPath(data, rule.Variable, context);
  if ('IsPresent' in rule) return (value !== undefined) === rule.IsPresent;
  if ('StringEquals' in rule) return value === rule.StringEquals;
  if ('BooleanEquals' in rule) return value === rule.BooleanEquals;
  if ('NumericEquals' in rule) return typeof value === 'number' && value === rule.NumericEquals;
  if ('NumericGreaterThan' in rule) return typeof value === 'number' && value > rule.NumericGreaterThan;
  if ('NumericLessThan' in rule) return typeof value === 'number' && value < rule.NumericLessThan;
  throw new Error(`the bench's walker does not know the choice rule ${JSON.stringify(rule)}`);
}

/**
 * Runs a state machine (or a Map's item processor) to its end. Every state entered is one billed
 * transition; a Task's error fails the bench (a steady run takes no catch path).
 */
async function walk(machine, input, context, ctx) {
  let name = machine.StartAt;
  let data = input;
  for (;;) {
    const state = machine.States[name];
    ctx.transitions += 1;
    ctx.states.push(name);
    switch (state.Type) {
      case 'Pass': {
        const result = state.Parameters ? fill(state.Parameters, data, context) : state.Result !== undefined ? state.Result : data;
        data = writePath(data, state.ResultPath, result);
        break;
      }
      case 'Task': {
        const effective = state.Parameters ? fill(state.Parameters, data, context) : data;
        const result = await ctx.task(state.Resource, effective, name);
        data = writePath(data, state.ResultPath, state.ResultSelector ? fill(state.ResultSelector, result, context) : result);
        break;
      }
      case 'Choice': {
        const choice = state.Choices.find((rule) => holds(rule, data, context));
        name = choice ? choice.Next : state.Default;
        continue;
      }
      case 'Map': {
        const items = readPath(data, state.ItemsPath ?? '$', context);
        const processor = state.ItemProcessor ?? state.Iterator;
        for (let index = 0; index < items.length; index++) {
          const mapContext = { ...context, Map: { Item: { Index: index, Value: items[index] } } };
          const itemInput = state.ItemSelector ? fill(state.ItemSelector, data, mapContext) : items[index];
          await walk(processor, itemInput, mapContext, ctx);
        }
        data = writePath(data, state.ResultPath, null);
        break;
      }
      case 'Succeed':
        return data;
      case 'Fail':
        throw new Error(`the run failed at ${name}: ${JSON.stringify(data.error ?? state)}`);
      default:
        throw new Error(`the bench's walker does not know state type ${state.Type}`);
    }
    if (state.End) return data;
    name = state.Next;
  }
}

// --- a Lambda invocation, measured ---------------------------------------------------------

const PLATFORM_LOG_BYTES = 350; // START, END and REPORT lines Lambda writes per invocation

/** What Lambda passes a handler: the logger puts its request id, ARN and cold start on every line, which the log bytes count. */
function lambdaContext(name, { memoryMb, timeoutS }) {
  const deadline = Date.now() + timeoutS * 1000;
  const arn = `arn:aws:lambda:${REGION}:123456789012:function:CloudSweep-${name}Function0123456789AB`;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: arn.split(':').at(-1),
    functionVersion: '$LATEST',
    invokedFunctionArn: arn,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${arn.split(':').at(-1)}`,
    logStreamName: '2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}

async function invokeMeasured(handler, payload, context, record) {
  let logBytes = 0;
  const emf = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk, ...rest) => {
    const text = String(chunk);
    logBytes += Buffer.byteLength(text);
    for (const line of text.split('\n')) if (line.includes('"_aws"')) emf.push(JSON.parse(line));
    const callback = rest.find((r) => typeof r === 'function');
    if (callback) callback();
    return true;
  };
  // The process also holds the synthesized app and the other handlers: what the invocation adds
  // to the heap (and to buffers outside it) is its own working set.
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  const before = used();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, used())), 5);
  const started = performance.now();
  try {
    return await handler(payload, context);
  } finally {
    const ms = performance.now() - started;
    clearInterval(sampler);
    process.stdout.write = write;
    record({ ms, logBytes: logBytes + PLATFORM_LOG_BYTES, emf, growthMb: (Math.max(peak, used()) - before) / 2 ** 20 });
  }
}

function metricSeries(emfDocuments) {
  const series = new Set();
  for (const doc of emfDocuments) {
    for (const directive of doc._aws.CloudWatchMetrics) {
      for (const dimensions of directive.Dimensions) {
        const dims = dimensions.map((d) => `${d}=${doc[d]}`).join(',');
        for (const metric of directive.Metrics) series.add(`${directive.Namespace}/${metric.Name}{${dims}}`);
      }
    }
  }
  return [...series];
}

/** Each function's invocations in one run: their count, time, log output and largest heap growth. */
function perFunction(invocations) {
  const byFunction = {};
  for (const inv of invocations) {
    const f = (byFunction[inv.fn] ??= { invocations: 0, ms: 0, maxMs: 0, logBytes: 0, maxGrowthMb: 0 });
    f.invocations += 1;
    f.ms += Math.ceil(inv.ms);
    f.maxMs = Math.max(f.maxMs, Math.ceil(inv.ms));
    f.logBytes += inv.logBytes;
    f.maxGrowthMb = Math.max(f.maxGrowthMb, Math.round(inv.growthMb));
  }
  return byFunction;
}

/** The handlers' time in one run, all functions together. */
function lambdaMs(run) {
  return run.invocations.reduce((total, invocation) => total + invocation.ms, 0);
}

async function main() {
  const facts = synthesize();
  const emulator = await startEmulator();
  const meter = await startMeter(emulator.endpoint);
  const direct = new AwsClients({ endpoint: emulator.endpoint, region: REGION, credentials: CREDENTIALS });
  await ensureResources(direct, NAMES);
  const seedStarted = Date.now();
  await seed(direct);
  const seedMs = Date.now() - seedStarted;
  const progress = (line) => process.stderr.write(`  [${shape.accounts} x ${shape.usersPerAccount}] ${line}\n`);
  progress(`seeded in ${seedMs} ms`);

  const awsEnv = { AWS_ENDPOINT_URL: meter.endpoint, AWS_REGION: REGION, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  const cliEnv = { ...process.env, ...awsEnv, ...Object.fromEntries(Object.entries(NAMES).map(([role, name]) => [RESOURCE_BINDINGS[role].env, name])) };
  await cli(cliEnv, ['config', 'set', 'fix.worker', 'collector.accounts=organization', 'fixworker.cleanup=true']);
  await cli(cliEnv, ['jobs', 'add', '--id', 'clean_outdated_access_keys', '--wait-for-event', 'post_collect', 'search is(access_key) and last_access > 90days and /ancestors.user.reported.name not in [jenkins, ci] | clean']);

  // Each handler module builds its clients at load, from the environment the template gives it.
  Object.assign(process.env, awsEnv);
  const handlers = {};
  for (const [name, fn] of Object.entries(facts.functions)) {
    const saved = { ...process.env };
    Object.assign(process.env, fn.env);
    handlers[name] = (await load(`lambdas/${name}/index.ts`)).handler;
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
  const bus = new AwsClients({ endpoint: meter.endpoint, region: REGION, credentials: CREDENTIALS }).eventbridge;

  const run = async (executionName) => {
    const ctx = { transitions: 0, states: [], invocations: [], events: 0 };
    ctx.task = async (resource, payload, stateName) => {
      if (resource === 'arn:aws:states:::events:putEvents') {
        const entries = payload.Entries.map((e) => ({ ...e, Detail: JSON.stringify(e.Detail) }));
        ctx.events += entries.length;
        await bus.send(new PutEventsCommand({ Entries: entries }));
        return {};
      }
      const fn = /function:(\w+)$/.exec(resource)?.[1];
      if (!fn || !handlers[fn]) throw new Error(`state ${stateName}: unknown resource ${resource}`);
      return invokeMeasured(handlers[fn], payload, lambdaContext(fn, facts.functions[fn]), (measured) => ctx.invocations.push({ fn, state: stateName, payloadBytes: Buffer.byteLength(JSON.stringify(payload)), ...measured }));
    };
    const started = Date.now();
    const output = await walk(facts.definition, { workflow: 'collect_and_cleanup' }, { Execution: { Name: executionName, Id: executionName } }, ctx);
    return { ...ctx, output, wallMs: Date.now() - started };
  };

  const first = await run('bench-first');
  progress(`first run: ${first.wallMs} ms`);
  // The steady run is repeated and the quickest kept: its requests are the same each time, and its
  // durations only grow with whatever else the machine is doing, which the extension to the full
  // shape would multiply.
  let steady;
  let metered;
  for (let repeat = 1; repeat <= STEADY_REPEATS; repeat++) {
    meter.reset();
    const measured = await run(`bench-steady-${repeat}`);
    progress(`steady run ${repeat}: ${measured.wallMs} ms, Lambda ${Math.round(lambdaMs(measured))} ms`);
    if (!steady || lambdaMs(measured) < lambdaMs(steady)) {
      steady = measured;
      metered = meter.snapshot();
    }
  }

  // What the tables hold after the steady run: storage is billed per GB-month.
  let storedBytes = 0;
  for (const table of Object.values(NAMES).filter((n) => n !== NAMES.eventBus)) {
    let start;
    do {
      const page = await direct.dynamodb.send(new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start } : {}) }));
      for (const item of page.Items ?? []) storedBytes += itemSize(item) + 100; // + DynamoDB's per-item overhead
      start = page.LastEvaluatedKey;
    } while (start);
  }
  await meter.stop();
  await emulator.stop();

  console.log(
    JSON.stringify({
      shape,
      facts: { ...facts, definition: undefined, functions: Object.fromEntries(Object.entries(facts.functions).map(([n, f]) => [n, { memoryMb: f.memoryMb, timeoutS: f.timeoutS }])) },
      seedMs,
      firstRun: { transitions: first.transitions, wallMs: first.wallMs, summaries: first.output.summaries, byFunction: perFunction(first.invocations) },
      steady: {
        transitions: steady.transitions,
        statesVisited: steady.states,
        events: steady.events,
        wallMs: steady.wallMs,
        summaries: steady.output.summaries,
        byFunction: perFunction(steady.invocations),
        metricSeries: metricSeries(steady.invocations.flatMap((inv) => inv.emf)),
        largestPayloadBytes: Math.max(...steady.invocations.map((inv) => inv.payloadBytes)),
        requests: metered.counts,
        dynamodbUnits: metered.units,
      },
      storedBytes,
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
