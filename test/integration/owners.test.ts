import { CreateAccessKeyCommand, CreateUserCommand } from '@aws-sdk/client-iam';
import { AwsClients } from '../../src/aws/clients';
import { collectInventory } from '../../src/collect';
import { defaultFixWorkerConfig } from '../../src/config/fix-worker';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { createInventoryStore } from '../../src/inventory/dynamo-store';
import { DEFAULT_RESOURCE_NAMES } from '../../src/resources';
import { CliResult, emulatorClients, emulatorEnv, runCli } from '../support/aws';

const HOME = '123456789012';
const DAY = 24 * 3600 * 1000;

/** Owners in the loop (docs/owners.md) against moto: who owns a key, exemptions, restore. */
describe('owners (moto)', () => {
  let emulator: Emulator;
  let aws: AwsClients;
  let env: NodeJS.ProcessEnv;
  const keys: Record<string, string> = {};

  const cli = (...argv: string[]): Promise<CliResult> => runCli(argv, env);

  async function userWithKey(name: string, tags: Record<string, string>): Promise<void> {
    await aws.iam.send(new CreateUserCommand({ UserName: name, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
    const created = await aws.iam.send(new CreateAccessKeyCommand({ UserName: name }));
    keys[name] = created.AccessKey?.AccessKeyId ?? '';
    await emulator.setAccessKey({ accountId: HOME, accessKeyId: keys[name], createDate: new Date(Date.now() - 400 * DAY).toISOString(), lastUsed: null });
  }

  async function collect(): Promise<void> {
    const store = createInventoryStore(aws, DEFAULT_RESOURCE_NAMES.inventoryTable);
    await collectInventory({ aws, store, sleep: async () => undefined }, defaultFixWorkerConfig().collector, `run-${Date.now()}`);
  }

  beforeAll(async () => {
    emulator = await startEmulator();
    aws = emulatorClients(emulator);
    env = emulatorEnv(emulator);
    expect((await cli('init')).code).toBe(0);
    await userWithKey('nancy', { Owner: 'Nancy <nancy@example.com>' });
    await userWithKey('ci', { team: 'platform' });
    await userWithKey('vendor', {});
    await collect();
  });
  afterAll(() => emulator.stop());

  it('lists each key\'s owner: the user\'s owner tag, else the account\'s contact from fix.worker', async () => {
    const before = await cli('search', '--output', 'json', 'is(access_key) | sort user_name | list user_name, owner');
    expect(JSON.parse(before.out)).toEqual([
      { user_name: 'ci', owner: null },
      { user_name: 'nancy', owner: 'nancy@example.com' },
      { user_name: 'vendor', owner: null },
    ]);
    expect((await cli('config', 'set', 'fix.worker', `notify.account_contacts={"${HOME}": home-team@example.com}`)).code).toBe(0);
    const after = await cli('search', '--output', 'json', 'is(access_key) | sort user_name | list user_name, owner');
    expect(JSON.parse(after.out)).toEqual([
      { user_name: 'ci', owner: 'home-team@example.com' },
      { user_name: 'nancy', owner: 'nancy@example.com' },
      { user_name: 'vendor', owner: 'home-team@example.com' },
    ]);
    const byTag = await cli('search', 'is(access_key) and /ancestors.user.reported.tags.Owner ~ nancy | count user_name');
    expect(byTag.out).toContain('nancy: 1');
  });
});
