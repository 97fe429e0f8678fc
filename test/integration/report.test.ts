import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureResources } from '../../src/aws/provision';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { DEFAULT_RESOURCE_NAMES } from '../../src/resources';
import { emulatorClients, emulatorEnv, runCli } from '../support/aws';

describe('cloudsweep report (moto)', () => {
  let emulator: Emulator;
  let env: NodeJS.ProcessEnv;
  const dir = mkdtempSync(join(tmpdir(), 'cloudsweep-report-'));
  const cli = (...argv: string[]) => runCli(['report', ...argv], env);

  beforeAll(async () => {
    emulator = await startEmulator();
    env = emulatorEnv(emulator);
  });
  afterAll(async () => {
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says to run init when the tables do not exist (exit 1)', async () => {
    const result = await cli('--output', join(dir, 'none.html'));
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/table cloudsweep-\w+ does not exist: deploy the stack \(cdk deploy\) or run cloudsweep init/);
  });

  it('writes the page of an empty inventory, saying to collect first, and prints its data as JSON', async () => {
    await ensureResources(emulatorClients(emulator), DEFAULT_RESOURCE_NAMES);
    const file = join(dir, 'empty.html');
    const written = await cli('--output', file);
    expect(written).toEqual({
      code: 0,
      out: `Report written to ${file}: 0 keys in 0 accounts, 0 unused for more than 90 days, 0 cleanup runs charted.`,
      err: 'warning: the inventory is empty; collect first (cloudsweep workflow run collect)',
    });
    expect(readFileSync(file, 'utf8')).toContain('The inventory is empty: collect first (cloudsweep workflow run collect).');
    const json = await cli('--output', 'json', '--now', '2026-11-24T00:00:00Z');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({ generated_at: '2026-11-24T00:00:00.000Z', collected_at: null, accounts: [], runs: [], owners: [], exemptions: [], last_run: null });
  });

  it('refuses csv and a --now that is not a time with exit 2', async () => {
    expect((await cli('--output', 'csv')).code).toBe(2);
    const badNow = await cli('--now', 'yesterday');
    expect(badNow.code).toBe(2);
    expect(badNow.err).toBe('error: --now: "yesterday" is not an ISO 8601 time');
  });
});
