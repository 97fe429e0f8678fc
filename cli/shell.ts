import type { Command } from 'commander';
import type { ReadStream } from 'node:tty';
import { ReportedFailure } from '../src/errors';
import type { CliContext, RegisterVerb } from './context';
import type { Completion } from './shell-completion';
import type { OptionTakesValue } from './shell-words';

/**
 * `cloudsweep shell`: a `> ` prompt with history and tab completion where every command of the seed
 * document works exactly as written. When stdin is not a terminal it reads one command per line
 * and prints each result without prompts, so scripts can pipe commands into it; it then exits 0
 * if every line succeeded, else with the code of the last line that failed.
 */
export const register: RegisterVerb = (program, context) => {
  program
    .command('shell')
    .description('an interactive prompt for cloudsweep commands; reads commands from stdin when it is not a terminal')
    .action(async () => {
      const [{ buildProgram, run }, { commandTree, complete }, { RuntimeCache }] = await Promise.all([
        import('./main'),
        import('./shell-completion'),
        import('./runtime'),
      ]);
      const shape = buildProgram(silent(context));
      const tree = commandTree(shape);
      // One lookup of the stack and one set of connections for the session's lines.
      const session: CliContext = { ...context, runtimes: new RuntimeCache() };
      const code = await runShell({
        input: process.stdin,
        output: process.stdout,
        interactive: Boolean(process.stdin.isTTY),
        context: session,
        execute: (argv) => run(argv, session),
        takesValue: optionTakesValue(shape),
        verbs: shape.commands.flatMap((command) => [command.name(), ...command.aliases()]),
        completer: (line) => complete(line, tree),
        historyFile: historyFile(context.env),
      });
      if (code !== 0) throw new ReportedFailure(code === 2 ? 2 : 1);
    });
};

export interface ShellOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** A person at a terminal: prompt, completion, history. Otherwise: one command per line, no prompt. */
  interactive: boolean;
  context: CliContext;
  /** Runs one command line (the CLI's `run`); resolves to its exit code. */
  execute(argv: string[]): Promise<number>;
  takesValue: OptionTakesValue;
  /** The program's verbs: a line starting with anything else that parses as a query is run as a search. */
  verbs?: readonly string[];
  completer?: (line: string) => Completion;
  /** Where interactive history is kept between sessions; none when undefined. */
  historyFile?: string;
}

type LineOutcome = number | 'exit';

/** Runs the shell until `exit`, `quit` or end of input; resolves to the exit code. */
export async function runShell(options: ShellOptions): Promise<number> {
  const { lineToArgv } = await import('./shell-words');
  const runLine = async (line: string): Promise<LineOutcome> => {
    let argv: string[];
    try {
      const parsed = lineToArgv(line, options.takesValue);
      if (parsed.empty) return 0;
      argv = parsed.argv;
    } catch (error) {
      options.context.err(`error: ${(error as Error).message}`);
      return 2;
    }
    const [first, ...rest] = argv;
    if (first === 'exit' || first === 'quit') return 'exit';
    if (first === 'help') {
      const code = await options.execute([...rest, '--help']);
      if (rest.length === 0) options.context.out(SHELL_HELP);
      return code;
    }
    if (first === 'shell') {
      options.context.err('error: already in the cloudsweep shell');
      return 2;
    }
    if (first !== undefined && options.verbs !== undefined && !first.startsWith('-') && !options.verbs.includes(first) && (await isQuery(line))) {
      // The guide's lines start with `search`; a query typed without it means the same.
      options.context.err(`(running it as a search: search ${line.trim()})`);
      return options.execute(lineToArgv(`search ${line}`, options.takesValue).argv);
    }
    return options.execute(argv);
  };
  return options.interactive ? interactive(options, runLine) : scripted(options, runLine);
}

/** What the shell adds to the program's help. */
const SHELL_HELP = [
  '',
  'In the shell:',
  '  help [command]  this help, or a command\'s',
  '  exit, quit      leave the shell (or Ctrl-D)',
  '  QUERY [| ...]   a line that starts with a query runs as a search: is(access_key) | count',
].join('\n');

/** The line is a search query as it stands (`is(user) | count`), not a mistyped verb. */
async function isQuery(line: string): Promise<boolean> {
  const { parse } = await import('../src/query/parser');
  try {
    parse(line.trim());
    return true;
  } catch {
    return false;
  }
}

