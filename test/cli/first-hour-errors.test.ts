import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliContext } from '../../cli/context';
import { run } from '../../cli/main';

const KEYS = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' };

/** Runs a command line in-process and notes when each stderr line came, in ms from the start. */
async function timed(argv: string[], env: NodeJS.ProcessEnv) {
  const started = Date.now();
  const err: { at: number; text: string }[] = [];
  const context: CliContext = { out: () => undefined, err: (text) => void err.push({ at: Date.now() - started, text }), env, isTTY: false, color: false };
  const code = await run(argv, context);
  return { code, err, took: Date.now() - started };
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

describe('the errors a user meets in the first hour', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('says that an endpoint without a scheme needs http://', async () => {
    const result = await timed(['--endpoint-url', 'localhost:5055', 'jobs', 'list'], KEYS);
    expect(result.code).toBe(2);
    expect(result.err.map((line) => line.text)).toEqual([
      'error: --endpoint-url localhost:5055 is not an http:// or https:// URL: write it with its scheme, as in http://localhost:5055',
    ]);
    expect((await timed(['jobs', 'list'], { ...KEYS, AWS_ENDPOINT_URL: '127.0.0.1:4566' })).err[0]?.text).toMatch(/^error: AWS_ENDPOINT_URL 127\.0\.0\.1:4566 is not an http/);
  });

  it('says that an endpoint answering with a web page did not answer as AWS does', async () => {
    const html = createServer((_request, response) => {
      response.writeHead(404, { 'content-type': 'text/html' });
      response.end('<html><body><h1>Not Found</h1></body></html>');
    });
    servers.push(html);
    const endpoint = await listen(html);
    const result = await timed(['jobs', 'list'], { ...KEYS, AWS_ENDPOINT_URL: endpoint });
    expect(result.code).toBe(1);
    expect(result.err.map((line) => line.text)).toEqual([
      `error: looking up stack CloudSweep: the endpoint ${endpoint} answered with a web page (HTTP 404), not as AWS does. Check --endpoint-url (or AWS_ENDPOINT_URL): is it the emulator's address and port?`,
    ]);
  });

  it('names a profile that AWS_PROFILE names but no shared file holds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cloudsweep-profile-'));
    writeFileSync(join(dir, 'config'), '[profile prod]\nregion = eu-west-1\n');
    writeFileSync(join(dir, 'credentials'), '[prod]\naws_access_key_id = AKIA\naws_secret_access_key = x\n');
    const env = { AWS_PROFILE: 'prdo', AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_REGION: 'us-east-1' };
    const result = await timed(['jobs', 'list'], env);
    expect(result.code).toBe(2);
    expect(result.err[0]?.text).toBe(
      `error: AWS_PROFILE names the profile "prdo", which is in neither ${join(dir, 'config')} nor ${join(dir, 'credentials')}: check its spelling (aws configure list-profiles), or unset AWS_PROFILE`,
    );
  });

  it('says within 2 seconds what it waits for at an endpoint that never answers, then gives up within seconds', async () => {
    const silent = createServer(() => undefined);
    servers.push(silent);
    const endpoint = await listen(silent);
    const result = await timed(['jobs', 'list'], { ...KEYS, AWS_ENDPOINT_URL: endpoint });
    expect(result.code).toBe(1);
    const [waiting, error] = result.err;
    expect(waiting?.text).toBe(`waiting for the endpoint ${endpoint} to answer (CloudFormation DescribeStacks) ...`);
    expect(waiting?.at).toBeLessThan(2000);
    expect(error?.text).toMatch(new RegExp(`^error: looking up stack CloudSweep: nothing answers at ${endpoint} .*Is the emulator running\\?`));
    expect(result.took).toBeLessThan(10_000);
  });

  it('fails at once where nothing listens', async () => {
    const closed = createServer();
    const endpoint = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const result = await timed(['jobs', 'list'], { ...KEYS, AWS_ENDPOINT_URL: endpoint });
    expect(result.code).toBe(1);
    expect(result.err.at(-1)?.text).toMatch(new RegExp(`nothing answers at ${endpoint}`));
    expect(result.took).toBeLessThan(3000);
  });
});
