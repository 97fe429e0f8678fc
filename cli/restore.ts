import type { Command } from 'commander';
import { ValidationError } from '../src/errors';
import { isJson, RegisterVerb } from './context';
import { printJson } from './output';

/**
 * `cloudsweep restore KEY_ID [--reason TEXT]`: brings back a key cloudsweep deactivated, during its
 * grace period: Active in IAM, unflagged, protected for fix.worker's `restore_protection`, audited
 * with who and why (docs/owners.md). A deleted key is refused, naming its audit entry.
 */
export const register: RegisterVerb = (program, context) => {
  program
    .command('restore')
    .description('reactivate a key cloudsweep deactivated (during its grace period), unflag it and protect it for a while')
    .argument('<access-key-id>', 'the key, such as AKIA...')
    .option('--reason <text>', 'why it is needed: recorded in the audit and on the protection')
    .option('--notify-sender <address>', "the verified SES identity the key's owner is told from (default: CLOUDSWEEP_NOTIFY_SENDER; none: the owner is not told)")
    .addHelpText(
      'after',
      '\nExample:\n  $ cloudsweep restore AKIAIOSFODNN7EXAMPLE --reason "nightly export still uses it"\n' +
        'The key is protected for fixworker.restore_protection (default 30d); a deleted key cannot be restored.',
    )
    .action(async (accessKeyId: string, options: { reason?: string; notifySender?: string }, command: Command) => {
      if (!/^[A-Z0-9]{16,128}$/.test(accessKeyId)) throw new ValidationError(`restore: ${JSON.stringify(accessKeyId)} is not an access key id (AKIA...)`);
      const { resolveRuntime, withAws, callerOf } = await import('./runtime');
      const { createInventoryStore } = await import('../src/inventory/dynamo-store');
      const { createConfigStore } = await import('../src/config/store');
      const { DynamoAuditStore } = await import('../src/cleanup/dynamo-audit-store');
      const { homeAccountId } = await import('../src/aws/accounts');
      const { parseDuration } = await import('../src/query/durations');
      const { restoreKey } = await import('../src/owners/restore');
      const { SesMailer } = await import('../src/owners/mailer');
      const { NOTIFY_SENDER_ENV } = await import('../src/owners/notices');
      const { notifySenderFrom } = await import('./workflow');
      const sender = await notifySenderFrom(options.notifySender ?? context.env[NOTIFY_SENDER_ENV]);
      const runtime = await resolveRuntime(command, context);
      const { config } = await withAws(() => createConfigStore(runtime.aws, runtime.names.configTable).read(), 'reading fix.worker');
      const restored = await withAws(
        async () =>
          restoreKey(
            {
              aws: runtime.aws,
              store: createInventoryStore(runtime.aws, runtime.names.inventoryTable),
              audit: new DynamoAuditStore(runtime.aws.documents, runtime.names.auditTable),
              clock: { now: () => new Date() },
              homeAccountId: await homeAccountId(runtime.aws),
              memberRole: config.collector.member_role,
              who: await callerOf(runtime),
              owners: config.notify,
              ...(sender === undefined ? {} : { mailer: new SesMailer(runtime.aws.sesv2, sender) }),
            },
            { accessKeyId, protectionMs: parseDuration(config.fixworker.restore_protection) ?? 0, ...(options.reason === undefined ? {} : { reason: options.reason }) },
          ),
        `restoring ${accessKeyId}`,
      );
      if (isJson(command)) return printJson(context, restored);
      context.out(
        `restored ${restored.access_key_id} of user ${restored.user_name} in account ${restored.account}: Active again, unflagged, protected until ${restored.protected_until} (audit: cloudsweep audit --run ${restored.run_id})`,
      );
      if (restored.owner === null) context.out('nobody owns the key (no owner tag, account contact or central contact): nobody was told');
      else if (restored.owner_told) context.out(`told its owner ${restored.owner}`);
      else if (restored.owner_error !== undefined) context.err(`warning: its owner ${restored.owner} was not told: ${restored.owner_error}`);
      else context.out(`its owner ${restored.owner} was not told: no sender (--notify-sender or CLOUDSWEEP_NOTIFY_SENDER)`);
    });
};
