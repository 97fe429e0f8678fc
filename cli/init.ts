import type { Command } from 'commander';
import { CliContext, globalOptions, RegisterVerb } from './context';
import { formatTable, printJson } from './output';

/**
 * `cloudsweep init`: creates the tables and the event bus that in-process use needs, where they
 * are missing (an emulator, or an account without the stack). Safe to run again.
 */
export const register: RegisterVerb = (program: Command, context: CliContext) => {
  program
    .command('init')
    .description('create the DynamoDB tables and the EventBridge bus where missing (for --in-process use)')
    .action(async (_options: unknown, command: Command) => {
      const { output } = globalOptions(command);
      const { resolveRuntime, explainAwsError } = await import('./runtime');
      const { ensureResources } = await import('../src/aws/provision');
      const runtime = await resolveRuntime(command, context);
      const resources = await ensureResources(runtime.aws, runtime.names).catch((error: unknown) => {
        throw explainAwsError(error, 'creating the tables and the event bus');
      });
      if (output === 'json') {
        printJson(context, { resources });
        return;
      }
      context.out(
        formatTable(context, resources, [
          { header: 'RESOURCE', value: (r) => (r.kind === 'table' ? 'table' : 'event bus') },
          { header: 'NAME', value: (r) => r.name },
          { header: 'STATUS', value: (r) => r.status },
        ]),
      );
      const created = resources.filter((r) => r.status === 'created').length;
      context.out(created === 0 ? 'Everything was already there.' : `Created ${created} of ${resources.length}.`);
    });
};
