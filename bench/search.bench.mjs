// Search benchmark (issue 2). Generates a synthetic snapshot of 50 accounts, 100,000 users and
// 200,000 access keys, then for each of the seed's queries reports:
//   - parse time, evaluation time (evaluate() and executeSearch() in-process, median of 7 after one
//     untimed run), and the first evaluation in a fresh process (median of 3),
//   - the whole `cloudsweep search --snapshot` process against a hand-written Node.js loop that
//     computes the same answer from the same file (median wall time of 3, peak RSS of each).
// Goals: the CLI within 1.5x of the loop, evaluation under 100 ms. Exits 1 when a goal is missed.
// Run: node bench/search.bench.mjs (npm run bench runs it with the others).
// SEARCH_BENCH_SNAPSHOT=/tmp/big.json keeps the snapshot for profiling.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet'], { stdio: 'inherit' });
const require = createRequire(import.meta.url);
const { parse } = require(join(root, 'dist/src/query/parser.js'));
const { evaluate } = require(join(root, 'dist/src/query/evaluate.js'));
const { executeSearch } = require(join(root, 'dist/src/query/execute.js'));
const { render } = require(join(root, 'dist/src/query/output.js'));
const { readSnapshotFile } = require(join(root, 'dist/src/inventory/snapshot.js'));

const ACCOUNTS = 50;
const USERS = 100_000;
const KEYS_PER_USER = 2;
const NOW = '2026-11-23T10:00:00Z';
const GOALS = { cli_vs_loop: 1.5, evaluation_ms: 100 };

const QUERIES = [
  { name: 'seed 1', text: 'search is(access_key) and last_access > 90days <-- is(user) | count name' },
  { name: 'seed 2', text: 'search is(access_key) and last_access > 90days <-- is(user) and name not in [jenkins, ci] | count name' },
  // The seed's third query ends in `| clean`, refused on a snapshot: the process comparison counts
  // the same selection; in-process, the clean itself (its NodeUpdates) is timed too.
  { name: 'seed 3', text: 'search is(access_key) and last_access > 90days and /ancestors.user.reported.name not in [jenkins, ci] | count', clean: 'search is(access_key) and last_access > 90days and /ancestors.user.reported.name not in [jenkins, ci] | clean' },
];

// Issue 17's additions, timed in-process on the same 200,000 keys and reported apart (no loop to
// compare with): a with() clause walked from each of 100,000 users, and an aggregate.
const EXTRA = [
  { name: 'with', text: 'is(user) with(count == 2, --> is(access_key) and last_access > 90days) | count' },
  { name: 'with empty', text: 'is(user) with(empty, --> is(access_key) and last_access < 90days) | count' },
  { name: 'aggregate', text: 'is(access_key) and last_access > 90days | aggregate /ancestors.account.reported.name as account, access_key_status: sum(1) as keys, max(last_access) as oldest' },
];

// --- the synthetic snapshot ---------------------------------------------------------------------

