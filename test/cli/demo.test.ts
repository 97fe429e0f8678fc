import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { DEMO_REPORT, KEYS_PER_USER, WALKTHROUGH as STEPS } from '../../src/demo/walkthrough';
import { ProcessResult, spawnCloudsweep } from '../support/aws';

// The demo writes its report into the temp dir; this one has its own, so that two copies of the
// suite running at once never read each other's half-written page.
const TEMP = mkdtempSync(join(tmpdir(), 'cloudsweep-demo-test-'));
const REPORT = join(TEMP, basename(DEMO_REPORT));
const WALKTHROUGH = STEPS.map((step) => ({ ...step, command: step.command.replace(DEMO_REPORT, REPORT) }));

/** The environment of a fresh machine: no AWS settings of the developer's leak into the demo. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(AWS_|CLOUDSWEEP_)/.test(key)) env[key] = value;
  return { ...env, NO_COLOR: '1', TMPDIR: TEMP };
}

function runDemo(): Promise<ProcessResult> {
  return spawnCloudsweep(['demo'], cleanEnv());
}

/** The text a step printed: from its `> command` line to the next step's narration. */
function outputOf(stdout: string, command: string): string {
  const start = stdout.indexOf(`> ${command}\n`);
  if (start < 0) throw new Error(`the demo did not print > ${command}`);
  const rest = stdout.slice(start + command.length + 3);
  const end = rest.search(/\n# \d+\/\d+ /);
  return end < 0 ? rest : rest.slice(0, end);
}

describe('cloudsweep demo', () => {
  let result: { code: number | null; stdout: string; stderr: string };

  beforeAll(async () => {
    result = await runDemo();
  }, 120_000);
  afterAll(() => rmSync(TEMP, { recursive: true, force: true }));

  it('exits 0 after every step of the walkthrough', () => {
    if (result.code !== 0) throw new Error(`demo exited ${result.code}:\n${result.stderr}\n${result.stdout.slice(-3000)}`);
    let from = 0;
    for (const step of WALKTHROUGH) {
      const at = result.stdout.indexOf(`> ${step.command}\n`, from);
      expect({ step: step.command, printed: at >= 0 }).toEqual({ step: step.command, printed: true });
      from = at + 1;
    }
  });

  it('describes the organization it created', () => {
    expect(result.stdout).toMatch(/master \(123456789012\)\s+7\s+10\s+4\s+2/);
    expect(result.stdout).toMatch(/production \(\d{12}\)\s+9\s+17\s+4\s+1/);
    expect(result.stdout).toMatch(/staging \(\d{12}\)\s+8\s+12\s+3\s+1/);
  });

  it('counts the unused keys by user, then without jenkins and ci', () => {
    const all = outputOf(result.stdout, WALKTHROUGH[5]?.command ?? '');
    expect(all).toContain('db-runner: 2');
    expect(all).toContain('jenkins: 1');
    expect(all).toContain('total matched: 9\ntotal unmatched: 0');
    const excluding = outputOf(result.stdout, WALKTHROUGH[6]?.command ?? '');
    expect(excluding).not.toContain('jenkins');
    expect(excluding).not.toMatch(/^ci:/m);
    expect(excluding).toContain('total matched: 7');
  });

  it('says that the seed count counts users, then counts the keys per user', () => {
    expect(result.stdout).toContain('so count name counts users (each once per account), not keys.');
    const keys = outputOf(result.stdout, KEYS_PER_USER);
    expect(keys).toContain('total matched: 11\ntotal unmatched: 0');
    expect(keys).toMatch(/^test-max: \d+$/m);
  });

  it('prints the emulator line once', () => {
    expect((result.stdout + result.stderr).match(/AWS emulator listening on/g)).toHaveLength(1);
  });

  it('adds the job of the seed document', () => {
    expect(result.stdout).toContain('Job clean_outdated_access_keys added.');
  });

  it('audits a dry run that deletes nothing, then a real cleanup', () => {
    const audit = outputOf(result.stdout, 'audit');
    expect(audit.match(/ dry_run /g)).toHaveLength(8);
    expect(audit).toMatch(/break-glass .* skipped/);
    const cleanup = outputOf(result.stdout, 'workflow run cleanup');
    expect(cleanup).toMatch(/8 deleted/);
    expect(cleanup).toMatch(/Workflow cleanup succeeded/);
  });

  it("shows one owner's notice in the dry run, and what the owner is told of the real deletions", () => {
    const dry = outputOf(result.stdout, 'workflow run collect_and_cleanup --in-process');
    expect(dry).toMatch(/owners: 8 would be noticed; 0 digests sent, 1 would be sent \(dry run\)/);
    expect(dry).toMatch(/would tell security@example\.com: noticed AKIA\w+ of nancy in \d{12}, next \d{4}-/);
    expect(outputOf(result.stdout, 'audit')).toMatch(/notice +dry_run/);
    const real = outputOf(result.stdout, 'workflow run cleanup');
    expect(real).toMatch(/told security@example\.com: deleted AKIA\w+ of nancy/);
    expect(real).toContain('1 owner digest recorded but not mailed: no sender is configured (CDK context notifySender)');
  });

  it('lists the stale keys that remain and checks IAM agrees', () => {
    const remaining = outputOf(result.stdout, WALKTHROUGH.find((step) => step.command.startsWith('search is(access_key) and last_access > 90days | list'))?.command ?? '');
    expect(remaining).toMatch(/jenkins/);
    expect(remaining).toMatch(/break-glass/);
    expect(remaining).toMatch(/\bci\b/);
    expect(remaining).not.toMatch(/ccm-sa|db-runner|test-max|nancy/);
    expect(result.stdout).toMatch(/Checked in IAM: the 8 flagged, unprotected keys are gone and 31 keys remain/);
  });

  it('ends by writing the report and printing its path', () => {
    expect(outputOf(result.stdout, `report --output ${REPORT}`)).toMatch(new RegExp(`^Report written to ${REPORT.replace(/[.\\]/g, '\\$&')}: 31 keys in 3 accounts,`));
    expect(existsSync(REPORT)).toBe(true);
    expect(readFileSync(REPORT, 'utf8')).toContain('<svg class="histogram"');
  });

  it('prints plain text when NO_COLOR is set and output is piped', () => {
    expect(result.stdout).not.toContain('\u001b[');
  });
});
