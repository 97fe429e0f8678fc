import type { Command } from 'commander';
import { ValidationError } from '../src/errors';
import type { ExemptionRow } from '../src/owners/exemptions';
import { CliContext, outputFormat, RegisterVerb } from './context';
import { formatTable, printJson } from './output';

/**
 * `cloudsweep exemptions [--expiring DURATION]`: every key and user kept out of cleanup, by
 * `| protect` or by the protect tag, with its owner, reason, end and who set it (docs/owners.md).
 */
export const register: RegisterVerb = (program, context) => {
  program
    .command('exemptions')
    .description('list the exemptions from cleanup (| protect, the protect tag) with owner, reason, end and who set it')
    .option('--expiring <duration>', 'only those that end within this long (30d, P2W), ended ones included')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ cloudsweep search \'is(user) and name = vendor-sync | protect --until 2027-03-31 --reason "vendor migration"\'\n' +
        '  $ cloudsweep exemptions --expiring 30d\n' +
        'A tag exemption: tag the user cloudsweep:protect = "until=2027-03-31; reason=vendor migration".',
    )
    .action(async (options: { expiring?: string }, command: Command) => {
      const format = outputFormat(command, ['text', 'json']);
      const { parseDuration } = await import('../src/query/durations');
      let expiringWithinMs: number | undefined;
      if (options.expiring !== undefined) {
        expiringWithinMs = parseDuration(options.expiring);
        if (expiringWithinMs === undefined || expiringWithinMs < 0) throw new ValidationError(`--expiring: ${JSON.stringify(options.expiring)} is not a duration such as 30d`);
      }
      const { resolveRuntime, withAws } = await import('./runtime');
      const { createInventoryStore } = await import('../src/inventory/dynamo-store');
      const { createConfigStore } = await import('../src/config/store');
      const { protectTags, safetySettingsFromEnv } = await import('../src/cleanup/policy');
      const { listExemptions } = await import('../src/owners/exemptions');
      const runtime = await resolveRuntime(command, context);
      const { graph } = await withAws(() => createInventoryStore(runtime.aws, runtime.names.inventoryTable).loadGraph(), 'loading the inventory');
      const { config } = await withAws(() => createConfigStore(runtime.aws, runtime.names.configTable).read(), 'reading fix.worker');
      const rows = listExemptions(graph, {
        protectTags: protectTags(safetySettingsFromEnv(context.env), config.fixworker.protect_tag),
        owners: config.notify,
        now: new Date(),
        ...(expiringWithinMs === undefined ? {} : { expiringWithinMs }),
      });
      if (format === 'json') return printJson(context, rows);
      if (rows.length === 0) return context.out(options.expiring === undefined ? 'No exemptions.' : `No exemptions end within ${options.expiring}.`);
      context.out(`${exemptionsTable(context, rows)}\n${rows.length} ${rows.length === 1 ? 'exemption' : 'exemptions'}`);
      const stuck = rows.filter((row) => row.state === 'ended' && row.source.startsWith('tag '));
      if (stuck.length > 0) context.out(`Ended tag exemptions still block cleanup (IAM enforces the tag, not its date): remove the tag from ${stuck.map((row) => row.user_name).join(', ')}.`);
    });
};

function exemptionsTable(context: CliContext, rows: readonly ExemptionRow[]): string {
  return formatTable(context, rows, [
    { header: 'ACCOUNT', value: (row) => row.account },
    { header: 'USER', value: (row) => row.user_name },
    { header: 'ACCESS KEY', value: (row) => (row.kind === 'aws_iam_access_key' ? row.id : '(all keys)') },
    { header: 'OWNER', value: (row) => row.owner },
    { header: 'UNTIL', value: (row) => row.until ?? 'no end' },
    { header: 'STATE', value: (row) => row.state },
    { header: 'REASON', value: (row) => row.reason },
    { header: 'SET BY', value: (row) => row.set_by ?? row.source },
  ]);
}