function generate(path) {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const now = Date.parse(NOW);
  const DAY = 86_400_000;
  const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');
  const NAMES = ['ccm-sa', 'nancy', 'db-runner', 'packer-ami', 'test-max', 'jenkins', 'ci'];
  const fd = openSync(path, 'w');
  writeSync(fd, `{"format":"cloudsweep.snapshot","version":1,"collected_at":"${NOW}","nodes":[`);
  const edges = [];
  let chunk = [];
  let written = false;
  const flush = (force) => {
    if (chunk.length >= 5000 || (force && chunk.length)) {
      writeSync(fd, (written ? ',' : '') + chunk.join(','));
      written = true;
      chunk = [];
    }
  };
  const nodes = [];
  for (let a = 0; a < ACCOUNTS; a += 1) {
    const id = String(200000000000 + a);
    nodes.push({ id, kind: 'aws_account', reported: { id, name: `account-${a}` }, metadata: {}, desired: {} });
  }
  chunk.push(...nodes.map((node) => JSON.stringify(node)));
  for (let u = 0; u < USERS; u += 1) {
    const account = String(200000000000 + (u % ACCOUNTS));
    const name = u % 10 === 0 ? NAMES[(u / 10) % NAMES.length] : `svc-${u % 5000}`;
    const userId = `AIDA${String(u).padStart(17, '0')}`;
    const ctime = iso(now - Math.floor(random() * 1500) * DAY);
    chunk.push(JSON.stringify({
      id: userId, kind: 'aws_iam_user',
      reported: { id: userId, name, arn: `arn:aws:iam::${account}:user/${name}`, path: '/', ctime, atime: null, tags: u % 7 === 0 ? { owner: `team-${u % 13}` } : {}, password_enabled: false, mfa_active: false },
      metadata: {}, desired: {},
    }));
    edges.push(`{"from":"${account}","to":"${userId}"}`);
    for (let k = 0; k < KEYS_PER_USER; k += 1) {
      const keyId = `AKIA${String(u * KEYS_PER_USER + k).padStart(16, '0')}`;
      const created = now - Math.floor(random() * 1000 + 1) * DAY;
      const used = random() < 0.3 ? null : created + Math.floor(random() * (now - created));
      const atime = used === null ? null : iso(used);
      chunk.push(JSON.stringify({
        id: keyId, kind: 'aws_iam_access_key',
        reported: { id: keyId, name: keyId, user_name: name, ctime: iso(created), atime, access_key_status: 'Active', access_key_last_used: { last_used: atime, service_name: atime ? 's3' : null, region: atime ? 'us-east-1' : null } },
        metadata: {}, desired: {},
      }));
      edges.push(`{"from":"${userId}","to":"${keyId}"}`);
    }
    flush(false);
  }
  flush(true);
  writeSync(fd, `],"edges":[${edges.join(',')}]}\n`);
  closeSync(fd);
}

// --- the hand-written loop: the same answers, no library ----------------------------------------

const LOOP = `
const { readFileSync } = require('node:fs');
const [file, query, nowText] = process.argv.slice(2);
const data = JSON.parse(readFileSync(file, 'utf8'));
const now = Date.parse(nowText);
const limit = 90 * 86400000;
const parentOf = new Map();
for (const edge of data.edges) parentOf.set(edge.to, edge.from);
const byId = new Map();
for (const node of data.nodes) byId.set(node.id, node);
const excluded = new Set(['jenkins', 'ci']);
const lines = [];
const users = new Set();
let keys = 0;
for (const node of data.nodes) {
  if (node.kind !== 'aws_iam_access_key') continue;
  const at = Date.parse(node.reported.atime ?? node.reported.ctime);
  if (!(now - at > limit)) continue;
  const user = byId.get(parentOf.get(node.id));
  if (query === '3') { if (!excluded.has(user.reported.name)) keys += 1; continue; }
  users.add(user);
}
if (query === '3') lines.push('total matched: ' + keys, 'total unmatched: 0');
else {
  const counts = new Map();
  let matched = 0;
  for (const user of users) {
    if (query === '2' && excluded.has(user.reported.name)) continue;
    counts.set(user.reported.name, (counts.get(user.reported.name) ?? 0) + 1);
    matched += 1;
  }
  const sorted = [...counts].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [name, n] of sorted) lines.push(name + ': ' + n);
  lines.push('total matched: ' + matched, 'total unmatched: 0');
}
process.stdout.write(lines.join('\\n') + '\\n');
`;

// The first evaluation in a process, as a one-shot `cloudsweep search` runs it: it also builds the
// graph's adjacency arrays and warms the JIT. Prints milliseconds.
const FIRST = `
const [file, text, nowText] = process.argv.slice(2);
const { readSnapshotFile } = require(${JSON.stringify(join(root, 'dist/src/inventory/snapshot.js'))});
const { parse } = require(${JSON.stringify(join(root, 'dist/src/query/parser.js'))});
const { evaluate } = require(${JSON.stringify(join(root, 'dist/src/query/evaluate.js'))});
readSnapshotFile(file).then(({ graph }) => {
  const query = parse(text);
  const started = process.hrtime.bigint();
  evaluate(query, graph, new Date(nowText), { ordered: false });
  process.stdout.write(String(Number(process.hrtime.bigint() - started) / 1e6));
});
`;

