import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SEED_COMMANDS } from './seed-commands';

/** Where the demo's last step writes its report: outside the working tree, the same path every time. */
export const DEMO_REPORT = join(tmpdir(), 'cloudsweep-demo-report.html');

/**
 * The demo's walkthrough of the seed document: each step says why, then a command exactly as a user
 * types it at the `cloudsweep shell` prompt. The demo runs each through the CLI and prints its real
 * output; a step that fails stops the walkthrough.
 */
export interface WalkthroughStep {
  /** One or two lines on what the step shows. */
  narration: string;
  command: string;
}

/** Stale keys per user: counts keys, where the seed's `<-- is(user) | count name` counts users. */
export const KEYS_PER_USER = 'search is(access_key) and last_access > 90days | count /ancestors.user.reported.name';

/**
 * The first steps of the walkthrough, which leave a playground (`demo --keep`) ready for the guide's
 * commands: the tables, the organization configured, the inventory collected.
 */
export const PLAYGROUND_STEPS: readonly WalkthroughStep[] = [
  { narration: 'Create the DynamoDB tables and the EventBridge bus cloudsweep works with (in-process mode).', command: 'init' },
  { narration: 'Collect every account of the organization, entered through CloudSweepMemberRole.', command: 'config set fix.worker collector.accounts=organization' },
  { narration: 'Collect the inventory of the three accounts.', command: 'workflow run collect --in-process' },
];

export const WALKTHROUGH: readonly WalkthroughStep[] = [
  {
    narration: 'Create the DynamoDB tables and the EventBridge bus cloudsweep works with (in-process mode).',
    command: 'init',
  },
  {
    narration: 'Collect every account of the organization, entered through CloudSweepMemberRole.',
    command: 'config set fix.worker collector.accounts=organization',
  },
  {
    narration: 'Enable cleanup, as a dry run first: decisions are logged and audited, nothing is deleted.',
    command: 'config set fix.worker fixworker.cleanup=true fixworker.cleanup_dry_run=true',
  },
  { narration: 'The configuration now in force (validated on every write).', command: 'config get fix.worker' },
  { narration: 'Collect the inventory of the three accounts.', command: 'workflow run collect --in-process' },
  {
    narration: 'The users owning access keys unused for more than 90 days: <-- goes from the keys to their users, so count name counts users (each once per account), not keys.',
    command: SEED_COMMANDS.countUnusedByUser,
  },
  { narration: 'The same users, leaving out jenkins and ci.', command: SEED_COMMANDS.countUnusedByUserExcluding },
  {
    narration: "The keys themselves, counted by their owner's name: how many stale keys each user has.",
    command: KEYS_PER_USER,
  },
  { narration: 'Flag those keys for cleanup.', command: SEED_COMMANDS.flagUnused },
  {
    narration: 'Flag them automatically after every collect, with a job.',
    command: SEED_COMMANDS.addJob,
  },
  {
    narration: "Owners are told before anything happens: a week's notice. These users carry no owner tag, so the central contact hears.",
    command: 'config set fix.worker notify.notice_period=7d notify.central_contact=security@example.com',
  },
  {
    narration: 'Run the whole workflow: collect, the job flags keys at post_collect, cleanup (dry run: it lists the notices it would send).',
    command: 'workflow run collect_and_cleanup --in-process',
  },
  { narration: 'What the dry run would have done, key by key.', command: 'audit' },
  {
    narration: 'Now for real. The demo cannot wait a week, so no notice period: keys go at once, and their owner is told (recorded, not mailed: no SES sender here).',
    command: 'config set fix.worker fixworker.cleanup_dry_run=false notify.notice_period=0d',
  },
  { narration: 'Run the cleanup workflow: flagged, unprotected keys are deleted.', command: 'workflow run cleanup' },
  { narration: 'Collect again to see what IAM holds now.', command: 'workflow run collect --in-process' },
  {
    narration: 'The keys unused for more than 90 days that remain: jenkins and ci were left out, break-glass is protected.',
    command: 'search is(access_key) and last_access > 90days | list name, /ancestors.user.reported.name as user, last_access, account',
  },
  {
    narration: 'A report to look at: key ages per account, the runs, the stale owners, the exemptions. Open it in a browser.',
    command: `report --output ${DEMO_REPORT}`,
  },
];
