import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureResources } from '../../src/aws/provision';
import { seedDemoOrganization } from '../../src/demo/organization';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { DEFAULT_RESOURCE_NAMES } from '../../src/resources';
import { DynamoRunStore } from '../../src/workflow/runs';
import { emulatorClients, emulatorEnv, runCli } from '../support/aws';

const ROOT = join(__dirname, '..', '..');

describe('an in-process workflow run interrupted (moto)', () => {
  let emulator: Emulator;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    emulator = await startEmulator();
    const aws = emulatorClients(emulator);
    env = { ...process.env, ...emulatorEnv(emulator), NO_COLOR: '1' };
    await ensureResources(aws, DEFAULT_RESOURCE_NAMES);
    // Three accounts entered through AssumeRole: a collect that takes a moment to interrupt.
    await seedDemoOrganization(aws, emulator, new Date());
    expect((await runCli(['config', 'set', 'fix.worker', 'collector.accounts=organization'], env)).code).toBe(0);
  });
  afterAll(() => emulator.stop());

  /** A collect_and_cleanup run in its own process, once its output has shown `text` (or it ended). */
  async function startRunUntil(text: string) {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'cloudsweep.js'), 'workflow', 'run', 'collect_and_cleanup', '--in-process'], { env, cwd: ROOT });
    const output = { stdout: '', stderr: '' };
    child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output.stdout += chunk.toString();
        if (output.stdout.includes(text)) resolve();
      });
      void exited.then(() => resolve());
    });
    return { child, exited, output };
  }

  it.each(['SIGINT', 'SIGTERM'] as const)('on %s records the run interrupted, releases the lease and exits 130 saying what was done', async (signal) => {
    const started = await startRunUntil('[2/9] collect');
    started.child.kill(signal);
    expect(await started.exited).toBe(130);
    const { stdout, stderr } = started.output;
    const runId = /started: run (\S+)/.exec(stdout)?.[1] ?? '';
    const why = signal === 'SIGINT' ? 'Ctrl-C \\(SIGINT\\)' : 'SIGTERM';
    expect(stderr).toMatch(new RegExp(`^Interrupted by ${why}: run ${runId} \\(collect_and_cleanup\\) recorded as interrupted, lease released; done: pre_collect; not done: collect, post_collect, .*post_cleanup\\.\\n$`));

    const run = await new DynamoRunStore(emulatorClients(emulator), DEFAULT_RESOURCE_NAMES.runsTable).get(runId);
    expect(run).toMatchObject({ status: 'interrupted', error: `interrupted by ${signal === 'SIGINT' ? 'Ctrl-C (SIGINT)' : 'SIGTERM'}` });
    // The lease is free: the next run starts at once, without waiting for it to expire.
    expect((await runCli(['workflow', 'run', 'collect', '--in-process'], env)).code).toBe(0);
  }, 60_000);

  it('on a closed pipe (| head) does the same', async () => {
    const started = await startRunUntil('started: run');
    started.child.stdout.destroy();
    expect(await started.exited).toBe(130);
    const { stdout, stderr } = started.output;
    const runId = /started: run (\S+)/.exec(stdout)?.[1] ?? '';
    expect(stderr).toMatch(new RegExp(`^Interrupted by a closed pipe \\(EPIPE\\): run ${runId} \\(collect_and_cleanup\\) recorded as interrupted`, 'm'));
    expect((await new DynamoRunStore(emulatorClients(emulator), DEFAULT_RESOURCE_NAMES.runsTable).get(runId))?.status).toBe('interrupted');
  }, 60_000);
});
