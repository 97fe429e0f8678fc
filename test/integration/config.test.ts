import { mkdtempSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsClients } from '../../src/aws/clients';
import { emulatorClients, emulatorEnv, runCli } from '../support/aws';
import { ensureResources } from '../../src/aws/provision';
import { defaultFixWorkerConfig } from '../../src/config/fix-worker';
import { ConfigConflictError, createConfigStore, loadFixWorkerConfig } from '../../src/config/store';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { DEFAULT_RESOURCE_NAMES } from '../../src/resources';


describe('cloudsweep config fix.worker (moto)', () => {
  let emulator: Emulator;
  let aws: AwsClients;
  let env: NodeJS.ProcessEnv;
  const dir = mkdtempSync(join(tmpdir(), 'cloudsweep-config-test-'));

  const cli = (argv: string[], extraEnv: NodeJS.ProcessEnv = {}) => runCli(argv, { ...env, ...extraEnv });

  const stored = () => createConfigStore(aws, DEFAULT_RESOURCE_NAMES.configTable).read();

  /**
   * An EDITOR that applies one sed script per time it is opened (the Nth opening runs script N)
   * and keeps a copy of every text it was shown.
   */
  function scriptedEditor(name: string, ...sedScripts: string[]): { command: string; shown: (n: number) => string } {
    const script = join(dir, `${name}.sh`);
    const cases = sedScripts.map((sed, i) => `  ${i + 1}) sed -i '${sed}' "$1" ;;`).join('\n');
    writeFileSync(
      script,
      `#!/bin/sh\nn=$(( $(cat "${script}.count" 2>/dev/null || echo 0) + 1 ))\necho $n > "${script}.count"\ncp "$1" "${script}.shown.$n"\ncase $n in\n${cases}\n  *) exit 3 ;;\nesac\n`,
    );
    chmodSync(script, 0o755);
    return { command: script, shown: (n) => readFileSync(`${script}.shown.${n}`, 'utf8') };
  }

  beforeAll(async () => {
    emulator = await startEmulator();
    aws = emulatorClients(emulator);
    env = emulatorEnv(emulator);
    await ensureResources(aws, DEFAULT_RESOURCE_NAMES);
  });
  afterAll(() => emulator.stop());

  it('prints the safe defaults as YAML when nothing is stored', async () => {
    const result = await cli(['config', 'get', 'fix.worker']);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^fixworker:\n {2}# Enable cleanup of resources\n {2}cleanup: false\n {2}# Do not actually cleanup resources, just create log messages\n {2}cleanup_dry_run: true\n {2}# How many cleanup threads to run in parallel\n {2}cleanup_pool_size: 16\n/);
    expect(await loadFixWorkerConfig(createConfigStore(aws, DEFAULT_RESOURCE_NAMES.configTable))).toEqual(defaultFixWorkerConfig());
  });

  it('edits fix.worker in $EDITOR as the seed does, re-opening an invalid edit with its error', async () => {
    const editor = scriptedEditor(
      'seed-edit',
      's/^  cleanup: false/  cleanup: true/; s/^  cleanup_dry_run: true/  cleanup_dry_run: false/; s/^  cleanup_pool_size: 16/  cleanup_pool_size: zero/',
      's/^  cleanup_pool_size: zero/  cleanup_pool_size: 16/',
    );
    const result = await cli(['config', 'edit', 'fix.worker'], { EDITOR: editor.command, VISUAL: '' });
    expect(result).toMatchObject({ code: 0, out: 'fix.worker saved (revision 1).' });
    expect(editor.shown(2)).toContain('# !!   line 11: fixworker.cleanup_pool_size: string "zero" is not an integer; allowed: an integer from 1 to 256');
    expect((await stored()).config.fixworker).toMatchObject({ cleanup: true, cleanup_dry_run: false, cleanup_pool_size: 16 });
  });

  it('saves nothing when the editor leaves the text unchanged, or the user abandons an invalid edit', async () => {
    const unchanged = scriptedEditor('unchanged', 's/^x//');
    expect(await cli(['config', 'edit', 'fix.worker'], { EDITOR: unchanged.command })).toMatchObject({ code: 0, out: 'fix.worker unchanged; nothing saved.' });
    const abandoned = scriptedEditor('abandoned', 's/^  pool_size: 8/  pool_size: -1/', 's/^x//');
    const result = await cli(['config', 'edit', 'fix.worker'], { EDITOR: abandoned.command });
    expect(result).toMatchObject({ code: 2, err: 'error: fix.worker was left invalid; nothing was saved' });
    expect((await stored()).revision).toBe(1);
  });

  it('sets typed values by dotted key, and refuses bad ones with exit 2 leaving the config as it was', async () => {
    expect(await cli(['config', 'set', 'fix.worker', 'fixworker.cleanup_pool_size=4', 'collector.accounts=[111111111111]'])).toMatchObject({
      code: 0,
      out: 'fix.worker saved (revision 2).',
    });
    const before = await stored();
    for (const bad of ['fixworker.cleanup=yes', 'fixworker.max_cleanup_percent=120', 'collector.member_role=no/such role', 'fixworker.nope=1', 'collector.accounts=[42]', 'fixworker.constructor=1', 'fixworker.hasOwnProperty=1', '__proto__.cleanup=true', 'toString.cleanup=true']) {
      const result = await cli(['config', 'set', 'fix.worker', 'fixworker.cleanup_dry_run=true', bad]);
      expect(result.code).toBe(2);
      expect(result.err).toContain(bad.split('=')[0]);
    }
    expect(await stored()).toEqual(before);
    expect((await cli(['config', 'get', 'fix.worker', 'fixworker.cleanup_pool_size'])).out).toBe('4');
  });

  it('validates a file without saving it', async () => {
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'fixworker:\n  # Enable cleanup of resources\n  cleanup: true\ncollector:\n  accounts: organization\n');
    expect(await cli(['config', 'validate', good])).toMatchObject({ code: 0, out: `${good}: valid fix.worker configuration.` });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'fixworker:\n  cleanup: true\n  deactivate_grace: a while\n');
    const result = await cli(['config', 'validate', 'fix.worker', bad]);
    expect(result.code).toBe(2);
    expect(result.err).toContain(`${bad} is invalid:\n  line 3: fixworker.deactivate_grace: "a while" is not a duration`);
    expect((await stored()).revision).toBe(2);
  });

  it('gives a concurrent writer a clear conflict and keeps the first write', async () => {
    const first = createConfigStore(aws, DEFAULT_RESOURCE_NAMES.configTable);
    const second = createConfigStore(aws, DEFAULT_RESOURCE_NAMES.configTable);
    const readByFirst = await first.read();
    const readBySecond = await second.read();
    await first.write({ ...readByFirst.config, fixworker: { ...readByFirst.config.fixworker, cleanup_pool_size: 2 } }, readByFirst.revision);
    const losing = second.write({ ...readBySecond.config, fixworker: { ...readBySecond.config.fixworker, cleanup_pool_size: 8 } }, readBySecond.revision);
    await expect(losing).rejects.toBeInstanceOf(ConfigConflictError);
    await expect(losing).rejects.toThrow('fix.worker was changed by someone else since revision 2 was read; nothing was saved');
    expect((await stored()).config.fixworker.cleanup_pool_size).toBe(2);
  });

  it("keeps the user's comments through edit, set and get", async () => {
    const editor = scriptedEditor('commented', 's/^  cleanup_pool_size: 2$/  cleanup_pool_size: 2 # the IAM write quota of this org/', 's/^x//');
    expect((await cli(['config', 'edit', 'fix.worker'], { EDITOR: editor.command })).code).toBe(0);
    expect(await cli(['config', 'set', 'fix.worker', 'fixworker.cleanup_pool_size=3'])).toMatchObject({ code: 0 });
    expect((await cli(['config', 'get', 'fix.worker'])).out).toContain('\n  cleanup_pool_size: 3 # the IAM write quota of this org\n');
    await cli(['config', 'edit', 'fix.worker'], { EDITOR: editor.command });
    expect(editor.shown(2)).toContain('\n  cleanup_pool_size: 3 # the IAM write quota of this org\n');
    expect((await stored()).config.fixworker.cleanup_pool_size).toBe(3);
  });

  it('saves no new revision when config set changes nothing', async () => {
    const before = await stored();
    const result = await cli(['config', 'set', 'fix.worker', `fixworker.cleanup_pool_size=${before.config.fixworker.cleanup_pool_size}`]);
    expect(result).toMatchObject({ code: 0, out: `fix.worker unchanged (revision ${before.revision}): every key already has that value; nothing saved.` });
    expect(await stored()).toEqual(before);
  });

  it('validates the stored config with config validate fix.worker, naming the key a hand-written row got wrong', async () => {
    const good = await cli(['config', 'validate', 'fix.worker']);
    const revision = (await stored()).revision;
    expect(good).toMatchObject({ code: 0, out: `stored fix.worker (revision ${revision}): valid fix.worker configuration.` });
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    const row = { pk: 'fix.worker', sk: 'current', revision: revision + 1, config: { fixworker: { cleanup_pool_size: 0 }, collector: {} } };
    await aws.documents.send(new PutCommand({ TableName: DEFAULT_RESOURCE_NAMES.configTable, Item: row }));
    const bad = await cli(['config', 'validate', 'fix.worker']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain(`stored fix.worker (revision ${revision + 1})`);
    expect(bad.err).toContain('fixworker.cleanup_pool_size');
  });

  it('refuses an unknown configuration name', async () => {
    expect(await cli(['config', 'get', 'fix.core'])).toMatchObject({ code: 2, err: 'error: unknown configuration "fix.core"; configurations: fix.worker' });
  });
});
