import { createServer, IncomingMessage, request as httpRequest, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A proxy in front of the emulator that holds the requests of chosen AWS services unanswered, as an
 * endpoint that does not answer would: a command waits on it for as long as the test likes, and
 * the test knows (`nextHeld`) the moment it does. Other requests go through.
 */
export interface HeldProxy {
  readonly endpoint: string;
  /** Holds every later request to these services (the signing name: `dynamodb`, `iam`, `sts`). */
  hold(services: readonly string[]): void;
  /** Holds nothing more; requests held so far are dropped (their callers gave up on them). */
  release(): void;
  /** Resolves with the service of the next request held (or of one held already, not yet asked for). */
  nextHeld(): Promise<string>;
  stop(): Promise<void>;
}

export async function startHeldProxy(target: string): Promise<HeldProxy> {
  const to = new URL(target);
  let holding = new Set<string>();
  const held: { service: string; res: ServerResponse }[] = [];
  const unseen: string[] = [];
  const waiting: ((service: string) => void)[] = [];

  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const upstream = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`held proxy: ${error.message}`);
    });
    req.pipe(upstream);
  };

  const server = createServer((req, res) => {
    const service = /\/([\w-]+)\/aws4_request/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (!holding.has(service)) return forward(req, res);
    held.push({ service, res });
    req.resume();
    const waiter = waiting.shift();
    if (waiter) waiter(service);
    else unseen.push(service);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const release = () => {
    holding = new Set();
    for (const { res } of held.splice(0)) res.destroy();
    unseen.length = 0;
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    hold(services) {
      holding = new Set(services);
    },
    release,
    nextHeld() {
      const service = unseen.shift();
      return service !== undefined ? Promise.resolve(service) : new Promise((resolve) => waiting.push(resolve));
    },
    async stop() {
      release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
