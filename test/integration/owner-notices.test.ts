import { CreateEventBusCommand } from '@aws-sdk/client-eventbridge';
import { CreateEmailIdentityCommand } from '@aws-sdk/client-sesv2';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { runCleanup } from '../../src/cleanup/run';
import type { FixWorkerConfig } from '../../src/config/fix-worker';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import type { KeyStageDetail } from '../../src/events/contracts';
import { SesMailer } from '../../src/owners/mailer';
import { EventBridgePublisher } from '../../src/workflow/publisher';
import { subscribeQueue } from '../support/aws';
import { enabledConfig, HOME, MEMBER_A, Scenario } from './cleanup.fixture';

const SENDER = 'cloudsweep@example.com';
const DAY = 86_400_000;

interface SentMessage {
  source: string;
  subject: string;
  body: string;
  destinations: { ToAddresses?: string[] };
}

/**
 * Owners in the loop end to end on moto (docs/owners.md): notices before any write, a digest per
 * owner per run through SES, a bus event per key stage into SQS, a key used after its notice kept,
 * an exemption ending soon warned of once, and a dry-run account beside a live one sending nothing.
 */
describe('owner notices (moto)', () => {
  let emulator: Emulator;
  let scenario: Scenario;
  let sqs: SQSClient;
  let queueUrl: string;
  const received: { 'detail-type': string; detail: KeyStageDetail }[] = [];

  /** Every message moto's SES backend recorded (GET /moto-api/data.json, model ses.Message). */
  async function sentMessages(): Promise<SentMessage[]> {
    const data = (await (await fetch(`${emulator.endpoint}/moto-api/data.json`)).json()) as { ses?: { Message?: SentMessage[] } };
    return data.ses?.Message ?? [];
  }

  const to = (messages: SentMessage[], address: string) => messages.filter((message) => message.destinations.ToAddresses?.includes(address));

  async function drainEvents(): Promise<void> {
    for (;;) {
      const answer = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      const messages = answer.Messages ?? [];
      if (messages.length === 0) return;
      for (const message of messages) {
        received.push(JSON.parse(message.Body ?? '{}'));
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      }
    }
  }

  beforeAll(async () => {
    emulator = await startEmulator();
    scenario = await Scenario.create(emulator, 'notice');
    await scenario.aws.eventbridge.send(new CreateEventBusCommand({ Name: 'notices-bus' }));
    ({ sqs, queueUrl } = await subscribeQueue(emulator, scenario.aws, 'notices-bus', 'owner-stages'));
    await scenario.aws.sesv2.send(new CreateEmailIdentityCommand({ EmailIdentity: SENDER }));
  });
  afterAll(() => emulator.stop());

  it('notices first, acts only after the notice period, keeps a key used since, warns of an ending exemption, and sends nothing for a dry-run account', async () => {
    const alice = await scenario.user(HOME, 'alice', { owner: 'alice@example.com' });
    const bob = await scenario.user(HOME, 'bob', { Owner: 'Bob <bob@example.com>' });
    const vendor = await scenario.user(HOME, 'vendor', { owner: 'carol@example.com' });
    const dave = await scenario.user(MEMBER_A, 'dave', { owner: 'dave@example.com' });
    const [a1, a2, b1, d1] = [await scenario.key(HOME, alice), await scenario.key(HOME, alice), await scenario.key(HOME, bob), await scenario.key(MEMBER_A, dave)];
    await scenario.key(HOME, vendor);
    await scenario.collect();
    const t0 = new Date();
    await scenario.flag([a1, a2, b1, d1], new Date(t0.getTime() - 1000));
    const ending = new Date(t0.getTime() + 5 * DAY).toISOString();
    await scenario.setMetadata(`AIDA${HOME}${vendor}`, { protected: true, protected_until: ending, protect_reason: 'vendor migration' });

    const base = enabledConfig({ deactivate_grace: '2s' });
    const config: FixWorkerConfig = {
      ...base,
      notify: { ...base.notify, notice_period: '2s' },
      accounts: { [MEMBER_A]: { cleanup: true, cleanup_dry_run: true } },
    };
    const publisher = new EventBridgePublisher(scenario.aws.eventbridge, 'notices-bus');
    const owners = { mailer: new SesMailer(scenario.aws.sesv2, SENDER), publishKeyStage: publisher.publishKeyStage.bind(publisher) };
    const run = (at: Date, id: string) => runCleanup(scenario.deps({ clock: scenario.clockAt(at), owners }), config, { workflow: 'cleanup', run_id: id });

    // Run 1: a notice for every live key, no IAM write; the dry-run account's key only listed.
    const first = await run(t0, 'run-1');
    expect(first).toMatchObject({ noticed: 3, would_notice: 1, deactivated: 0, deleted: 0 });
    expect(first.owner_messages).toMatchObject({ sent: 3, would_send: 1, events: 3 });
    expect(first.notices).toContainEqual(expect.objectContaining({ stage: 'noticed', access_key_id: d1, owner: 'dave@example.com', dry_run: true }));
    expect(await scenario.keysOf(HOME, alice)).toEqual({ [a1]: 'Active', [a2]: 'Active' });
    let sent = await sentMessages();
    expect(to(sent, 'alice@example.com')).toHaveLength(1);
    expect(to(sent, 'alice@example.com')[0]).toMatchObject({ source: SENDER, subject: 'cloudsweep: your AWS access keys: 2 to be cleaned up' });
    expect(to(sent, 'alice@example.com')[0]?.body).toContain(`cloudsweep search 'id(${a1})' | protect --until`);
    expect(to(sent, 'carol@example.com')[0]?.body).toContain(`exempt (vendor migration) until ${ending}`);
    expect(to(sent, 'dave@example.com')).toHaveLength(0);
    expect((await scenario.node(a1))?.metadata).toMatchObject({ noticed_at: t0.toISOString(), noticed_owner: 'alice@example.com' });

    // Inside the notice period nothing happens; bob uses his key.
    const early = await run(new Date(t0.getTime() + 1000), 'run-early');
    expect(early).toMatchObject({ waiting: 3, noticed: 0, deactivated: 0 });
    await scenario.use(HOME, b1, new Date(t0.getTime() + 1500));

    // Run 2, after the period: alice's keys deactivated, bob's kept; the exemption is not warned of again.
    const second = await run(new Date(t0.getTime() + 3000), 'run-2');
    expect(second).toMatchObject({ deactivated: 2, kept: 1, unflagged: 1 });
    expect(await scenario.keysOf(HOME, alice)).toEqual({ [a1]: 'Inactive', [a2]: 'Inactive' });
    expect(await scenario.keysOf(HOME, bob)).toEqual({ [b1]: 'Active' });
    sent = await sentMessages();
    expect(to(sent, 'alice@example.com')[1]?.body).toContain(`To undo: cloudsweep restore ${a1}`);
    expect(to(sent, 'bob@example.com')[1]?.body).toContain('== Kept: these keys were used after the notice, so they stay ==');
    expect(to(sent, 'carol@example.com')).toHaveLength(1);

    // Run 3, after the grace: deleted.
    const third = await run(new Date(t0.getTime() + 6000), 'run-3');
    expect(third).toMatchObject({ deleted: 2 });
    sent = await sentMessages();
    expect(to(sent, 'alice@example.com')).toHaveLength(3);
    expect(to(sent, 'alice@example.com')[2]?.subject).toBe('cloudsweep: your AWS access keys: 2 deleted');
    expect(to(sent, 'dave@example.com')).toHaveLength(0);

    // The stages in the audit.
    const audit = await scenario.audit.query({});
    const stages = (key: string) => audit.filter((entry) => entry.access_key_id === key && entry.result !== 'skipped').map((entry) => `${entry.action}:${entry.result}`);
    expect(stages(a1)).toEqual(['notice:noticed', 'deactivate:deactivated', 'delete:deleted']);
    expect(stages(b1)).toEqual(['notice:noticed', 'skip:kept']);
    expect(stages(d1)).toEqual(['notice:dry_run', 'notice:dry_run', 'notice:dry_run', 'notice:dry_run']);

    // The stage events, through a rule into SQS: none for the dry-run account.
    const deadline = Date.now() + 30_000;
    while (received.length < 8 && Date.now() < deadline) {
      await drainEvents();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const byType = (type: string) => received.filter((event) => event['detail-type'] === type).map((event) => event.detail.access_key_id).sort();
    expect(byType('key_noticed')).toEqual([a1, a2, b1].sort());
    expect(byType('key_deactivated')).toEqual([a1, a2].sort());
    expect(byType('key_deleted')).toEqual([a1, a2].sort());
    expect(byType('key_kept')).toEqual([b1]);
    expect(received.some((event) => event.detail.access_key_id === d1)).toBe(false);
    const deactivated = received.find((event) => event['detail-type'] === 'key_deactivated' && event.detail.access_key_id === a1)?.detail;
    expect(deactivated).toMatchObject({ version: 1, stage: 'deactivated', owner: 'alice@example.com', account: HOME, user_name: alice, dates: { noticed_at: t0.toISOString() } });
    expect(deactivated?.dates.delete_after).toEqual(expect.any(String));
  });

  it('without a sender, records notices and says they were not mailed', async () => {
    const without = await Scenario.create(emulator, 'nosender');
    const erin = await without.user(HOME, 'erin', { owner: 'erin@example.com' });
    const key = await without.key(HOME, erin);
    await without.collect();
    await without.flag([key]);
    const base = enabledConfig();
    const config: FixWorkerConfig = { ...base, notify: { ...base.notify, notice_period: '7d' } };
    const before = to(await sentMessages(), 'erin@example.com').length;
    const summary = await runCleanup(without.deps(), config, { workflow: 'cleanup', run_id: 'run-nosender' });
    expect(summary).toMatchObject({ noticed: 1, deleted: 0, owner_messages: { sent: 0, not_mailed: 1, note: expect.stringContaining('not mailed: no sender is configured (CDK context notifySender)') } });
    expect(to(await sentMessages(), 'erin@example.com')).toHaveLength(before);
    expect(await without.keysOf(HOME, erin)).toEqual({ [key]: 'Active' });
  });
});
