// Runs every bench/*.bench.mjs in turn (or those whose name contains an argument:
// `node bench/run.mjs search`). Each bench prints its figures for people, and as its LAST line of
// standard output one JSON object of those figures; run.mjs shows the output as it comes and
// writes that object to bench/out/<name>.json. Exit code 1 when any bench fails (a bench fails
// when it cannot run, or when it misses a goal it checks).
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((file) => file.endsWith('.bench.mjs'))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();
mkdirSync(join(here, 'out'), { recursive: true });

function runBench(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [join(here, file)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      // The SDK's notice about its future Node 22 requirement is noise among the figures.
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      process.stdout.write(chunk);
    });
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, ms: Date.now() - started }));
  });
}

function lastJsonObject(stdout) {
  const lines = stdout.trim().split('\n').reverse();
  for (const line of lines) {
    if (!line.trim().startsWith('{')) continue;
    try {
      return JSON.parse(line);
    } catch {
      // not the figures line
    }
  }
  return undefined;
}

const summary = [];
for (const file of benches) {
  const name = file.replace(/\.bench\.mjs$/, '');
  console.log(`\n=== ${name} (${file})`);
  const { code, stdout, ms } = await runBench(file);
  const figures = lastJsonObject(stdout);
  if (figures) writeFileSync(join(here, 'out', `${name}.json`), `${JSON.stringify({ ...figures, exit_code: code, wall_ms: ms }, null, 2)}\n`);
  summary.push({ name, code, ms, written: Boolean(figures) });
}

console.log('\n=== summary');
for (const { name, code, ms, written } of summary) {
  console.log(`  ${name.padEnd(16)} ${code === 0 ? 'ok    ' : `FAILED (exit ${code})`}  ${(ms / 1000).toFixed(1)} s${written ? `  -> bench/out/${name}.json` : '  (no figures line)'}`);
}
if (benches.length === 0) console.log('  no bench/*.bench.mjs matched');
process.exitCode = summary.some((bench) => bench.code !== 0) ? 1 : 0;
