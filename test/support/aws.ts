import { spawn } from 'node:child_process';
import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { join } from 'node:path';
import type { CliContext } from '../../cli/context';
import { run } from '../../cli/main';
import { AwsClients } from '../../src/aws/clients';
import type { Emulator } from '../../src/emulator/moto';

/** moto takes any credentials; these are the tests'. */
export const TEST_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** SDK clients pointed at the emulator, in moto's default account. */
export function emulatorClients(emulator: Emulator): AwsClients {
  return new AwsClients({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
}

/** The environment a user's shell would have to reach the emulator. */
export function emulatorEnv(emulator: Emulator): NodeJS.ProcessEnv {
  return {
    AWS_ENDPOINT_URL: emulator.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
  };
}

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Runs one command line in-process, as `cloudsweep ARGV` would, and captures what it prints. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const context: CliContext = { out: (text) => void out.push(text), err: (text) => void err.push(text), env, isTTY: false, color: false };
  const code = await run(argv, context);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `cloudsweep ARGV` as a user would, in its own process, with `input` on stdin. */
export function spawnCloudsweep(argv: string[], env: NodeJS.ProcessEnv, input = ''): Promise<ProcessResult> {
  const root = join(__dirname, '..', '..');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'cloudsweep.js'), ...argv], { env, cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/**
 * A subscriber to a bus, as a user would attach one: a rule on the cloudsweep source with an SQS
 * queue as its target. Gives the SQS client and the queue's URL.
 */
export async function subscribeQueue(emulator: Emulator, aws: AwsClients, bus: string, queueName: string): Promise<{ sqs: SQSClient; queueUrl: string }> {
  const sqs = new SQSClient({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: queueName }))).QueueUrl ?? '';
  const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  await aws.eventbridge.send(new PutRuleCommand({ Name: `to-${queueName}`, EventBusName: bus, EventPattern: JSON.stringify({ source: ['cloudsweep'] }) }));
  await aws.eventbridge.send(new PutTargetsCommand({ Rule: `to-${queueName}`, EventBusName: bus, Targets: [{ Id: 'queue', Arn: attributes.Attributes?.QueueArn ?? '' }] }));
  return { sqs, queueUrl };
}
