import { ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentAbortSignal } from '../src/aws/abort';
import { clientsForAccount } from '../src/aws/accounts';
import { AwsClients } from '../src/aws/clients';
import { DemoOrganization, keysCleanupDeletes, seedDemoOrganization } from '../src/demo/organization';
import { PLAYGROUND_STEPS, WALKTHROUGH, WalkthroughStep } from '../src/demo/walkthrough';
import { SEED_COMMANDS } from '../src/demo/seed-commands';
import { RuntimeError } from '../src/errors';
import { Emulator, startEmulator } from '../src/emulator/moto';
import type { CliContext } from './context';
import { formatTable, paint, progress } from './output';
import { lineToArgv, OptionTakesValue } from './shell-words';

export interface DemoOptions {
  context: CliContext;
  steps?: readonly WalkthroughStep[];
  clock?: () => Date;
  start?: typeof startEmulator;
  /** Leave a playground: set up, print the environment to use it from another terminal, wait for Ctrl-C or `demo --stop`. */
  keep?: boolean;
}

const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const REGION = 'us-east-1';
/**
 * The organization's ages are planned against a reference a few minutes ahead of the clock, so the
 * key planned exactly on the 90-day boundary stays on the unflagged side while the walkthrough runs.
 */
const REFERENCE_AHEAD_MS = 5 * 60_000;

/** Runs the demo; resolves to its exit code (0 when every step and the final check passed). */
export async function runDemo(options: DemoOptions): Promise<number> {
  const { context } = options;
  const clock = options.clock ?? (() => new Date());
  const started = Date.now();
  context.out(paint(context, 'bold', 'cloudsweep demo: the seed document, step by step, on an embedded AWS emulator'));
  const status = progress(context);
  status.update('starting the AWS emulator (moto) ...');
  const emulator = await (options.start ?? startEmulator)({ log: (line) => context.err(line) });
  const stopOnSignal = () => {
    void emulator.stop().finally(() => process.exit(130));
  };
  // In the shell Ctrl-C aborts the demo's AWS calls and the shell stays open: only SIGTERM ends the process.
  if (currentAbortSignal() === undefined) process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    status.update('creating the demo organization ...');
    const aws = new AwsClients({ endpoint: emulator.endpoint, region: REGION, credentials: CREDENTIALS });
    const organization = await seedDemoOrganization(aws, emulator, new Date(clock().getTime() + REFERENCE_AHEAD_MS));
    status.done(`AWS emulator listening on ${emulator.endpoint}`);
    describeOrganization(context, organization);
    if (options.keep) {
      process.removeListener('SIGINT', stopOnSignal);
      process.removeListener('SIGTERM', stopOnSignal);
      return await keepPlayground(demoContext(context, emulator), emulator);
    }

    const code = await walkThrough(options.steps ?? WALKTHROUGH, demoContext(context, emulator));
    if (code !== 0) return code;
    if (options.steps === undefined && !(await checkCleanup(context, aws, organization))) return 1;
    context.out('');
    context.out(paint(context, 'green', `demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s`));
    return 0;
  } catch (error) {
    context.err(`error: demo: ${(error as Error).message}`);
    return 1;
  } finally {
    process.removeListener('SIGINT', stopOnSignal);
    process.removeListener('SIGTERM', stopOnSignal);
    await emulator.stop();
  }
}

/** Where a running playground says where it is, for `demo --stop` (one per machine user's temp dir). */
export function playgroundFile(): string {
  return join(tmpdir(), 'cloudsweep-playground.json');
}

/**
 * `demo --keep`: the first steps of the walkthrough (tables, organization, a collect), then the
 * environment to export in another terminal, where every command of the guide works as typed;
 * runs until Ctrl-C, SIGTERM or `cloudsweep demo --stop`.
 */
