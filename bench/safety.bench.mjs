// Hostile-input benchmark (issue 15): what a search costs when the query or the inventory is made
// to be slow. Reports, and checks against a goal:
//   - cycle: a traversal -[0:]-> and an ancestor walk over an inventory of 8,000 users in one
//     cycle (which took 6 s and 727 MB before walks were made linear), time and heap growth;
//   - regex: the pattern that takes a backtracking engine seconds on one realistic user name
//     (`name ~ "^([a-z0-9-]+)*$x"`), on that one name and over 100,000 users; and an ordinary
//     pattern over the same users, to show what RE2 costs where backtracking was harmless.
// Run: node bench/safety.bench.mjs (npm run bench runs it with the others).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet'], { stdio: 'inherit' });
const require = createRequire(import.meta.url);
const { parse } = require(join(root, 'dist/src/query/parser.js'));
const { evaluate } = require(join(root, 'dist/src/query/evaluate.js'));
const { InventoryGraph } = require(join(root, 'dist/src/inventory/graph.js'));
const { accountNode, userNode } = require(join(root, 'dist/src/inventory/model.js'));

const NOW = new Date('2026-11-23T10:00:00Z');
const REALISTIC = 'svc-jenkins-deploy-prod-eu-west-1-build-agent-2024';
const GOALS = { catastrophic_one_name_ms: 50, catastrophic_100k_users_ms: 2000, cycle_walk_ms: 200 };
const { executeSearch } = require(join(root, 'dist/src/query/execute.js'));

function cycleGraph(count) {
  const graph = new InventoryGraph();
  graph.addNode(accountNode({ id: '123456789012', name: 'prod' }));
  for (let i = 0; i < count; i += 1) {
    graph.addNode(userNode({ id: `U${i}`, name: `user-${i}`, arn: 'arn', path: '/', ctime: '2025-01-01T00:00:00Z', atime: null, tags: {}, password_enabled: false, mfa_active: false }));
  }
  for (let i = 0; i < count; i += 1) graph.addEdge(`U${i}`, `U${(i + 1) % count}`);
  return graph;
}

/** Milliseconds and heap growth (MB) of one search on a fresh graph. */
function once(text, graph) {
  global.gc?.();
  const heap = process.memoryUsage().heapUsed;
  const started = process.hrtime.bigint();
  const result = executeSearch(text, { graph, now: NOW });
  return { ms: round(Number(process.hrtime.bigint() - started) / 1e6, 2), heap_mb: round((process.memoryUsage().heapUsed - heap) / 1e6, 1), matched: result.matched };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round = (n, digits = 1) => Number(n.toFixed(digits));

function usersGraph(count) {
  const graph = new InventoryGraph();
  graph.addNode(accountNode({ id: '123456789012', name: 'prod' }));
  for (let i = 0; i < count; i += 1) {
    const id = `AIDA${String(i).padStart(12, '0')}`;
    const name = i === 0 ? REALISTIC : `${REALISTIC}-${i}`;
    graph.addNode(userNode({ id, name, arn: `arn:aws:iam::123456789012:user/${name}`, path: '/', ctime: '2025-01-01T00:00:00Z', atime: null, tags: {}, password_enabled: false, mfa_active: false }));
    graph.addEdge('123456789012', id);
  }
  return graph;
}

/** Median milliseconds of `runs` evaluations after one untimed run, and the result's size. */
function time(text, graph, runs = 5) {
  const query = parse(text);
  const matched = evaluate(query, graph, NOW, { ordered: false }).length;
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    const started = process.hrtime.bigint();
    evaluate(query, graph, NOW, { ordered: false });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return { ms: round(median(times), 2), matched };
}

const one = usersGraph(1);
const many = usersGraph(100_000);
const figures = {
  cycle: {
    traversal: once('is(user) -[0:]-> | count', cycleGraph(8000)),
    ancestors: once('is(user) and /ancestors.account.reported.name = prod | count', cycleGraph(8000)),
  },
  regex: {
    catastrophic_one_name: time('is(user) and name ~ "^([a-z0-9-]+)*$x"', one),
    catastrophic_100k_users: time('is(user) and name ~ "^([a-z0-9-]+)*$x"', many),
    ordinary_100k_users: time('is(user) and name ~ "^svc-.*-2024-1"', many),
  },
};
const goals = {
  cycle_walk_ms: figures.cycle.traversal.ms < GOALS.cycle_walk_ms && figures.cycle.ancestors.ms < GOALS.cycle_walk_ms,
  catastrophic_one_name_ms: figures.regex.catastrophic_one_name.ms < GOALS.catastrophic_one_name_ms,
  catastrophic_100k_users_ms: figures.regex.catastrophic_100k_users.ms < GOALS.catastrophic_100k_users_ms,
};
const ok = Object.values(goals).every(Boolean);

console.log('safety benchmark: searches made to be slow');
console.log(`  8,000 users in a cycle: -[0:]-> ${figures.cycle.traversal.ms} ms (heap +${figures.cycle.traversal.heap_mb} MB), /ancestors.account ${figures.cycle.ancestors.ms} ms (goal < ${GOALS.cycle_walk_ms} ms each; before: 6 s and 727 MB)`);
console.log(`  regex ^([a-z0-9-]+)*$x on one ${REALISTIC.length}-character name: ${figures.regex.catastrophic_one_name.ms} ms (goal < ${GOALS.catastrophic_one_name_ms} ms; a backtracking engine took about 7 s)`);
console.log(`  the same over 100,000 users: ${figures.regex.catastrophic_100k_users.ms} ms (goal < ${GOALS.catastrophic_100k_users_ms} ms), matched ${figures.regex.catastrophic_100k_users.matched}`);
console.log(`  an ordinary pattern ^svc-.*-2024-1 over 100,000 users: ${figures.regex.ordinary_100k_users.ms} ms, matched ${figures.regex.ordinary_100k_users.matched}`);
console.log(`  goals: ${ok ? 'met' : 'MISSED'}; load average ${loadavg().map((n) => n.toFixed(1)).join(' ')} on ${cpus().length} cores`);
console.log(JSON.stringify({ bench: 'safety', ...figures, goals: GOALS, goals_met: ok, load_average: loadavg().map((n) => round(n, 2)) }));
if (!ok) process.exitCode = 1;
