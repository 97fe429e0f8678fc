import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { buildProgram } from '../../cli/main';
import { optionTakesValue, runShell, ShellOptions } from '../../cli/shell';
import type { CliContext } from '../../cli/context';
import { SEED_COMMANDS } from '../../src/demo/seed-commands';

const ROOT = join(__dirname, '..', '..');

function capture(): CliContext & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (t) => void lines.push(t), err: (t) => void errors.push(t), env: {}, isTTY: false, color: false };
}

/** Runs the shell on these input lines with a recording `execute` that answers `codes` in turn. */
async function shellOn(input: string, codes: number[] = [], extra: Partial<ShellOptions> = {}) {
  const context = capture();
  const executed: string[][] = [];
  const stdin = new PassThrough();
  stdin.end(input);
  const status = await runShell({
    input: stdin,
    output: new PassThrough(),
    interactive: false,
    context,
    execute: async (argv) => {
      executed.push(argv);
      return codes[executed.length - 1] ?? 0;
    },
    takesValue: optionTakesValue(buildProgram(context)),
    ...extra,
  });
  return { status, executed, context };
}

describe('cloudsweep shell, reading commands from stdin', () => {
  it('runs each seed line with the argv the CLI expects', async () => {
    const lines = [SEED_COMMANDS.countUnusedByUser, SEED_COMMANDS.addJob, SEED_COMMANDS.configEdit, SEED_COMMANDS.runCleanup];
    const { status, executed } = await shellOn(`${lines.join('\n')}\n`);
    expect(status).toBe(0);
    expect(executed).toEqual([
      ['search', 'is(access_key) and last_access > 90days <-- is(user) | count name'],
      ['jobs', 'add', '--id', 'clean_outdated_access_keys', '--wait-for-event', 'post_collect',
        'search is(access_key) and last_access > 90days and /ancestors.user.reported.name not in [jenkins, ci] | clean'],
      ['config', 'edit', 'fix.worker'],
      ['workflow', 'run', 'cleanup'],
    ]);
  });

  it('exits with the code of the last failing line, running the lines after it', async () => {
    const { status, executed } = await shellOn('a\nb\nc\nd\n', [0, 2, 1, 0]);
    expect(executed).toHaveLength(4);
    expect(status).toBe(1);
  });

  it('exits 0 when every line succeeded', async () => {
    expect((await shellOn('a\nb\n', [0, 0])).status).toBe(0);
  });

  it('stops at exit or quit', async () => {
    expect((await shellOn('a\nexit\nb\n')).executed).toEqual([['a']]);
    expect((await shellOn('quit\nb\n')).executed).toEqual([]);
  });

  it('skips blank lines and comments', async () => {
    expect((await shellOn('\n# comment\n  \na\n')).executed).toEqual([['a']]);
  });

  it('reports a malformed line with code 2 and goes on', async () => {
    const { status, executed, context } = await shellOn("jobs add 'unterminated\nb\n", [0]);
    expect(executed).toEqual([['b']]);
    expect(status).toBe(2);
    expect(context.errors.join('\n')).toMatch(/unterminated single quote at column 10/);
  });

  it('runs a line that starts with a query as a search, and says so', async () => {
    const verbs = ['search', 'jobs', 'config', 'workflow'];
    const { executed, context } = await shellOn('is(access_key) and last_access > 90days | count\nno-such-verb\n', [], { verbs });
    expect(executed).toEqual([['search', 'is(access_key) and last_access > 90days | count'], ['no-such-verb']]);
    expect(context.errors).toEqual(['(running it as a search: search is(access_key) and last_access > 90days | count)']);
  });

  it('lists the shell\'s own words, exit among them, after the help', async () => {
    const { executed, context } = await shellOn('help\n');
    expect(executed).toEqual([['--help']]);
    expect(context.lines.join('\n')).toMatch(/In the shell:\n.*help \[command\].*\n {2}exit, quit {6}leave the shell \(or Ctrl-D\)/);
  });

  it('turns help into --help and refuses a shell inside the shell', async () => {
    const { executed, status, context } = await shellOn('help jobs\nshell\n');
    expect(executed).toEqual([['jobs', '--help']]);
    expect(status).toBe(2);
    expect(context.errors).toContain('error: already in the cloudsweep shell');
  });
});

describe('cloudsweep shell at a terminal', () => {
  it('prompts, runs a line, completes with Tab and keeps history', async () => {
    const history = join(mkdtempSync(join(tmpdir(), 'cloudsweep-shell-')), 'history');
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let shown = '';
    stdout.on('data', (chunk: Buffer) => (shown += chunk.toString()));
    const context = capture();
    const executed: string[][] = [];
    const done = runShell({
      input: stdin,
      output: stdout,
      interactive: true,
      context,
      execute: async (argv) => {
        executed.push(argv);
        return 0;
      },
      takesValue: () => false,
      completer: (line) => [['workflow'].filter((c) => c.startsWith(line)), line],
      historyFile: history,
    });
    const tick = () => new Promise((resolve) => setTimeout(resolve, 20));
    // Typed piece by piece: readline does not complete inside pasted text.
    for (const keys of ['workf', '\t', ' run cleanup', '\r']) {
      stdin.write(keys);
      await tick();
    }
    stdin.end();
    expect(await done).toBe(0);
    expect(shown).toContain('> ');
    expect(executed).toEqual([['workflow', 'run', 'cleanup']]);
    expect(readFileSync(history, 'utf8')).toBe('workflow run cleanup\n');
  });
});

describe('the cloudsweep shell command', () => {
  it('reads lines piped into it and prints each result without prompts', () => {
    const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'cloudsweep.js'), 'shell'], {
      input: '--help\nhelp shell\n',
      encoding: 'utf8',
      env: { ...process.env, CLOUDSWEEP_HISTORY: '' },
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: cloudsweep \[options\] \[command\]/);
    expect(result.stdout).toContain('Usage: cloudsweep shell');
    expect(result.stdout).not.toMatch(/^> /m);
  });

  it('exits with the last failing code of the piped lines', () => {
    const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'cloudsweep.js'), 'shell'], {
      input: 'no-such-verb\n--help\n',
      encoding: 'utf8',
      env: { ...process.env, CLOUDSWEEP_HISTORY: '' },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/unknown command 'no-such-verb'/);
  });
});