async function keepPlayground(context: CliContext, emulator: Emulator): Promise<number> {
  const code = await walkThrough(PLAYGROUND_STEPS, context);
  if (code !== 0) return code;
  const env = context.env;
  const exports = ['AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'].map((name) => `${name}=${env[name] ?? ''}`);
  context.out('');
  context.out(paint(context, 'green', 'The playground is ready: the demo organization, collected, in the emulator. In another terminal:'));
  context.out(`  export ${exports.join(' ')}`);
  context.out(`  npx cloudsweep search '${SEED_COMMANDS.countUnusedByUser.replace(/^search /, '')}'`);
  context.out('  npx cloudsweep shell            # every command of the guide, as written');
  context.out('Stop it with Ctrl-C here, or from anywhere: npx cloudsweep demo --stop');
  const file = playgroundFile();
  writeFileSync(file, `${JSON.stringify({ pid: process.pid, endpoint: emulator.endpoint })}\n`);
  // In the shell Ctrl-C aborts this command: the playground stops and the shell stays.
  const aborted = currentAbortSignal();
  await new Promise<void>((resolve) => {
    const stop = () => {
      aborted?.removeEventListener('abort', stop);
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      resolve();
    };
    if (aborted) aborted.addEventListener('abort', stop);
    else process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  rmSync(file, { force: true });
  context.out('Playground stopped.');
  return 0;
}

/** `demo --stop`: ends the playground `demo --keep` left running; resolves to a message. */
export async function stopPlayground(): Promise<string> {
  const file = playgroundFile();
  let running: { pid: number; endpoint: string };
  try {
    running = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; endpoint: string };
  } catch {
    throw new RuntimeError('no playground is running (cloudsweep demo --keep starts one)');
  }
  const alive = () => {
    try {
      process.kill(running.pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) {
    rmSync(file, { force: true });
    throw new RuntimeError(`no playground is running: the one at ${running.endpoint} (process ${running.pid}) has ended`);
  }
  process.kill(running.pid, 'SIGTERM');
  for (let waited = 0; alive() && waited < 15_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
  if (alive()) throw new RuntimeError(`the playground (process ${running.pid}) did not stop within 15 s`);
  return `Stopped the playground (emulator at ${running.endpoint}).`;
}

/** Runs each step as typed at the shell prompt; stops at the first failing one. */
async function walkThrough(steps: readonly WalkthroughStep[], context: CliContext): Promise<number> {
  const { buildProgram, run } = await import('./main');
  const { optionTakesValue } = await import('./shell');
  const takesValue: OptionTakesValue = optionTakesValue(buildProgram({ ...context, out: () => undefined, err: () => undefined }));
  for (const [index, step] of steps.entries()) {
    context.out('');
    context.out(paint(context, 'dim', `# ${index + 1}/${steps.length}  ${step.narration}`));
    context.out(paint(context, 'bold', `> ${step.command}`));
    const code = await run(lineToArgv(step.command, takesValue).argv, context);
    if (code !== 0) {
      context.err(`error: demo step ${index + 1} failed (exit ${code}): ${step.command}`);
      return code;
    }
  }
  return 0;
}

/** The environment the walkthrough's commands see: the emulator, fake credentials, default names. */
function demoContext(context: CliContext, emulator: Emulator): CliContext {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(context.env)) {
    // A user's own profile, session or resource names must not leak into the demo.
    if (/^AWS_/.test(key) || (/^CLOUDSWEEP_/.test(key) && key !== 'CLOUDSWEEP_DEBUG')) continue;
    env[key] = value;
  }
  Object.assign(env, {
    AWS_ENDPOINT_URL: emulator.endpoint,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_REGION: REGION,
    CLOUDSWEEP_HISTORY: '',
  });
  return { ...context, env };
}

function describeOrganization(context: CliContext, organization: DemoOrganization): void {
  context.out('');
  context.out('The demo organization (keys backdated in the emulator):');
  const rows = organization.accounts.map((account) => {
    const keys = organization.keys.filter((key) => key.accountId === account.id);
    return {
      account: `${account.name} (${account.id})`,
      users: organization.users.filter((user) => user.accountId === account.id).length,
      keys: keys.length,
      unused: keys.filter((key) => key.unusedOver90Days).length,
      neverUsed: keys.filter((key) => key.lastUsed === null).length,
    };
  });
  context.out(
    formatTable(context, rows, [
      { header: 'account', value: (row) => row.account },
      { header: 'users', value: (row) => row.users },
      { header: 'keys', value: (row) => row.keys },
      { header: 'unused > 90 days', value: (row) => row.unused },
      { header: 'never used', value: (row) => row.neverUsed },
    ]),
  );
  const protectedUsers = organization.users.filter((user) => user.protected).map((user) => user.userName);
  const boundary = organization.keys.filter((key) => key.unusedDays === 90);
  context.out(
    `Protected (tag cloudsweep:protect=true): ${protectedUsers.join(', ')}. ` +
      `On the 90-day boundary: ${boundary.map((key) => `${key.accountName}/${key.userName} ${key.accessKeyId}`).join(', ')} ` +
      `(unused for exactly 90 days at the demo's reference time, ${REFERENCE_AHEAD_MS / 60_000} minutes ahead: not matched by last_access > 90days).`,
  );
}

/**
 * Checks IAM against the organization's description: exactly the flagged, unprotected keys are
 * gone. The walkthrough printed what cloudsweep said; this says whether it was true.
 */
async function checkCleanup(context: CliContext, aws: AwsClients, organization: DemoOrganization): Promise<boolean> {
  const present = new Set<string>();
  for (const account of organization.accounts) {
    const clients = await clientsForAccount(aws, { id: account.id, name: account.name, ...(account.roleArn ? { role_arn: account.roleArn } : {}) }, 'cloudsweep-demo-check');
    const users = [...new Set(organization.users.filter((user) => user.accountId === account.id).map((user) => user.userName))];
    for (const userName of users) {
      const listed = await clients.iam.send(new ListAccessKeysCommand({ UserName: userName }));
      for (const key of listed.AccessKeyMetadata ?? []) if (key.AccessKeyId) present.add(key.AccessKeyId);
    }
  }
  const expectedGone = new Set(keysCleanupDeletes(organization).map((key) => key.accessKeyId));
  const wrong = organization.keys.filter((key) => present.has(key.accessKeyId) === expectedGone.has(key.accessKeyId));
  context.out('');
  if (wrong.length > 0) {
    context.err(
      `error: demo check: IAM does not hold what the cleanup should have left:\n` +
        wrong
          .map((key) => `  ${key.accountName}/${key.userName} ${key.accessKeyId}: ${present.has(key.accessKeyId) ? 'still present, should be deleted' : 'deleted, should remain'}`)
          .join('\n'),
    );
    return false;
  }
  const kept = organization.keys.filter((key) => key.unusedOver90Days && !expectedGone.has(key.accessKeyId));
  const why = (key: (typeof kept)[number]) => `${key.userName} (${key.protected ? 'protected' : 'left out of the search'})`;
  context.out(
    `Checked in IAM: the ${expectedGone.size} flagged, unprotected keys are gone and ${present.size} keys remain; ` +
      `the ${kept.length} of them unused for more than 90 days were kept on purpose: ${kept.map(why).join(', ')}.`,
  );
  return true;
}
