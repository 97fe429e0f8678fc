import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/constructs/cloudsweep-function';

/**
 * `npx cdk synth` exactly as a user runs it, offline, with real esbuild bundling of the three
 * functions; then cfn-lint over both templates. Synthesized once for the whole file.
 */
const SYNTH_TIMEOUT_MS = 240_000;
const TEMPLATES = ['CloudSweep.template.json', 'CloudSweepMember.template.json'];

describe('npx cdk synth', () => {
  let out: string;
  let synth: ReturnType<typeof spawnSync>;

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'cloudsweep-synth-'));
    synth = spawnSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', '--no-version-reporting', '--output', out], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      timeout: SYNTH_TIMEOUT_MS,
      // Offline: no credentials, no account lookups; the app is environment-agnostic.
      env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', CDK_DISABLE_VERSION_CHECK: '1' },
    });
  }, SYNTH_TIMEOUT_MS);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('synthesizes both stacks', () => {
    expect({ status: synth.status, stderr: synth.status === 0 ? '' : String(synth.stderr).slice(-3000) }).toEqual({ status: 0, stderr: '' });
    for (const template of TEMPLATES) expect(existsSync(join(out, template))).toBe(true);
  });

  it('bundles each function into one minified file with a source map, well under 1 MB', () => {
    const assets = JSON.parse(readFileSync(join(out, 'CloudSweep.assets.json'), 'utf8')) as { files: Record<string, { source: { path: string } }> };
    const bundles = Object.values(assets.files)
      .map((file) => join(out, file.source.path))
      .filter((path) => statSync(path).isDirectory());
    expect(bundles).toHaveLength(3);
    for (const bundle of bundles) {
      expect(readdirSync(bundle).sort()).toEqual(['index.js', 'index.js.map']);
      const code = readFileSync(join(bundle, 'index.js'), 'utf8');
      expect(code.length).toBeLessThan(1024 * 1024);
      expect(code).toMatch(/sourceMappingURL=index\.js\.map/);
      // Minified: a few long lines (template literals keep their newlines); esbuild's trailing comment of the licenses it kept is not code.
      const withoutLicenses = code.replace(/\/\*! Bundled license information:[\s\S]*?\*\/\n?/, '');
      expect(withoutLicenses.split('\n').length).toBeLessThan(50);
    }
  });

  it('passes cfn-lint without errors', () => {
    const probe = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
    // .ci/run installs cfn-lint when it is missing; a lint that cannot run must not pass.
    expect(probe.error ? 'cfn-lint is not installed: run .ci/run, or apt-get install cfn-lint / pip install cfn-lint' : 'cfn-lint found').toBe('cfn-lint found');
    const lint = spawnSync('cfn-lint', ['--format', 'parseable', ...TEMPLATES.map((t) => join(out, t))], { encoding: 'utf8' });
    // Exit code bits: 2 = errors, 4 = warnings, 8 = informational. Warnings CDK itself causes (W3005) are fine.
    const errors = String(lint.stdout).split('\n').filter((line) => /:E\d{4}:/.test(line));
    expect(errors).toEqual([]);
    expect(lint.status === null ? 'killed' : lint.status & 2).toBe(0);
  });
});
