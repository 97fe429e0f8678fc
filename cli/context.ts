import type { Command } from 'commander';
import { ValidationError } from '../src/errors';
import type { RuntimeCache } from './runtime';

/**
 * What a command needs from its surroundings, injected so that the shell, the demo and the tests
 * can run commands in-process and read what they print.
 */
export interface CliContext {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Standard output is a terminal: colour and progress displays are allowed. */
  isTTY: boolean;
  /** Colour only on a TTY, never with NO_COLOR set. */
  color: boolean;
  /** The width tables are cut to: COLUMNS when set, else the terminal's when standard output is one. */
  columns?: number;
  /** Set by the shell: where earlier lines worked (clients, stack outputs), reused by later ones. */
  runtimes?: RuntimeCache;
}

export function processContext(): CliContext {
  const isTTY = Boolean(process.stdout.isTTY);
  return {
    out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    env: process.env,
    isTTY,
    color: isTTY && !process.env.NO_COLOR,
    ...withColumns(terminalWidth(process.env, isTTY ? process.stdout.columns : undefined)),
  };
}

/**
 * The width to fit tables to: COLUMNS (a positive whole number) wins, as it does for `ls`, so a
 * script or pager can ask for it; else the terminal's; else none, and tables print whole.
 */
export function terminalWidth(env: NodeJS.ProcessEnv, ttyColumns: number | undefined): number | undefined {
  const fromEnv = Number(env.COLUMNS);
  if (env.COLUMNS !== undefined && env.COLUMNS.trim() !== '' && Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return ttyColumns !== undefined && ttyColumns > 0 ? ttyColumns : undefined;
}

function withColumns(columns: number | undefined): Pick<CliContext, 'columns'> {
  return columns === undefined ? {} : { columns };
}

export type OutputFormat = 'text' | 'json';

/** Options every command accepts, before or after its name. */
export interface GlobalOptions {
  output: OutputFormat;
  stack: string;
  region?: string;
  endpointUrl?: string;
}

export function globalOptions(command: Command): GlobalOptions {
  const options = command.optsWithGlobals<GlobalOptions>();
  outputFormat(command, ['text', 'json']);
  return options;
}

/** `--output json`: print the stable JSON form instead of text. */
export function isJson(command: Command): boolean {
  return globalOptions(command).output === 'json';
}

/**
 * The `--output` format, refused (exit 2) unless this command offers it: the global option also
 * accepts `csv`, which only some commands (audit) print.
 */
export function outputFormat<Format extends string>(command: Command, offered: readonly Format[]): Format {
  const output = command.optsWithGlobals<{ output?: string }>().output ?? 'text';
  if (!(offered as readonly string[]).includes(output)) {
    throw new ValidationError(`--output ${output} is not available for ${command.name()}: use ${offered.join(', ')}`);
  }
  return output as Format;
}

/** A verb of the CLI: one file under cli/ that adds its command(s) to the program. */
export type RegisterVerb = (program: Command, context: CliContext) => void;
