import { spawn } from 'node:child_process';
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
