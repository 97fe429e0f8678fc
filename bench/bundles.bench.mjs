// Lambda bundles benchmark (issue 6): builds each function's bundle with esbuild exactly as the
// CDK stack does (lib/constructs/cloudsweep-function.ts bundlingOptions(): bundle, minify, source
// map, node22, CommonJS, the AWS SDK left to the runtime), then reports per function:
//   - bundle size (goal: under 1 MB) and source map size, build time,
//   - cold module-load time: a fresh `node` requires the bundle (median of 7), which is what a
//     Lambda cold start pays before the first invocation (the runtime's own start not included).
// Run: node bench/bundles.bench.mjs  (npm run bench runs it with the others). Last line: JSON figures.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const FUNCTIONS = ['collect', 'plan', 'cleanup'];
const GOAL_BYTES = 1024 * 1024;
const LOAD_RUNS = 7;
// Inside the project, so the externals (@aws-sdk/*) resolve from node_modules as they do from the runtime.
const out = join(root, 'node_modules', '.cache', 'cloudsweep-bundles-bench');
const env = {
  ...process.env,
  AWS_REGION: 'us-east-1',
  CLOUDSWEEP_INVENTORY_TABLE: 'bench-inventory',
  CLOUDSWEEP_CONFIG_TABLE: 'bench-config',
  CLOUDSWEEP_JOBS_TABLE: 'bench-jobs',
  CLOUDSWEEP_AUDIT_TABLE: 'bench-audit',
  CLOUDSWEEP_RUNS_TABLE: 'bench-runs',
  CLOUDSWEEP_EVENT_BUS: 'bench-bus',
  POWERTOOLS_SERVICE_NAME: 'cloudsweep-bench',
  POWERTOOLS_METRICS_NAMESPACE: 'CloudSweep',
  NODE_OPTIONS: '--enable-source-maps',
};

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function loadMs(file) {
  const script = `const t=process.hrtime.bigint();const m=require(${JSON.stringify(file)});if(typeof m.handler!=='function')process.exit(3);` +
    `process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const run = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`loading ${file} failed (exit ${run.status}): ${run.stderr}`);
  return Number(run.stdout);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const figures = { goal_bytes: GOAL_BYTES, functions: {} };
let failed = false;
console.log(`function   bundle      map        build    cold load (median of ${LOAD_RUNS})`);
for (const name of FUNCTIONS) {
  const outfile = join(out, name, 'index.js');
  const started = performance.now();
  await build({
    entryPoints: [join(root, 'lambdas', name, 'index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    minify: true,
    keepNames: true,
    sourcemap: true,
    external: ['@aws-sdk/*'],
    logLevel: 'warning',
  });
  const buildMs = performance.now() - started;
  const bytes = statSync(outfile).size;
  const mapBytes = statSync(`${outfile}.map`).size;
  const loads = Array.from({ length: LOAD_RUNS }, () => loadMs(outfile));
  const load = median(loads);
  const ok = bytes < GOAL_BYTES;
  failed ||= !ok;
  figures.functions[name] = { bytes, map_bytes: mapBytes, build_ms: Math.round(buildMs), cold_load_ms: Number(load.toFixed(1)), size_goal_met: ok };
  console.log(
    `${name.padEnd(10)} ${(bytes / 1024).toFixed(1).padStart(7)} KB ${(mapBytes / 1024).toFixed(0).padStart(6)} KB ${buildMs.toFixed(0).padStart(6)} ms ${load.toFixed(1).padStart(8)} ms${ok ? '' : '   OVER 1 MB'}`,
  );
}
rmSync(out, { recursive: true, force: true });
console.log(JSON.stringify(figures));
process.exitCode = failed ? 1 : 0;
