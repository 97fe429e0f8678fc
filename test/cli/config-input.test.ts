import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'cloudsweep.js');
let dir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `cloudsweep config validate FILE` on the text: no AWS is asked. */
function validate(name: string, text: string): Promise<Run> {
  const file = join(dir, name);
  writeFileSync(file, text);
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'config', 'validate', file], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr: stderr.replaceAll(`${dir}/`, '') });
    });
  });
}

/** Seven levels of nine aliases each: 4.8 million strings once expanded. */
const BILLION_LAUGHS = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...'bcdefg'.split('').map((name, i) => {
  const previous = 'abcdefg'[i] as string;
  return `${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`;
})].join('\n');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cloudsweep-config-input-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('config validate: keys that name Object.prototype members are unknown keys', () => {
  it.each([
    ['a section named toString', 'toString:\n', 'line 1: unknown key toString; allowed sections: fixworker, collector'],
    ['a section named __proto__', 'fixworker:\n  cleanup: false\n__proto__:\n  cleanup: true\n', 'line 3: unknown key __proto__; allowed sections: fixworker, collector'],
    ['fixworker.constructor', 'fixworker:\n  constructor: 1\n', 'line 2: unknown key fixworker.constructor; allowed keys in fixworker: cleanup,'],
    ['fixworker.hasOwnProperty', 'fixworker:\n  cleanup: true\n  hasOwnProperty: true\n', 'line 3: unknown key fixworker.hasOwnProperty; allowed keys in fixworker: cleanup,'],
    ['collector.__proto__', 'collector:\n  __proto__:\n    pool_size: 1\n', 'line 2: unknown key collector.__proto__; allowed keys in collector: accounts,'],
    ['a bare key toString (no hint to indent it)', 'toString: 1\n', 'line 1: unknown key toString; allowed sections'],
  ])('refuses %s with exit 2, naming the key and its line', async (_what, text, expected) => {
    const run = await validate('proto.yaml', text);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('error: proto.yaml is invalid:\n');
    expect(run.stderr).toContain(`  ${expected}`);
    expect(run.stderr).not.toContain('indent it under its section');
  });
});

describe('config validate: broken or hostile YAML is exit 2 with the line, never a library error', () => {
  it.each([
    ['an alias bomb (billion laughs)', `fixworker:\n  cleanup: false\n${BILLION_LAUGHS}\n`, 'bomb.yaml is not valid fix.worker:\n  line 4, column 8: aliases (*name) are not allowed here; write the value out'],
    ['an alias that refers to itself', 'fixworker: &x\n  cleanup: *x\n', 'loop.yaml is not valid fix.worker:\n  line 2, column 12: aliases (*name) are not allowed here; write the value out'],
    ['a duplicate key', 'fixworker:\n  cleanup: true\n  cleanup: false\n', 'dup.yaml is not valid YAML:\n  line 3, column 3: the key cleanup appears twice in one mapping; keep one'],
    ['a flow list left open', 'fixworker:\n  cleanup: [true\n', 'open.yaml is not valid YAML:\n  line 3, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ['a tab as indentation', 'fixworker:\n\tcleanup: true\n', 'tab.yaml is not valid YAML:\n  line 2, column 1: Tabs are not allowed as indentation'],
    ['two documents', 'fixworker:\n  cleanup: false\n---\nfixworker:\n  cleanup: true\n', 'two.yaml is not valid YAML:\n  line 3, column 1: a second YAML document starts here; fix.worker is one document'],
    ['100,000 nested lists', `fixworker:\n  cleanup: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, 'deep.yaml is not valid YAML:\n  line 2, column'],
  ])('refuses %s', async (what, text, expected) => {
    const name = expected.split(' ')[0] as string;
    const started = Date.now();
    const run = await validate(name, text);
    expect(run.code).toBe(2);
    expect(run.stderr.startsWith(`error: ${expected}`)).toBe(true);
    expect(run.stderr).not.toMatch(/Excessive alias|call stack|YAML\.parseAllDocuments|at .*node_modules/);
    expect(run.stderr.split('\n').length).toBeLessThan(5);
    if (what.includes('bomb')) expect(Date.now() - started).toBeLessThan(5000);
  });
});
