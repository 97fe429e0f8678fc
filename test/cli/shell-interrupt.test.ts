import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureResources } from '../../src/aws/provision';
import { Emulator, ensureMotoPython, startEmulator } from '../../src/emulator/moto';
import { DEFAULT_RESOURCE_NAMES } from '../../src/resources';
import { DynamoRunStore } from '../../src/workflow/runs';
import { emulatorClients, emulatorEnv } from '../support/aws';
import { HeldProxy, startHeldProxy } from '../support/held-proxy';

const ROOT = join(__dirname, '..', '..');

/**
 * Runs a command in a pseudo-terminal, as a person's terminal runs it: Ctrl-C typed into it is the
 * terminal's to deliver, as a key to a program in raw mode, as SIGINT otherwise.
 */
const IN_PSEUDO_TERMINAL = 'import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)';
const CTRL_C = '\u0003';

/** What a person at the terminal sees and types. */
class Terminal {
  private screen = '';
  private readonly watchers: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    const show = (chunk: Buffer) => {
      this.screen += chunk.toString();
      for (const watcher of [...this.watchers]) watcher();
    };
    child.stdout.on('data', show);
    child.stderr.on('data', show);
    this.exited = new Promise((resolve) => child.on('close', resolve));
  }

  /** Types `text` and resolves with the screen from there on once it matches `expected`. */
  async type(text: string, expected: RegExp): Promise<string> {
    const from = this.screen.length;
    this.child.stdin.write(text);
    return this.seen(expected, from);
  }

  seen(expected: RegExp, from = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      const watcher = () => {
        const shown = this.screen.slice(from);
        if (!expected.test(shown)) return;
        this.watchers.splice(this.watchers.indexOf(watcher), 1);
        resolve(shown);
      };
      this.watchers.push(watcher);
      void this.exited.then(() => reject(new Error(`the shell ended before ${String(expected)} showed; the screen:\n${this.screen.slice(from)}`)));
      watcher();
    });
  }

  kill(): void {
    this.child.kill();
  }
}

/** The prompt after a command: readline redraws it at the start of a line. */
const PROMPT = /> (\u001b\[\d+G)?$/;

describe('Ctrl-C in the cloudsweep shell (moto)', () => {
  let emulator: Emulator;
  let proxy: HeldProxy;
  let terminal: Terminal | undefined;

  beforeAll(async () => {
    emulator = await startEmulator();
    await ensureResources(emulatorClients(emulator), DEFAULT_RESOURCE_NAMES);
    proxy = await startHeldProxy(emulator.endpoint);
  });
  afterAll(async () => {
    terminal?.kill();
    await proxy.stop();
    await emulator.stop();
  });

  it('aborts the command waiting on AWS, records an in-process run as interrupted, and returns to the prompt', async () => {
    const env = { ...process.env, ...emulatorEnv(emulator), AWS_ENDPOINT_URL: proxy.endpoint, CLOUDSWEEP_HISTORY: '', NO_COLOR: '1' };
    const python = ensureMotoPython(() => undefined);
    const child = spawn(python, ['-c', IN_PSEUDO_TERMINAL, process.execPath, join(ROOT, 'bin', 'cloudsweep.js'), 'shell'], { env, cwd: ROOT });
    const shell = new Terminal(child);
    terminal = shell;
    await shell.seen(/cloudsweep shell: type a command[\s\S]*> /);
    await shell.type('config get fix.worker fixworker.cleanup\r', /\nfalse\r?\n[\s\S]*> /);

    // A search waiting for the stored inventory (DynamoDB does not answer).
    proxy.hold(['dynamodb']);
    const searching = shell.type('search is(access_key) | count\r', /Interrupted by Ctrl-C \(SIGINT\)\.\r?\n[\s\S]*> /);
    expect(await proxy.nextHeld()).toBe('dynamodb');
    child.stdin.write(CTRL_C);
    expect(await searching).toMatch(PROMPT);
    proxy.release();

    // An in-process run waiting in its collect step (IAM and STS do not answer).
    proxy.hold(['sts', 'iam', 'organizations']);
    const collecting = shell.type('workflow run collect --in-process\r', /Interrupted by Ctrl-C \(SIGINT\): [^\r\n]*\r?\n[\s\S]*> /);
    await proxy.nextHeld();
    child.stdin.write(CTRL_C);
    const shown = await collecting;
    proxy.release();
    const runId = /started: run (\S+)/.exec(shown)?.[1] ?? '';
    expect(shown).toContain(`Interrupted by Ctrl-C (SIGINT): run ${runId} (collect) recorded as interrupted, lease released; done: pre_collect; not done: collect, post_collect.`);
    expect(shown).toMatch(PROMPT);
    const run = await new DynamoRunStore(emulatorClients(emulator), DEFAULT_RESOURCE_NAMES.runsTable).get(runId);
    expect(run).toMatchObject({ status: 'interrupted', error: 'interrupted by Ctrl-C (SIGINT)' });

    // The shell goes on, and the lease is free: the next run starts at once.
    expect(await shell.type('workflow run collect --in-process\r', /Workflow collect succeeded[^\r\n]*\r?\n[\s\S]*> /)).not.toContain('another workflow run holds the lease');
    await shell.type('exit\r', /\r?\n$/);
    expect(await shell.exited).toBe(0);
  }, 180_000);
});
