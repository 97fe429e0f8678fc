import { Command } from 'commander';
import { ValidationError } from '../src/errors';
import type { AuditEntry, ChangeRecord } from '../src/cleanup/audit';
import { CliContext, outputFormat, RegisterVerb } from './context';
import { formatTable } from './output';

/**
 * `cloudsweep audit [--run RUN] [--since DURATION] [--changes] [--output text|json|csv]`: what
 * cleanup decided, key by key, from the audit table (SPEC section 7), and who changed a job, the
 * config or a flag. Text shows both; JSON and CSV keep SPEC 7's decisions, `--changes` the changes.
 */
export const register: RegisterVerb = (program: Command, context: CliContext) => {
  program
    .command('audit')
    .description('show the audit log: every cleanup decision on every flagged key, and who changed a job, the config or a flag')
    .option('--run <run>', 'only the entries of this workflow run')
    .option('--since <duration>', 'only entries from this long ago or later (7d, 24h, P1D) or since a date (2026-01-01); default 7d, unless --run is given')
    .option('--changes', 'only the changes: who changed a job, the config or a flag, with before and after')
    .addHelpText(
      'after',
      '\nOutput: --output text (the decisions, then the changes, as aligned tables), json (an array of decisions,\n' +
        'or of changes with --changes) or csv (with a header).',
    )
    .action(async (options: { run?: string; since?: string; changes?: boolean }, command: Command) => {
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
      // The audit grows with every run: without a run or a time, show the last week.
      const sinceDefault = options.since === undefined && options.run === undefined;
      if (sinceDefault) since = new Date(Date.now() - DEFAULT_SINCE_DAYS * 86_400_000);
      const more = sinceDefault ? `Showing the last ${DEFAULT_SINCE_DAYS} days; older entries: cloudsweep audit --since 90d (or --since 2026-01-01, or --run RUN).` : undefined;
      if (options.run !== undefined && options.run.trim() === '') throw new ValidationError('--run: the run id is empty');

      const { resolveRuntime, explainAwsError } = await import('./runtime');
      const { DynamoAuditStore } = await import('../src/cleanup/dynamo-audit-store');
      const { auditCsv, auditJson, changesCsv, changesJson, resultCounts } = await import('../src/cleanup/audit');
      const runtime = await resolveRuntime(command, context);
      const store = new DynamoAuditStore(runtime.aws.documents, runtime.names.auditTable);
      const filter = { ...(options.run !== undefined ? { runId: options.run } : {}), ...(since ? { since } : {}) };
      const read = async <T>(what: () => Promise<T>): Promise<T> => {
        try {
          return await what();
        } catch (error) {
          throw explainAwsError(error, 'reading the audit', { table: runtime.names.auditTable });
        }
      };
      if (options.changes === true) {
        if (options.run !== undefined) throw new ValidationError('--changes and --run: changes belong to no workflow run; use --since to choose the time');
        const changes = await read(() => store.changes(filter));
        if (format === 'json') return context.out(changesJson(changes));
        if (format === 'csv') return context.out(changesCsv(changes));
        return context.out(changes.length === 0 ? 'No changes recorded.' : changesTable(context, changes));
      }
      // Newest first: the last run's decisions are what one looks for.
      const entries = (await read(() => store.query(filter))).sort((a, b) => b.at.localeCompare(a.at));
      if (format === 'json') return context.out(auditJson(entries));
      if (format === 'csv') return context.out(auditCsv(entries));
      // Text shows the changes of the same time too; a run's entries have none.
      const changes = options.run === undefined ? await read(() => store.changes(filter)) : [];
      if (entries.length === 0 && changes.length === 0) {
        context.out(options.run !== undefined ? `No audit entries for run ${options.run}.` : sinceDefault ? `No audit entries in the last ${DEFAULT_SINCE_DAYS} days.` : 'No audit entries.');
        if (more) context.out(more);
        return;
      }
      if (entries.length > 0) context.out(`${entriesTable(context, entries)}\n${entries.length} entries (${resultCounts(entries)}), newest first`);
      if (changes.length > 0) {
        if (entries.length > 0) context.out('');
        context.out(changesTable(context, changes));
      }
      if (more) context.out(more);
    });
};

/** What `audit` shows without --since or --run. */
const DEFAULT_SINCE_DAYS = 7;

function entriesTable(context: CliContext, entries: AuditEntry[]): string {
  return formatTable(context, entries, [
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
  ]);
}

/** A flag change names up to 100 nodes: text shows the first three and how many more (JSON and CSV have all). */
function shortTarget(target: string): string {
  const ids = target.split(' ');
  return ids.length <= 3 ? target : `${ids.slice(0, 3).join(' ')} (+${ids.length - 3} more)`;
}

function changesTable(context: CliContext, changes: ChangeRecord[]): string {
  const table = formatTable(context, changes, [
    { header: 'AT', value: (change) => change.at.replace(/\.\d{3}Z$/, 'Z') },
    { header: 'WHO', value: (change) => change.who },
    { header: 'CHANGED', value: (change) => `${change.subject} ${change.action}` },
    { header: 'TARGET', value: (change) => shortTarget(change.target) },
    { header: 'BEFORE', value: (change) => change.before ?? '' },
    { header: 'AFTER', value: (change) => change.after ?? '' },
    { header: 'REASON', value: (change) => change.reason },
  ]);
  return `${table}\n${changes.length} ${changes.length === 1 ? 'change' : 'changes'}`;
}
