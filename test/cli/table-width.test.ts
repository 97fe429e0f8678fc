import { ensureResources } from '../../src/aws/provision';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { DEFAULT_RESOURCE_NAMES } from '../../src/resources';
import { emulatorClients, emulatorEnv, runCli, spawnCloudsweep } from '../support/aws';

const LONG_JOB = 'search is(access_key) and last_access > 90days and /ancestors.user.reported.name not in [jenkins, ci, deploy-bot, release-bot] | clean';

describe('tables cut to the terminal width (moto)', () => {
  let emulator: Emulator;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    emulator = await startEmulator();
    await ensureResources(emulatorClients(emulator), DEFAULT_RESOURCE_NAMES);
    env = { ...process.env, ...emulatorEnv(emulator), NO_COLOR: '1' };
    delete env.COLUMNS;
    expect((await runCli(['jobs', 'add', '--id', 'clean_outdated_access_keys', '--wait-for-event', 'post_collect', LONG_JOB], env)).code).toBe(0);
  });
  afterAll(() => emulator.stop());

  it('cuts the jobs table to COLUMNS with an ellipsis, and prints it whole without', async () => {
    const narrow = await spawnCloudsweep(['jobs', 'list'], { ...env, COLUMNS: '100' });
    expect(narrow.code).toBe(0);
    const lines = narrow.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100);
    expect(lines[1]).toMatch(/^clean_outdated_access_keys +.*search is\(access_key\).*…$/);

    const whole = await spawnCloudsweep(['jobs', 'list'], env);
    expect(whole.stdout).toContain(LONG_JOB);
    const json = await spawnCloudsweep(['jobs', 'list', '--output', 'json'], { ...env, COLUMNS: '100' });
    expect((JSON.parse(json.stdout) as { command: string }[])[0]?.command).toBe(LONG_JOB);
  });
});
