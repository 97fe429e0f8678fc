import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SEED_COMMANDS } from '../../src/demo/seed-commands';
import { spawnCloudsweep } from '../support/aws';

const ROOT = join(__dirname, '..', '..');

/** A fresh machine's environment with its own temp dir: no AWS settings, its own playground file. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(AWS_|CLOUDSWEEP_)/.test(key)) env[key] = value;
  return { ...env, NO_COLOR: '1', TMPDIR: mkdtempSync(join(tmpdir(), 'cloudsweep-playground-')) };
}

describe('cloudsweep demo --keep, a playground that stays', () => {
  it('prints the environment to export, answers the guide in another process without --now, and stops with demo --stop', async () => {
    const env = cleanEnv();
    const playground = spawn(process.execPath, [join(ROOT, 'bin', 'cloudsweep.js'), 'demo', '--keep'], { env, cwd: ROOT });
    let stdout = '';
    let stderr = '';
    playground.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => playground.on('close', resolve));
    await new Promise<void>((resolve, reject) => {
      playground.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('demo --stop\n')) resolve();
      });
      void exited.then((code) => reject(new Error(`demo --keep exited ${code}:\n${stderr}\n${stdout}`)));
    });

    const exported = /^ {2}export (.*)$/m.exec(stdout)?.[1] ?? '';
    const settings = Object.fromEntries(exported.split(' ').map((pair) => pair.split('=') as [string, string]));
    expect(settings).toEqual({ AWS_ENDPOINT_URL: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
    expect((stdout + stderr).match(/AWS emulator listening on/g)).toHaveLength(1);

    const guide = await spawnCloudsweep(['shell'], { ...env, ...settings, CLOUDSWEEP_HISTORY: '' }, `${SEED_COMMANDS.countUnusedByUser}\n`);
    expect(guide.code).toBe(0);
    expect(guide.stdout).toMatch(/^jenkins: 1$/m);
    expect(guide.stdout).toContain('total matched: 9\ntotal unmatched: 0');

    const stopped = await spawnCloudsweep(['demo', '--stop'], env);
    expect(stopped).toMatchObject({ code: 0, stdout: `Stopped the playground (emulator at ${settings.AWS_ENDPOINT_URL}).\n` });
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/Playground stopped\.\n$/);
    expect(await spawnCloudsweep(['demo', '--stop'], env)).toMatchObject({ code: 1, stderr: 'error: no playground is running (cloudsweep demo --keep starts one)\n' });
  }, 120_000);
});
