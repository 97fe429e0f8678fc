import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateAccessKeyCommand, CreateUserCommand } from '@aws-sdk/client-iam';
import { run } from '../../cli/main';
import type { CliContext } from '../../cli/context';
import { AwsClients } from '../../src/aws/clients';
import { collectInventory } from '../../src/collect';
import { defaultFixWorkerConfig } from '../../src/config/fix-worker';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { createInventoryStore } from '../../src/inventory/dynamo-store';
import { parseSnapshot } from '../../src/inventory/snapshot';
import { DEFAULT_RESOURCE_NAMES } from '../../src/resources';

describe('cloudsweep init and export (moto)', () => {
  let emulator: Emulator;
  let aws: AwsClients;
  let dir: string;
  let out: string[];
  let err: string[];
  let context: CliContext;

  beforeAll(async () => {
    emulator = await startEmulator();
    aws = new AwsClients({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    dir = mkdtempSync(join(tmpdir(), 'cloudsweep-export-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await emulator.stop();
  });
  beforeEach(() => {
    out = [];
    err = [];
    context = {
      out: (text) => void out.push(text),
      err: (text) => void err.push(text),
      env: { AWS_ENDPOINT_URL: emulator.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' },
      isTTY: false,
      color: false,
    };
  });

  it('init creates the five tables and the bus, then finds them', async () => {
    expect(await run(['init'], context)).toBe(0);
    expect(out.join('\n')).toMatch(/table\s+cloudsweep-inventory\s+created/);
    expect(out.join('\n')).toMatch(/event bus\s+cloudsweep\s+created/);

    out = [];
    expect(await run(['init', '--output', 'json'], context)).toBe(0);
    const { resources } = JSON.parse(out.join('\n')) as { resources: Array<{ name: string; status: string }> };
    expect(resources.map((r) => r.name).sort()).toEqual(
      ['cloudsweep', 'cloudsweep-audit', 'cloudsweep-config', 'cloudsweep-inventory', 'cloudsweep-jobs', 'cloudsweep-runs'],
    );
    expect(resources.every((r) => r.status === 'exists')).toBe(true);
  });

  it('export writes the stored inventory as a snapshot file, or prints it', async () => {
    await run(['init'], context);
    await aws.iam.send(new CreateUserCommand({ UserName: 'nancy' }));
    const key = await aws.iam.send(new CreateAccessKeyCommand({ UserName: 'nancy' }));
    const store = createInventoryStore(aws, DEFAULT_RESOURCE_NAMES.inventoryTable);
    await collectInventory({ aws, store, sleep: async () => undefined }, defaultFixWorkerConfig().collector, 'run-cli');
    const file = join(dir, 'inventory.json');

    expect(await run(['export', '--output', file], context)).toBe(0);
    expect(out.join('\n')).toMatch(/Exported 1 account, 1 user and 1 access key .* to .*inventory\.json/);
    const { graph, collectedAt } = parseSnapshot(readFileSync(file, 'utf8'), file);
    expect(graph.ancestor(key.AccessKey?.AccessKeyId ?? '', 'aws_iam_user')?.reported.name).toBe('nancy');
    expect(Date.parse(collectedAt)).not.toBeNaN();

    out = [];
    expect(await run(['export'], context)).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ format: 'cloudsweep.snapshot', version: 1, edges: expect.any(Array) });
  });

  it('export names the file it cannot write', async () => {
    expect(await run(['export', '--output', join(dir, 'missing', 'x.json')], context)).toBe(2);
    expect(err.join('\n')).toMatch(/--output .*missing\/x\.json: cannot write/);
  });
});
