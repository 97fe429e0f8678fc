import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { currentAbortSignal } from '../src/aws/abort';
import { CloudsweepError, ReportedFailure, ValidationError } from '../src/errors';
import { COMMAND_NAMES } from '../src/query/ast';
import { register as audit } from './audit';
import { register as config } from './config';
import { CliContext, processContext, RegisterVerb } from './context';
import { register as exemptions } from './exemptions';
import { register as exportInventory } from './export';
import { register as init } from './init';
import { register as demo } from './demo';
import { register as jobs } from './jobs';
import { register as report } from './report';
import { register as restore } from './restore';
import { register as search } from './search';
import { register as shell } from './shell';
import { register as workflow } from './workflow';

/**
 * The verbs, in the order `--help` lists them. Each module is light to load: commands import
 * their heavy dependencies (AWS SDK, CDK) only when they run.
 */
const VERBS: RegisterVerb[] = [search, jobs, config, workflow, shell, demo, audit, exemptions, restore, report, exportInventory, init];

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
    .version(packageVersion(), '-V, --version', 'print the version of cloudsweep')
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
    refuseSearchCommandAsVerb(argv, program);
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
  if (currentAbortSignal()?.aborted) {
    // Ctrl-C in the shell: whatever the aborted call's error says, the user stopped it.
    context.err('Interrupted by Ctrl-C (SIGINT).');
    return 130;
  }
  if (error instanceof CloudsweepError) {
    context.err(`error: ${error.message}`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  context.err(`error: ${message}`);
  if (context.env.CLOUDSWEEP_DEBUG && error instanceof Error && error.stack) context.err(error.stack);
  return 1;
}

/**
 * `cloudsweep clean` (or count, protect, ...): a search's command typed as a verb. Said plainly,
 * with where it goes, rather than commander's "unknown command".
 */
function refuseSearchCommandAsVerb(argv: readonly string[], program: Command): void {
  const takesValue = new Set(program.options.filter((option) => option.required || option.optional).flatMap((option) => [option.long, option.short]));
  let at = 0;
  while (at < argv.length && argv[at]?.startsWith('-')) at += takesValue.has(argv[at]) && !argv[at]?.includes('=') ? 2 : 1;
  const word = argv[at];
  if (word === undefined || program.commands.some((command) => command.name() === word || command.aliases().includes(word))) return;
  if (!(COMMAND_NAMES as readonly string[]).includes(word)) return;
  const example = word === 'clean' ? 'is(access_key) and last_access > 90days | clean' : `is(access_key) | ${word}`;
  throw new ValidationError(`${word} is not a command of its own: it is a search command and goes after | in a search, as in: cloudsweep search '${example}'`);
}

/** The version in package.json, found from here both in the sources (cli/) and once built (dist/cli/). */
function packageVersion(): string {
  for (const up of ['..', '../..']) {
    try {
      const found = JSON.parse(readFileSync(join(__dirname, up, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (found.name === 'cloudsweep' && found.version) return found.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}

export async function main(argv: string[]): Promise<void> {
  process.exitCode = await run(argv);
}
