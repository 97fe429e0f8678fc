import { lineToArgv, OptionTakesValue, splitWords } from '../../cli/shell-words';
import { ValidationError } from '../../src/errors';
import { SEED_COMMANDS, SEED_JOB_COMMAND } from '../../src/demo/seed-commands';

const VALUE_OPTIONS = new Set(['--now', '--snapshot', '--output', '-o', '--stack', '--region', '--id', '--wait-for-event']);
const takesValue: OptionTakesValue = (_verb, flag) => VALUE_OPTIONS.has(flag);
const argv = (line: string) => lineToArgv(line, takesValue).argv;

describe('splitting a shell line into words', () => {
  it('splits on blanks and keeps single-quoted text whole', () => {
    expect(splitWords("jobs add --id x 'a | b  c'").map((w) => w.text)).toEqual(['jobs', 'add', '--id', 'x', 'a | b  c']);
  });

  it('honours double quotes with backslash escapes', () => {
    expect(splitWords('say "a \\"quoted\\" \\\\ word" b').map((w) => w.text)).toEqual(['say', 'a "quoted" \\ word', 'b']);
  });

  it('escapes a character outside quotes with a backslash', () => {
    expect(splitWords('a\\ b c').map((w) => w.text)).toEqual(['a b', 'c']);
  });

  it('joins adjacent quoted and bare parts into one word', () => {
    expect(splitWords(`x'y z'"w"`).map((w) => w.text)).toEqual(['xy zw']);
  });

  it('names the column of an unterminated quote', () => {
    expect(() => splitWords("jobs add 'search all")).toThrow(ValidationError);
    expect(() => splitWords("jobs add 'search all")).toThrow(/unterminated single quote at column 10/);
  });
});

describe('the argv of a shell line', () => {
  it('passes everything after search as one argument, arrows and pipes included', () => {
    expect(argv(SEED_COMMANDS.countUnusedByUser)).toEqual([
      'search',
      'is(access_key) and last_access > 90days <-- is(user) | count name',
    ]);
  });

  it('keeps brackets and lists of a search intact', () => {
    expect(argv(SEED_COMMANDS.flagUnused)).toEqual(['search', SEED_JOB_COMMAND.replace(/^search /, '')]);
  });

  it('keeps quotes inside a search query for the query parser', () => {
    expect(argv(`search "full text" and name = 'x' | count`)).toEqual(['search', `"full text" and name = 'x' | count`]);
  });

  it('unquotes a search query given as one quoted word, as a shell would', () => {
    expect(argv(`search 'is(user) | count name'`)).toEqual(['search', 'is(user) | count name']);
  });

  it('reads the options before a search query', () => {
    expect(argv('search --now 2026-01-01T00:00:00Z --snapshot inv.json is(user) | count')).toEqual([
      'search', '--now', '2026-01-01T00:00:00Z', '--snapshot', 'inv.json', 'is(user) | count',
    ]);
    expect(argv('--output json search --now=2026-01-01 all')).toEqual(['--output', 'json', 'search', '--now=2026-01-01', 'all']);
  });

  it('splits other commands shell-like, so the job command stays one argument', () => {
    expect(argv(SEED_COMMANDS.addJob)).toEqual([
      'jobs', 'add', '--id', 'clean_outdated_access_keys', '--wait-for-event', 'post_collect', SEED_JOB_COMMAND,
    ]);
    expect(argv(SEED_COMMANDS.configEdit)).toEqual(['config', 'edit', 'fix.worker']);
    expect(argv(SEED_COMMANDS.runCleanup)).toEqual(['workflow', 'run', 'cleanup']);
  });

  it('accepts a line pasted with the prompt of the seed document', () => {
    expect(argv('> config edit fix.worker')).toEqual(['config', 'edit', 'fix.worker']);
  });

  it('treats blank lines and comments as empty', () => {
    expect(lineToArgv('   ', takesValue).empty).toBe(true);
    expect(lineToArgv('# flag the old keys', takesValue).empty).toBe(true);
    expect(lineToArgv('search all', takesValue).empty).toBe(false);
  });
});
