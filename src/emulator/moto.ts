import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RuntimeError } from '../errors';
import { motoPythonOverride } from '../environment';

/**
 * The embedded AWS emulator: moto, run in-process by `moto_launcher.py` beside this file, which adds
 * the few controls moto lacks (backdating keys, refusing AssumeRole, a credential report that stays). Used by the demo, the
 * integration tests and the benchmarks. Found on PATH, else in a project-local virtualenv that is
 * created on first use.
 */
export interface Emulator {
  readonly endpoint: string;
  readonly port: number;
  /** Backdates an access key or sets its last use (`lastUsed: null` = never used). */
  setAccessKey(change: AccessKeyChange): Promise<void>;
  /** AssumeRole into these accounts answers AccessDenied from now on. */
  denyAssumeRole(accountIds: string[]): Promise<void>;
  /**
   * While frozen, the account's credential report stays as it is now, as IAM's reused report does
   * (moto otherwise writes it afresh on every read). A report must have been generated.
   */
  freezeCredentialReport(accountId: string, frozen: boolean): Promise<void>;
  /** POSTs to moto's own `/moto-api/...` endpoints. */
  motoApi(path: string, body: unknown): Promise<void>;
  stop(): Promise<void>;
}

export interface AccessKeyChange {
  accountId: string;
  accessKeyId: string;
  createDate?: string;
  lastUsed?: { date: string; service?: string; region?: string } | null;
  status?: 'Active' | 'Inactive';
}

export interface StartOptions {
  port?: number;
  /** Progress lines (provisioning moto can take a minute the first time). */
  log?: (line: string) => void;
}

const LAUNCHER = 'moto_launcher.py';

export function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new RuntimeError('cannot find the cloudsweep project root');
    dir = parent;
  }
  return dir;
}

function hasMoto(python: string): boolean {
  const probe = spawnSync(python, ['-c', 'import moto, werkzeug, flask'], { stdio: 'ignore' });
  return probe.status === 0;
}

/** A Python interpreter that can import moto, provisioning `.venv` in the project if needed. */
export function ensureMotoPython(log: (line: string) => void = () => undefined): string {
  const root = projectRoot();
  const venvPython = join(root, '.venv', 'bin', 'python');
  const candidates = [motoPythonOverride(), 'python3', 'python', venvPython].filter(
    (c): c is string => typeof c === 'string' && c !== '',
  );
  for (const python of candidates) if (hasMoto(python)) return python;

  log('moto (the AWS emulator) is not installed: creating .venv with pip install "moto[server]" ...');
  const venv = spawnSync('python3', ['-m', 'venv', join(root, '.venv')], { stdio: 'inherit' });
  if (venv.status === 0) {
    spawnSync(venvPython, ['-m', 'pip', 'install', '--quiet', 'moto[server]==5.2.1'], { stdio: 'inherit' });
    if (hasMoto(venvPython)) return venvPython;
  }
  throw new RuntimeError(
    'the AWS emulator moto is not available and could not be installed.\n' +
      'Install it with  pip install "moto[server]"  (Python 3.9 or later),\n' +
      'or point CLOUDSWEEP_PYTHON at a Python interpreter that has it.',
  );
}

export async function startEmulator(options: StartOptions = {}): Promise<Emulator> {
  const python = ensureMotoPython(options.log);
  const launcher = join(projectRoot(), 'src', 'emulator', LAUNCHER);
  // Port 0: the launcher binds a port the system chooses and names it in its first line.
  const child = spawn(python, [launcher, String(options.port ?? 0)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let bound: number | undefined;
  child.stdout?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
    bound ??= listeningPort(output);
  });
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const port = await waitUntilHealthy(() => bound, child, () => output);
  const endpoint = `http://127.0.0.1:${port}`;
  await warmCloudFormation(endpoint);
  return new MotoEmulator(endpoint, port, child);
}

/** The port the launcher bound, once its first line has come. */
function listeningPort(output: string): number | undefined {
  const port = /moto listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1];
  return port === undefined ? undefined : Number(port);
}

/**
 * moto loads a service's backend on its first request, CloudFormation's slowly (a second or more);
 * every CLI command's first call is a stack lookup, which would then say it is waiting. Loaded here.
 */
async function warmCloudFormation(endpoint: string): Promise<void> {
  await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/cloudformation/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: 'Action=ListStacks&Version=2010-05-15',
  }).then((response) => response.arrayBuffer());
}

/** The launcher's port, once it has named it and answers there. */
async function waitUntilHealthy(port: () => number | undefined, child: ChildProcess, output: () => string): Promise<number> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new RuntimeError(`the AWS emulator exited at start:\n${output()}`);
    const bound = port();
    if (bound !== undefined) {
      const endpoint = `http://127.0.0.1:${bound}`;
      try {
        const response = await fetch(`${endpoint}/_cloudsweep/health`);
        if (response.ok) return bound;
      } catch {
        // not answering yet
      }
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new RuntimeError(`the AWS emulator did not answer within 60 s:\n${output()}`);
}

class MotoEmulator implements Emulator {
  constructor(
    readonly endpoint: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {}

  async setAccessKey(change: AccessKeyChange): Promise<void> {
    const body: Record<string, unknown> = { account_id: change.accountId, access_key_id: change.accessKeyId };
    if (change.createDate !== undefined) body.create_date = change.createDate;
    if (change.lastUsed !== undefined) body.last_used = change.lastUsed;
    if (change.status !== undefined) body.status = change.status;
    await this.post('/_cloudsweep/iam/access-key', body);
  }

  async denyAssumeRole(accountIds: string[]): Promise<void> {
    await this.post('/_cloudsweep/sts/deny-assume', { account_ids: accountIds });
  }

  async freezeCredentialReport(accountId: string, frozen: boolean): Promise<void> {
    await this.post('/_cloudsweep/iam/freeze-report', { account_id: accountId, frozen });
  }

  async motoApi(path: string, body: unknown): Promise<void> {
    await this.post(path, body);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }

  private async post(path: string, body: unknown): Promise<void> {
    const response = await fetch(`${this.endpoint}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new RuntimeError(`emulator ${path}: ${response.status} ${await response.text()}`);
  }
}
