import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CliContext, RegisterVerb } from './context';

/** `--output` values that are a format, not a file (the global option shares the flag). */
const DEFAULT_FILE = 'report.html';
/** How far back the audit is read for the chart of the last runs. */
const AUDIT_DAYS = 90;
const RUNS = 10;

/**
 * `cloudsweep report [--output FILE.html]`: one self-contained HTML page from the stored
 * inventory, the audit and the workflow runs (src/report); `--output json` prints its data.
 */
export const register: RegisterVerb = (program: Command, context: CliContext) => {
  program
    .command('report')
    .description(`write an HTML report: key ages per account, stages per run, stale owners, exemptions, the last run (default ${DEFAULT_FILE})`)
    .option('--now <iso>', 'measure ages from this time instead of now (as search --now)')
    .addHelpText(
      'after',
      `\nOne page, no network needed (charts are inline SVG): open it in any browser.\n` +
        `Examples:\n  cloudsweep report                         # writes ${DEFAULT_FILE}\n  cloudsweep report --output /tmp/keys.html\n  cloudsweep report --output json           # the report's data, for scripts`,
    )
    .action(async (options: { now?: string }, command: Command) => {
      const { ValidationError } = await import('../src/errors');
      const output = command.optsWithGlobals<{ output?: string }>().output ?? 'text';
      if (output === 'csv') throw new ValidationError('--output csv is not available for report: give a FILE.html, or json');
      const file = output === 'text' ? DEFAULT_FILE : output === 'json' ? undefined : output;
      const now = options.now === undefined ? new Date() : new Date(options.now);
      if (Number.isNaN(now.getTime())) throw new ValidationError(`--now: ${JSON.stringify(options.now)} is not an ISO 8601 time`);

      const report = await loadReport(command, context, now);
      if (!file) {
        context.out(JSON.stringify(report, null, 2));
        return;
      }
      const { renderReportHtml } = await import('../src/report/report-html');
      await writeFile(file, renderReportHtml(report)).catch((error: Error) => {
        throw new ValidationError(`--output ${file}: cannot write: ${error.message}`);
      });
      if (report.totals.keys === 0) context.err('warning: the inventory is empty; collect first (cloudsweep workflow run collect)');
      context.out(
        `Report written to ${resolve(file)}: ${report.totals.keys} keys in ${report.totals.accounts} accounts, ` +
          `${report.totals.stale_keys} unused for more than ${report.stale_days} days, ${report.runs.length} cleanup runs charted.`,
      );
    });
};

async function loadReport(command: Command, context: CliContext, now: Date) {
  const { explainAwsError, resolveRuntime, withAws } = await import('./runtime');
  const { createInventoryStore } = await import('../src/inventory/dynamo-store');
  const { DynamoAuditStore } = await import('../src/cleanup/dynamo-audit-store');
  const { DynamoRunStore } = await import('../src/workflow/runs');
  const { createConfigStore } = await import('../src/config/store');
  const { protectTags, safetySettingsFromEnv } = await import('../src/cleanup/policy');
  const { buildReport } = await import('../src/report/report-data');

  const runtime = await resolveRuntime(command, context);
  const { aws, names } = runtime;
  const missing = (table: string) => (error: unknown) => {
    throw explainAwsError(error, 'reading the data for the report', { table });
  };
  return withAws(async () => {
    const [inventory, audit, localRuns, config] = await Promise.all([
      createInventoryStore(aws, names.inventoryTable).loadGraph().catch(missing(names.inventoryTable)),
      new DynamoAuditStore(aws.documents, names.auditTable).query({ since: new Date(now.getTime() - AUDIT_DAYS * 86_400_000) }).catch(missing(names.auditTable)),
      new DynamoRunStore(aws, names.runsTable).list(RUNS).catch(missing(names.runsTable)),
      createConfigStore(aws, names.configTable).read().catch(missing(names.configTable)),
    ]);
    const runs = [...localRuns];
    if (names.stateMachineArn) {
      // Deployed runs: the executions, each read for its steps (the cleanup summary is in them).
      const { listExecutions, readExecution } = await import('../src/executions/executions');
      const deps = { sfn: aws.sfn, stateMachineArn: names.stateMachineArn };
      for (const listed of await listExecutions(deps, RUNS)) {
        if (runs.some((run) => run.run_id === listed.run_id)) continue;
        runs.push((await readExecution(deps, listed.run_id)) ?? listed);
      }
    }
    return buildReport({
      graph: inventory.graph,
      ...(inventory.collectedAt ? { collectedAt: inventory.collectedAt } : {}),
      audit,
      runs,
      protectTags: protectTags(safetySettingsFromEnv(context.env), config.config.fixworker.protect_tag),
      now,
      runLimit: RUNS,
    });
  }, 'reading the inventory, audit and runs for the report');
}
