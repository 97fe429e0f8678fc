import { Command, CommanderError, Option } from 'commander';
import { CloudsweepError, ReportedFailure } from '../src/errors';
import { register as audit } from './audit';
import { register as config } from './config';
import { CliContext, processContext, RegisterVerb } from './context';
import { register as exportInventory } from './export';
import { register as init } from './init';
import { register as demo } from './demo';
import { register as jobs } from './jobs';
import { register as search } from './search';
import { register as shell } from './shell';
import { register as workflow } from './workflow';

/**
 * The verbs, in the order `--help` lists them. Each module is light to load: commands import
 * their heavy dependencies (AWS SDK, CDK) only when they run.
 */
const VERBS: RegisterVerb[] = [search, jobs, config, workflow, shell, demo, audit, exportInventory, init];

export function buildProgram(context: CliContext): Command {
  const program = new Command('cloudsweep')
    .description(
      'Find and remove unused AWS IAM access keys across many AWS accounts.\n' +
        'Search the inventory, flag keys with jobs, and clean them up safely.',
    )
    .addOption(new Option('-o, --output <format>', 'output format: text, json, csv (audit only); export: a FILE').default('text'))
    .option('--stack <name>', 'the deployed CloudFormation stack to work against', 'CloudSweep')
    .option('--region <region>', 'AWS region (default: the SDK settings, AWS_REGION)')
    .option('--endpoint-url <url>', 'send every AWS call here (an emulator); default AWS_ENDPOINT_URL')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.out(text.replace(/\n$/, '')),
      writeErr: (text) => context.err(text.replace(/\n$/, '')),
    });
  for (const register of VERBS) register(program, context);
  return program;
}

/** Runs one command line; resolves to the process exit code (0 ok, 1 runtime, 2 usage). */
export async function run(argv: string[], context: CliContext = processContext()): Promise<number> {
  const program = buildProgram(context);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    return reportError(error, context);
  }
}

export function reportError(error: unknown, context: CliContext): number {
  if (error instanceof CommanderError) {
    // Help and version are printed by commander and are not failures; usage errors exit 2.
    if (error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.help') return 0;
    return 2;
  }
  if (error instanceof ReportedFailure) return error.exitCode;
  if (error instanceof CloudsweepError) {
    context.err(`error: ${error.message}`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  context.err(`error: ${message}`);
  if (context.env.CLOUDSWEEP_DEBUG && error instanceof Error && error.stack) context.err(error.stack);
  return 1;
}

export async function main(argv: string[]): Promise<void> {
  process.exitCode = await run(argv);
}
