import { CreateStateMachineCommand } from '@aws-sdk/client-sfn';
import { AwsClients } from '../../src/aws/clients';
import { seedDemoOrganization } from '../../src/demo/organization';
import { SEED_COMMANDS } from '../../src/demo/seed-commands';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { ProcessResult, spawnCloudsweep } from '../support/aws';
import { passStateMachineDefinition } from '../support/pass-state-machine';

const CLEANUP_SUMMARY = { flagged: 9, protected: 1, skipped: 0, deleted: 8, deactivated: 0, already_absent: 0, failed: 0, dry_run: false, cleanup_enabled: true };

/**
 * The seed document's lines, typed into `cloudsweep shell` through a pipe, against the emulator
 * with the demo organization: each works exactly as written. `config edit` runs a scripted EDITOR
 * making the seed's change; `workflow run cleanup` (no --in-process) follows an execution of a
 * stand-in state machine named by CLOUDSWEEP_STATE_MACHINE_ARN, as with a deployed stack.
 */
describe('the seed document typed into cloudsweep shell', () => {
  let emulator: Emulator;
  let result: ProcessResult;

  beforeAll(async () => {
    emulator = await startEmulator();
    const aws = new AwsClients({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await seedDemoOrganization(aws, emulator, new Date(Date.now() + 5 * 60_000));
    await emulator.motoApi('/moto-api/config', { stepfunctions: { execute_state_machine: true } });
    const machine = await aws.sfn.send(
      new CreateStateMachineCommand({
        name: 'CloudSweep-Workflow',
        definition: passStateMachineDefinition({ summaries: { plan: { flagged: 9, protected: 1, candidates: 8, cleanup_enabled: true, dry_run: false }, cleanup: CLEANUP_SUMMARY } }),
        roleArn: 'arn:aws:iam::123456789012:role/sfn',
      }),
    );
    const lines = [
      'init',
      'config set fix.worker collector.accounts=organization',
      `> ${SEED_COMMANDS.configEdit}`,
      'workflow run collect --in-process',
      SEED_COMMANDS.countUnusedByUser,
      SEED_COMMANDS.countUnusedByUserExcluding,
      SEED_COMMANDS.flagUnused,
      SEED_COMMANDS.addJob,
      SEED_COMMANDS.runCleanup,
      'exit',
    ];
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!/^(AWS_|CLOUDSWEEP_)/.test(key)) env[key] = value;
    Object.assign(env, {
      AWS_ENDPOINT_URL: emulator.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      CLOUDSWEEP_STATE_MACHINE_ARN: machine.stateMachineArn,
      CLOUDSWEEP_HISTORY: '',
      NO_COLOR: '1',
      // The seed's edit: enable cleanup, no dry run.
      EDITOR: `sed -i -e 's/^  cleanup: false/  cleanup: true/' -e 's/^  cleanup_dry_run: true/  cleanup_dry_run: false/'`,
    });
    delete env.VISUAL;
    result = await spawnCloudsweep(['shell'], env, `${lines.join('\n')}\n`);
  }, 90_000);
  afterAll(() => emulator.stop());

  it('runs every line and exits 0', () => {
    if (result.code !== 0) throw new Error(`shell exited ${result.code}:\n${result.stderr}\n${result.stdout.slice(-3000)}`);
    expect(result.stdout).not.toMatch(/^> /m);
  });

  it('saves the edited fix.worker', () => {
    expect(result.stdout).toMatch(/fix\.worker saved \(revision 2\)/);
  });

  it('prints the counts of the seed searches', () => {
    expect(result.stdout).toContain('db-runner: 2');
    expect(result.stdout).toContain('total matched: 9');
    expect(result.stdout).toContain('total matched: 7');
    expect(result.stdout).toMatch(/flagged 9 for cleanup/);
  });

  it('adds the job', () => {
    expect(result.stdout).toContain('Job clean_outdated_access_keys added.');
  });

  it('follows workflow run cleanup step by step in the deployed state machine', () => {
    const run = result.stdout.slice(result.stdout.indexOf('Workflow cleanup started'));
    for (const event of ['pre_cleanup_plan', 'cleanup_plan', 'post_cleanup_plan', 'pre_cleanup', 'cleanup', 'post_cleanup']) {
      expect(run).toContain(`] ${event}`);
    }
    expect(run).toMatch(/cleanup: 9 flagged, 1 protected, 0 skipped, 8 deleted/);
    expect(run).toMatch(/Workflow cleanup succeeded/);
  });
});
