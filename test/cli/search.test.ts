import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedSnapshot, SEED_NOW } from '../fixtures/seed-inventory';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'cloudsweep.js');
let dir: string;
let snapshot: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cloudsweep(args: string[], nodeArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...nodeArgs, BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const search = (...args: string[]) => cloudsweep(['search', '--now', SEED_NOW.toISOString(), '--snapshot', snapshot, ...args]);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cloudsweep-search-'));
  snapshot = join(dir, 'inventory.json');
  writeFileSync(snapshot, JSON.stringify(seedSnapshot()));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cloudsweep search --snapshot', () => {
  it('prints the seed\'s second count exactly', async () => {
    const run = await search('search is(access_key) and last_access > 90days <-- is(user) and name not in [jenkins, ci] | count name');
    expect(run).toEqual({
      code: 0,
      stdout: 'ccm-sa: 1\nnancy: 1\ndb-runner: 3\npacker-ami: 9\ntest-max: 12\ntotal matched: 26\ntotal unmatched: 0\n',
      stderr: '',
    });
  });

  it('explains a search: its canonical form, what each part scanned and matched, the commands not run', async () => {
    const run = await search('--explain', 'is(access_key) and last_access > 90days <-default- is(user) and name not in [jenkins, ci] | clean');
    expect(run).toEqual({
      code: 0,
      stdout: [
        'query: is(access_key) and last_access > 90days <-- is(user) and name not in [jenkins, ci] | clean',
        'part 1: is(access_key) and last_access > 90days',
        '  scanned 35 nodes (one kind; kinds: aws_iam_access_key), matched 30',
        '  then <--: reached 29 nodes',
        'part 2: is(user) and name not in [jenkins, ci]',
        '  scanned 29 nodes (the nodes reached by <--; kinds: aws_iam_user), matched 26',
        'commands (not run): clean',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('joins the query words with spaces and prints JSON with --output json', async () => {
    const run = await cloudsweep(['--output', 'json', 'search', '--snapshot', snapshot, 'is(account)', 'and', 'name', '=', 'prod', '|', 'count', 'name']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ path: 'name', counts: [{ value: 'prod', count: 1 }], total_matched: 1, total_unmatched: 0 });
  });

  it('lists as CSV', async () => {
    const run = await search('is(user) and name in [nancy, alice] | list name, account --csv');
    expect(run.stdout).toBe('name,account\nalice,prod\nnancy,prod\n');
  });

  it('refuses a mutating command on a snapshot with exit code 2, and leaves the file alone', async () => {
    const before = readFileSync(snapshot, 'utf8');
    for (const command of ['clean', 'unclean', 'protect', 'unprotect']) {
      const run = await search(`is(access_key) | ${command}`);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(new RegExp(`^error: ${command} changes the inventory, and a snapshot \\(--snapshot .*\\) is read-only`));
    }
    expect(readFileSync(snapshot, 'utf8')).toBe(before);
  });

  it('refuses a query nested deeper than the cap with exit code 2 and the column, not a stack overflow', async () => {
    const run = await search(`${'('.repeat(50_000)}all${')'.repeat(50_000)} | count`);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: the query nests deeper than 64 levels \(groups, not, lists and with clauses\); simplify it \(column 65\)\n/);
    expect(run.stderr).not.toMatch(/RangeError|call stack/);
  });

  it('prints a hostile user name as escapes in text and as text in CSV, exactly in JSON', async () => {
    const hostile = join(dir, 'hostile.json');
    const name = '=cmd\u001b]0;owned\u0007';
    const user = { id: 'AIDAHOSTILE', kind: 'aws_iam_user', reported: { id: 'AIDAHOSTILE', name, arn: 'arn:aws:iam::123456789012:user/x', path: '/', ctime: '2025-01-01T00:00:00Z', atime: null, tags: {}, password_enabled: false, mfa_active: false }, metadata: {}, desired: {} };
    const account = { id: '123456789012', kind: 'aws_account', reported: { id: '123456789012', name: 'prod' }, metadata: {}, desired: {} };
    writeFileSync(hostile, JSON.stringify({ format: 'cloudsweep.snapshot', version: 1, collected_at: '2026-11-23T10:00:00Z', nodes: [account, user], edges: [{ from: '123456789012', to: 'AIDAHOSTILE' }] }));
    const run = (...args: string[]) => cloudsweep(['search', '--snapshot', hostile, ...args]);
    expect((await run('is(user) | list name')).stdout).toBe('name\n=cmd\\x1b]0;owned\\x07\n');
    expect((await run('is(user) | list name --csv')).stdout).toBe(`name\n'=cmd\u001b]0;owned\u0007\n`);
    expect(JSON.parse((await run('--output', 'json', 'is(user) | list name')).stdout)).toEqual([{ name }]);
  });

  it('reports a parse error with a caret, exit code 2 and no stack trace', async () => {
    const run = await search('is(access_key) and last_access > soon | count');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'error: expected a duration such as 90days, 1h30m, -2w or P90D, got "soon" (column 34)\n' +
        '  is(access_key) and last_access > soon | count\n' +
        '                                   ^\n',
    );
  });

  it('refuses an unknown property and a backtracking regular expression with exit code 2', async () => {
    const typo = await search('is(access_key) and /ancestors.user.reported.nmae not in [jenkins, ci] | count');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^error: unknown property "nmae" on user; did you mean name\? \(column 45\)/);
    const lookahead = await search('is(user) and name ~ "a(?=b)"');
    expect(lookahead.code).toBe(2);
    expect(lookahead.stderr).toMatch(/^error: unsupported in regular expressions: lookaround "\(\?=" .* \(column 23\)/);
  });

  it('refuses a snapshot of the wrong shape with exit code 2, naming the node', async () => {
    const bad = seedSnapshot();
    const key = bad.nodes.find((node) => node.kind === 'aws_iam_access_key');
    if (key) key.reported.ctime = 'yesterday';
    const file = join(dir, 'bad-shape.json');
    writeFileSync(file, JSON.stringify(bad));
    const run = await cloudsweep(['search', '--snapshot', file, 'all | count']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^error: .*bad-shape\\.json: nodes\\[\\d+\\] \\(${key?.id}\\): reported\\.ctime: expected an ISO 8601 date-time, got "yesterday"`));
  });

  it('rejects a bad --now and a missing snapshot with exit code 2', async () => {
    const badNow = await cloudsweep(['search', '--now', 'yesterday', '--snapshot', snapshot, 'all']);
    expect(badNow.code).toBe(2);
    expect(badNow.stderr).toMatch(/--now: expected an ISO 8601 date/);
    const missing = await cloudsweep(['search', '--snapshot', join(dir, 'nope.json'), 'all']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read snapshot .*nope\.json/);
  });

  it('loads neither the AWS SDK nor the CDK nor the bundler (build-time dependencies)', async () => {
    const recorder = join(dir, 'record-loads.js');
    const log = join(dir, 'loads.txt');
    writeFileSync(recorder, `
      const Module = require('node:module');
      const fs = require('node:fs');
      const load = Module._load;
      const requests = new Set();
      Module._load = function (request, ...rest) { requests.add(request); return load.call(this, request, ...rest); };
      process.on('exit', () => fs.writeFileSync(${JSON.stringify(log)}, [...requests].join('\\n')));
    `);
    const run = await cloudsweep(['search', '--snapshot', snapshot, 'is(access_key) and last_access > 90days <-- is(user) | count name'], ['--require', recorder]);
    expect(run.code).toBe(0);
    const requests = readFileSync(log, 'utf8').split('\n');
    expect(requests).toContain('commander'); // the recorder sees the CLI's requires
    expect(requests.filter((request) => /@aws-sdk|@smithy|aws-cdk-lib|constructs|esbuild/.test(request))).toEqual([]);
  });
});
