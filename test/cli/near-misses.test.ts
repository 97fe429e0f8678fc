import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, spawnCloudsweep } from '../support/aws';

const ROOT = join(__dirname, '..', '..');

describe('near misses on the command line', () => {
  it('says that clean goes after | in a search when typed as a command', async () => {
    const result = await runCli(['clean'], {});
    expect(result).toEqual({
      code: 2,
      out: '',
      err: "error: clean is not a command of its own: it is a search command and goes after | in a search, as in: cloudsweep search 'is(access_key) and last_access > 90days | clean'",
    });
    expect((await runCli(['--output', 'json', 'count', 'name'], {})).err).toMatch(/^error: count is not a command of its own: .* cloudsweep search 'is\(access_key\) \| count'$/);
  });

  it('takes jobs remove for jobs delete', async () => {
    const result = await runCli(['jobs', 'remove', '--help'], {});
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^Usage: cloudsweep jobs delete\|remove \[options\] <id>/);
  });

  it('prints its version with --version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await runCli(['--version'], {})).toEqual({ code: 0, out: version, err: '' });
    const spawned = await spawnCloudsweep(['--version'], { PATH: process.env.PATH ?? '' });
    expect(spawned).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});
