import type { Command } from 'commander';

/**
 * What a command needs from its surroundings, injected so that the shell, the demo and the tests
 * can run commands in-process and read what they print.
 */
export interface CliContext {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Standard output is a terminal: colour and progress displays are allowed. */
  isTTY: boolean;
  /** Colour only on a TTY, never with NO_COLOR set. */
  color: boolean;
}

export function processContext(): CliContext {
  const isTTY = Boolean(process.stdout.isTTY);
  return {
    out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    env: process.env,
    isTTY,
    color: isTTY && !process.env.NO_COLOR,
  };
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
  return command.optsWithGlobals<GlobalOptions>();
}

/** A verb of the CLI: one file under cli/ that adds its command(s) to the program. */
export type RegisterVerb = (program: Command, context: CliContext) => void;
