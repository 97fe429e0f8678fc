import type { Command } from 'commander';
import { CliContext, RegisterVerb } from './context';

/** `--output` values that still mean "print to stdout" (the global format option shares the flag). */
const STDOUT_FORMATS = new Set(['text', 'json']);

/**
 * `cloudsweep export [--output FILE]`: the stored inventory as a snapshot file (SPEC section 10),
 * for `search --snapshot FILE` without AWS, or for other tools. Printed to stdout without a file.
 */
export const register: RegisterVerb = (program: Command, context: CliContext) => {
  program
    .command('export')
    .description('write the stored inventory as a snapshot file (stdout unless --output FILE)')
    .addHelpText('after', '\nExample:\n  cloudsweep export --output inventory.json\n  cloudsweep search --snapshot inventory.json \'is(access_key) | count\'')
    .action(async (_options: unknown, command: Command) => {
      const output = command.optsWithGlobals<{ output?: string }>().output ?? 'text';
      const file = STDOUT_FORMATS.has(output) ? undefined : output;
      const { resolveRuntime, explainAwsError } = await import('./runtime');
      const { createInventoryStore } = await import('../src/inventory/dynamo-store');
      const { toSnapshotFile } = await import('../src/inventory/snapshot');
      const { ValidationError } = await import('../src/errors');
      const { writeFile } = await import('node:fs/promises');

      const runtime = await resolveRuntime(command, context);
      const table = runtime.names.inventoryTable;
      const loaded = await createInventoryStore(runtime.aws, table)
        .loadGraph()
        .catch((error: unknown) => {
          throw explainAwsError(error, 'loading the inventory', { table });
        });
      if (loaded.graph.size === 0) context.err(`warning: the inventory was never collected (table ${table} holds no account); collect first: cloudsweep workflow run collect`);
      const snapshot = toSnapshotFile(loaded.graph, loaded.collectedAt ?? new Date().toISOString());
      const text = JSON.stringify(snapshot, null, file ? undefined : 2);
      if (!file) {
        context.out(text);
        return;
      }
      await writeFile(file, `${text}\n`).catch((error: Error) => {
        throw new ValidationError(`--output ${file}: cannot write: ${error.message}`);
      });
      const count = (kind: string, noun: string) => {
        const n = snapshot.nodes.filter((node) => node.kind === kind).length;
        return `${n} ${noun}${n === 1 ? '' : 's'}`;
      };
      context.out(
        `Exported ${count('aws_account', 'account')}, ${count('aws_iam_user', 'user')} and ${count('aws_iam_access_key', 'access key')} ` +
          `(collected ${snapshot.collected_at}) to ${file}.`,
      );
    });
};
