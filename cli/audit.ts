import { Command } from 'commander';
import { RuntimeError, ValidationError } from '../src/errors';
import { CliContext, outputFormat, RegisterVerb } from './context';
import { formatTable } from './output';

/**
 * `cloudsweep audit [--run RUN] [--since DURATION] [--output text|json|csv]`: what cleanup decided,
 * key by key, from the audit table (SPEC section 7).
 */
export const register: RegisterVerb = (program: Command, context: CliContext) => {
  program
    .command('audit')
    .description('show the cleanup audit log: every decision on every flagged key (text, json or csv)')
    .option('--run <run>', 'only the entries of this workflow run')
    .option('--since <duration>', 'only entries from this long ago or later (7d, 24h, P1D) or since a date (2026-01-01)')
    .addHelpText('after', '\nOutput: --output text (an aligned table), json (an array of entries) or csv (with a header).')
    .action(async (options: { run?: string; since?: string }, command: Command) => {
      const format = outputFormat(command, ['text', 'json', 'csv']);
      const { parseDatetime, parseDuration } = await import('../src/query/durations');
      let since: Date | undefined;
      if (options.since !== undefined) {
        const ms = parseDuration(options.since);
        const at = ms === undefined ? parseDatetime(options.since) : Date.now() - Math.abs(ms);
        if (at === undefined) {
          throw new ValidationError(`--since: ${JSON.stringify(options.since)} is neither a duration (7d, 24h, P1D) nor a date (2026-01-01)`);
        }
        since = new Date(at);
      }
      if (options.run !== undefined && options.run.trim() === '') throw new ValidationError('--run: the run id is empty');

      const { resolveRuntime, explainAwsError } = await import('./runtime');
      const { DynamoAuditStore } = await import('../src/cleanup/dynamo-audit-store');
      const { auditCsv, auditJson, resultCounts } = await import('../src/cleanup/audit-format');
      const runtime = await resolveRuntime(command, context);
      const store = new DynamoAuditStore(runtime.aws.documents, runtime.names.auditTable);
      let entries;
      try {
        entries = await store.query({ ...(options.run !== undefined ? { runId: options.run } : {}), ...(since ? { since } : {}) });
      } catch (error) {
        if ((error as { name?: string }).name === 'ResourceNotFoundException') {
          throw new RuntimeError(`the audit table ${runtime.names.auditTable} does not exist: deploy the stack or run cloudsweep init`);
        }
        throw explainAwsError(error, `reading the audit table ${runtime.names.auditTable}`);
      }
      if (format === 'json') return context.out(auditJson(entries));
      if (format === 'csv') return context.out(auditCsv(entries));
      if (entries.length === 0) {
        return context.out(options.run !== undefined ? `No audit entries for run ${options.run}.` : 'No audit entries.');
      }
      context.out(
        formatTable(entries, [
          { header: 'AT', value: (entry) => entry.at.replace(/\.\d{3}Z$/, 'Z') },
          { header: 'RUN', value: (entry) => entry.run_id },
          { header: 'ACCOUNT', value: (entry) => entry.account },
          { header: 'USER', value: (entry) => entry.user_name },
          { header: 'ACCESS KEY', value: (entry) => entry.access_key_id },
          { header: 'ACTION', value: (entry) => entry.action },
          { header: 'RESULT', value: (entry) => entry.result },
          { header: 'DRY RUN', value: (entry) => (entry.dry_run ? 'yes' : 'no') },
          { header: 'JOB', value: (entry) => entry.job_id ?? '' },
          { header: 'REASON', value: (entry) => entry.reason },
        ]),
      );
      context.out(`${entries.length} entries (${resultCounts(entries)})`);
    });
};