async function scripted(options: ShellOptions, runLine: (line: string) => Promise<LineOutcome>): Promise<number> {
  const { createInterface } = await import('node:readline');
  const lines = createInterface({ input: options.input, terminal: false, crlfDelay: Infinity });
  let status = 0;
  try {
    for await (const line of lines) {
      const outcome = await runLine(line);
      if (outcome === 'exit') break;
      if (outcome !== 0) status = outcome;
    }
  } finally {
    lines.close();
  }
  return status;
}

async function interactive(options: ShellOptions, runLine: (line: string) => Promise<LineOutcome>): Promise<number> {
  const { createInterface } = await import('node:readline');
  const history = await import('./shell-history');
  const { paint } = await import('./output');
  const { withAbortSignal } = await import('../src/aws/abort');
  const rl = createInterface({
    input: options.input,
    output: options.output,
    terminal: true,
    prompt: paint(options.context, 'cyan', '> '),
    history: options.historyFile ? history.loadHistory(options.historyFile) : [],
    historySize: history.HISTORY_SIZE,
    removeHistoryDuplicates: true,
    ...(options.completer ? { completer: options.completer } : {}),
  });
  options.context.out('cloudsweep shell: type a command (help lists them), Tab completes, exit or Ctrl-D leaves.');
  return new Promise<number>((resolve) => {
    const queue: string[] = [];
    let busy = false;
    let closed = false;
    const drain = async () => {
      if (busy) return;
      busy = true;
      while (queue.length > 0 && !closed) {
        const line = queue.shift() ?? '';
        // A command may hand the terminal to an editor (config edit): stop reading it meanwhile.
        rl.pause();
        if (options.historyFile && line.trim() !== '') history.appendHistory(options.historyFile, line);
        const outcome = await abortableOnCtrlC(options.input, (signal) => withAbortSignal(signal, () => runLine(line)));
        if (outcome === 'exit') rl.close();
      }
      busy = false;
      if (closed) resolve(0);
      else {
        rl.resume();
        rl.prompt();
      }
    };
    rl.on('line', (line) => {
      queue.push(line);
      void drain();
    });
    rl.on('SIGINT', () => {
      if (rl.line !== '') rl.write(null, { ctrl: true, name: 'u' });
      else options.output.write('\n(type exit or press Ctrl-D to leave)\n');
      rl.prompt();
    });
    rl.on('close', () => {
      closed = true;
      options.output.write('\n');
      if (!busy) resolve(0);
    });
    rl.prompt();
  });
}

/**
 * Runs one command that Ctrl-C aborts, leaving the shell at its prompt. While it runs the terminal
 * is in its usual (cooked) mode, so Ctrl-C is the SIGINT signal, as in any shell, and text typed
 * meanwhile waits for the prompt; readline's raw mode, where Ctrl-C is a key, is back afterwards.
 */
async function abortableOnCtrlC<T>(input: NodeJS.ReadableStream, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const terminal = input as Partial<Pick<ReadStream, 'isTTY' | 'isRaw' | 'setRawMode'>>;
  const raw = terminal.isTTY === true && terminal.isRaw === true;
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  if (raw) terminal.setRawMode?.(false);
  process.on('SIGINT', onSigint);
  try {
    return await run(controller.signal);
  } finally {
    process.removeListener('SIGINT', onSigint);
    if (raw) terminal.setRawMode?.(true);
  }
}

/** Which options take a value, read from the program: a verb's own, then the global ones. */
export function optionTakesValue(program: Command): OptionTakesValue {
  return (verb, flag) => {
    const command = verb === undefined ? undefined : program.commands.find((c) => c.name() === verb);
    const options = [...(command?.options ?? []), ...program.options];
    const option = options.find((o) => o.long === flag || o.short === flag);
    return option !== undefined && (option.required || option.optional);
  };
}

function historyFile(env: NodeJS.ProcessEnv): string | undefined {
  if (env.CLOUDSWEEP_HISTORY !== undefined) return env.CLOUDSWEEP_HISTORY || undefined;
  const home = env.HOME ?? env.USERPROFILE;
  return home ? `${home}/.cloudsweep_history` : undefined;
}

/** A context that prints nothing: the program is built only to read its shape. */
function silent(context: CliContext): CliContext {
  return { ...context, out: () => undefined, err: () => undefined };
}
