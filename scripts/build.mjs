// Transpiles the CLI and the domain (cli/, src/) to dist/ as CommonJS, one file per module, so the
// CLI loads only what a command needs (a snapshot search never loads the AWS SDK or the CDK).
// Type-checking is `tsc --noEmit`; this step only strips types, in well under a second.
import { build } from 'esbuild';
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SOURCE_DIRS = ['cli', 'src'];
// The test doubles and the fault proxy the benchmarks share with the tests: transpiled beside the
// domain so bench/*.mjs load them from dist/ as they load it. The CLI never requires them.
export const BENCH_SUPPORT = ['test/support/memory-stores.ts', 'test/support/fault-proxy.ts'];

function tsFiles(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...tsFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

const entryPoints = [...SOURCE_DIRS.flatMap((dir) => tsFiles(join(root, dir))), ...BENCH_SUPPORT.map((file) => join(root, file))];
await build({
  entryPoints,
  outdir: join(root, 'dist'),
  outbase: root,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  bundle: false,
  sourcemap: 'linked',
  logLevel: 'warning',
  // import() becomes require(): lazy loading without ESM resolution rules.
  supported: { 'dynamic-import': false },
});
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(join(root, 'dist', '.built'), `${new Date().toISOString()}\n`);
if (!process.argv.includes('--quiet')) {
  console.error(`built ${entryPoints.length} modules to ${relative(process.cwd(), join(root, 'dist')) || 'dist'}`);
}