// Records the peak RSS of a process (KiB) in a file when it exits.
const PEAK = `process.on('exit', () => require('node:fs').writeFileSync(process.env.PEAK_RSS_FILE, String(process.resourceUsage().maxRSS)));`;

function timed(args, peakFile) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, PEAK_RSS_FILE: peakFile } });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
  return { ms, stdout: result.stdout, peakMb: Number(readFileSync(peakFile, 'utf8')) / 1024 };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round = (n, digits = 1) => Number(n.toFixed(digits));

function main() {
  const dir = mkdtempSync(join(tmpdir(), 'cloudsweep-bench-'));
  try {
    // SEARCH_BENCH_SNAPSHOT=FILE keeps the generated snapshot there (and reuses it) for profiling.
    const keep = process.env.SEARCH_BENCH_SNAPSHOT;
    const file = keep ?? join(dir, 'snapshot.json');
    const loop = join(dir, 'loop.js');
    const peak = join(dir, 'peak.js');
    const peakFile = join(dir, 'peak.txt');
    const first = join(dir, 'first.js');
    writeFileSync(loop, LOOP);
    writeFileSync(first, FIRST);
    writeFileSync(peak, PEAK);
    let started = Date.now();
    if (!keep || !existsSync(keep)) generate(file);
    const generateMs = Date.now() - started;
    const sizeMb = statSync(file).size / 1e6;

    // In-process: load once, then parse and evaluate each query.
    started = Date.now();
    const graphPromise = readSnapshotFile(file);
    return graphPromise.then(({ graph }) => {
      const loadMs = Date.now() - started;
      const now = new Date(NOW);
      const figures = { accounts: ACCOUNTS, users: USERS, keys: USERS * KEYS_PER_USER, snapshot_mb: round(sizeMb), generate_ms: generateMs, in_process_load_ms: loadMs, queries: [] };
      let ok = true;
      for (const query of QUERIES) {
        const parseRuns = 2000;
        let t = process.hrtime.bigint();
        for (let i = 0; i < parseRuns; i += 1) parse(query.text);
        const parseUs = Number(process.hrtime.bigint() - t) / 1e3 / parseRuns;
        const parsed = parse(query.text);
        const evaluateTimes = [];
        const executeTimes = [];
        let result;
        // One untimed run first, so the median does not depend on which query warmed the JIT.
        // Apart, so the garbage of one (the clean's 147,000 updates) is not collected in the other's time.
        evaluate(parsed, graph, now, { ordered: false });
        for (let i = 0; i < 7; i += 1) {
          t = process.hrtime.bigint();
          evaluate(parsed, graph, now, { ordered: false });
          evaluateTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
        }
        executeSearch(query.clean ?? parsed, { graph, now, flaggedBy: 'bench' });
        for (let i = 0; i < 7; i += 1) {
          t = process.hrtime.bigint();
          result = executeSearch(query.clean ?? parsed, { graph, now, flaggedBy: 'bench' });
          executeTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
        }
        const cliArgs = [join(root, 'bin', 'cloudsweep.js'), 'search', '--now', NOW, '--snapshot', file, query.text];
        const loopArgs = [loop, file, query.name.slice(-1), NOW];
        const cli = [];
        const hand = [];
        const firstTimes = [];
        for (let i = 0; i < 3; i += 1) {
          cli.push(timed(['--require', peak, ...cliArgs], peakFile));
          hand.push(timed(['--require', peak, ...loopArgs], peakFile));
          firstTimes.push(Number(timed(['--require', peak, first, file, query.text, NOW], peakFile).stdout));
        }
        const expected = render(executeSearch(parsed, { graph, now }).output) + '\n';
        if (cli[0].stdout !== hand[0].stdout || cli[0].stdout !== expected) {
          throw new Error(`${query.name}: the CLI and the loop disagree:\n${cli[0].stdout}\n---\n${hand[0].stdout}`);
        }
        const cliMs = median(cli.map((run) => run.ms));
        const loopMs = median(hand.map((run) => run.ms));
        const entry = {
          query: query.name,
          text: query.text,
          matched: result.matched,
          flagged: result.flagged,
          parse_us: round(parseUs, 1),
          evaluate_ms: round(median(evaluateTimes)),
          execute_ms: round(median(executeTimes)),
          first_evaluate_ms: round(median(firstTimes)),
          cli_ms: Math.round(cliMs),
          loop_ms: Math.round(loopMs),
          cli_vs_loop: round(cliMs / loopMs, 2),
          cli_peak_rss_mb: Math.round(Math.max(...cli.map((run) => run.peakMb))),
          loop_peak_rss_mb: Math.round(Math.max(...hand.map((run) => run.peakMb))),
        };
        entry.goals_met = entry.cli_vs_loop <= GOALS.cli_vs_loop && entry.evaluate_ms < GOALS.evaluation_ms;
        ok &&= entry.goals_met;
        figures.queries.push(entry);
      }
      figures.extra = EXTRA.map((query) => {
        const parsed = parse(query.text);
        const times = [];
        let result = executeSearch(parsed, { graph, now });
        for (let i = 0; i < 7; i += 1) {
          const t = process.hrtime.bigint();
          result = executeSearch(parsed, { graph, now });
          times.push(Number(process.hrtime.bigint() - t) / 1e6);
        }
        const rows = result.output.type === 'aggregate' ? result.output.rows.length : result.output.total_matched;
        return { query: query.name, text: query.text, matched: result.matched, result_rows: rows, execute_ms: round(median(times)) };
      });
      figures.in_process_peak_rss_mb = Math.round(process.resourceUsage().maxRSS / 1024);
      figures.goals = GOALS;
      figures.load_average = loadavg().map((n) => round(n, 2));
      figures.cores = cpus().length;
      figures.goals_met = ok;

      console.log(`search benchmark: ${ACCOUNTS} accounts, ${USERS} users, ${USERS * KEYS_PER_USER} keys (snapshot ${figures.snapshot_mb} MB, generated in ${generateMs} ms, loaded in-process in ${loadMs} ms)`);
      console.log('  query   matched  parse    evaluate  first     execute   cli       loop      cli/loop  cli RSS   loop RSS');
      for (const q of figures.queries) {
        console.log(`  ${q.query.padEnd(7)} ${String(q.matched).padStart(7)}  ${`${q.parse_us} us`.padEnd(8)} ${`${q.evaluate_ms} ms`.padEnd(9)} ${`${q.first_evaluate_ms} ms`.padEnd(9)} ${`${q.execute_ms} ms`.padEnd(9)} ${`${q.cli_ms} ms`.padEnd(9)} ${`${q.loop_ms} ms`.padEnd(9)} ${`${q.cli_vs_loop}x`.padEnd(9)} ${`${q.cli_peak_rss_mb} MB`.padEnd(9)} ${q.loop_peak_rss_mb} MB${q.goals_met ? '' : '  GOAL MISSED'}`);
      }
      for (const q of figures.extra) console.log(`  ${q.query.padEnd(10)} ${String(q.matched).padStart(7)} matched, ${q.result_rows} rows/nodes out, execute ${q.execute_ms} ms (median of 7, in-process, apart from the goals): ${q.text}`);
      console.log(`  goals: cli within ${GOALS.cli_vs_loop}x of the loop, evaluation under ${GOALS.evaluation_ms} ms: ${ok ? 'met' : 'MISSED'} (evaluate: median in one process; first: a fresh process's one evaluation, which also builds the adjacency arrays and warms the JIT, not checked; execute = evaluation + the command; seed 3 executes | clean)`);
  console.log(`  load average while measuring: ${loadavg().map((n) => n.toFixed(1)).join(' ')} on ${cpus().length} cores`);
      console.log(JSON.stringify({ bench: 'search', ...figures }));
      if (!ok) process.exitCode = 1;
    });
  } finally {
    // The snapshot is removed once the promise settles (below).
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
}

Promise.resolve(main()).catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
