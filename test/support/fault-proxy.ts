import { createHash } from 'node:crypto';
import { Agent, createServer, IncomingMessage, request as httpRequest, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ValidationError } from '../../src/errors';

/**
 * A fault-injecting HTTP proxy in front of the emulator: it answers a share of requests with the
 * throttling error of the request's protocol and delays a share of them, so tests and benchmarks
 * can show that the SDK's retries make collect and cleanup come out exact, and what latency costs.
 * It counts requests by operation (`stats()`), and can record answers and replay them (`setMode`).
 * It listens on loopback only and forwards only to a loopback target.
 *
 *   const proxy = await startFaultProxy({ target: emulator.endpoint, throttleRate: 0.2, latencyMs: 50, seed: 7 });
 *   const aws = new AwsClients({ endpoint: proxy.endpoint, ... });
 *   ...; proxy.stats().byOperation['iam:ListAccessKeys']; await proxy.stop();
 */
export interface FaultProxyOptions {
  /** The emulator's endpoint, e.g. `http://127.0.0.1:5000`. */
  target: string;
  /** Share of requests (0..1) answered with a throttling error instead of being forwarded. */
  throttleRate?: number;
  /** Throttle only these operations (`iam:UpdateAccessKey`); default every operation. */
  throttleOperations?: string[];
  /** Delay added before each affected request is answered or forwarded. */
  latencyMs?: number;
  /** Share of requests (0..1) that get the latency; default all. */
  latencyRate?: number;
  /** Seed of the pseudo-random choices, so a run can be repeated exactly. */
  seed?: number;
  /**
   * A call is throttled at most this many times in a row (the SDK numbers its attempts), so every
   * call succeeds within the SDK's retry budget: default 3.
   */
  maxThrottlesPerCall?: number;
}

export interface FaultProxyStats {
  /** Requests received, retries included. */
  requests: number;
  throttled: number;
  forwarded: number;
  /** Answered from the recording (replay mode) without reaching the target. */
  replayed: number;
  delayed: number;
  /** Requests most in flight at once. */
  maxInFlight: number;
  /** Requests received by operation, e.g. `iam:ListAccessKeys`, `dynamodb:PutItem` (retries included). */
  byOperation: Record<string, number>;
}

/**
 * `forward`: every request goes to the target. `record`: also keeps each answer by request (method,
 * path, body, signing key id, JSON target). `replay`: answers recorded requests from the recording
 * and forwards the rest, so a benchmark can measure the client's latency handling without the
 * emulator's own (single-threaded) service time.
 */
export type ProxyMode = 'forward' | 'record' | 'replay';

export interface FaultProxy {
  readonly endpoint: string;
  stats(): FaultProxyStats;
  setMode(mode: ProxyMode): void;
  /** Zeroes the statistics (between phases of a benchmark). */
  resetStats(): void;
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = loopbackTarget(options.target);
  const throttleRate = share(options.throttleRate ?? 0, 'throttleRate');
  const latencyRate = share(options.latencyRate ?? 1, 'latencyRate');
  const latencyMs = options.latencyMs ?? 0;
  if (!(latencyMs >= 0 && latencyMs <= 60_000)) throw new ValidationError(`fault proxy: latencyMs: expected 0..60000, got ${latencyMs}`);
  const maxThrottles = options.maxThrottlesPerCall ?? 3;
  const throttled = options.throttleOperations ? new Set(options.throttleOperations) : undefined;
  const random = mulberry32(options.seed ?? 1);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });

  let stats = emptyStats();
  let inFlight = 0;
  let mode: ProxyMode = 'forward';
  const recording = new Map<string, RecordedAnswer>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    inFlight += 1;
    stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
    try {
      const body = await readBody(req);
      const operation = operationOf(req, body);
      stats.requests += 1;
      stats.byOperation[operation] = (stats.byOperation[operation] ?? 0) + 1;
      // Both draws happen for every request so one option does not shift the other's sequence.
      const delay = random() < latencyRate ? latencyMs : 0;
      const throttle = random() < throttleRate && attemptOf(req) <= maxThrottles && (throttled?.has(operation) ?? true);
      if (delay > 0) {
        stats.delayed += 1;
        await sleep(delay);
      }
      if (throttle) {
        stats.throttled += 1;
        sendThrottle(req, res);
        return;
      }
      const key = mode === 'forward' ? '' : recordingKey(req, body);
      const recorded = mode === 'replay' ? recording.get(key) : undefined;
      if (recorded) {
        stats.replayed += 1;
        res.writeHead(recorded.status, recorded.headers);
        res.end(recorded.body);
        return;
      }
      stats.forwarded += 1;
      const answer = await forward(req, body, res, target, agent, mode !== 'forward');
      if (answer && answer.status < 300) recording.set(key, answer);
    } catch (error) {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`fault proxy: ${(error as Error).message}`);
    } finally {
      inFlight -= 1;
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats: () => ({ ...stats, byOperation: { ...stats.byOperation } }),
    setMode: (next) => {
      mode = next;
    },
    resetStats: () => {
      stats = emptyStats();
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

function emptyStats(): FaultProxyStats {
  return { requests: 0, throttled: 0, forwarded: 0, replayed: 0, delayed: 0, maxInFlight: 0, byOperation: {} };
}

function loopbackTarget(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ValidationError(`fault proxy: target: not a URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw new ValidationError(`fault proxy: target: only a loopback http endpoint is allowed, got ${value}`);
  }
  return url;
}

function share(value: number, name: string): number {
  if (!(value >= 0 && value <= 1)) throw new ValidationError(`fault proxy: ${name}: expected a share between 0 and 1, got ${value}`);
  return value;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error(`request body over ${MAX_BODY_BYTES} bytes`);
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}

/** `service:Operation` from the signature's scope and the JSON target or the query `Action`. */
function operationOf(req: IncomingMessage, body: Buffer): string {
  const scope = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization ?? ''));
  const service = scope?.[1] ?? 'unknown';
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return `${service}:${target.split('.').pop() ?? target}`;
  const action = /(?:^|&)Action=([^&]+)/.exec(body.toString('utf8'));
  return `${service}:${action?.[1] ? decodeURIComponent(action[1]) : (req.method ?? 'GET')}`;
}

/** The SDK sends `amz-sdk-request: attempt=N; max=M` with every attempt of a call. */
function attemptOf(req: IncomingMessage): number {
  const match = /attempt=(\d+)/.exec(String(req.headers['amz-sdk-request'] ?? ''));
  return match?.[1] ? Number(match[1]) : 1;
}

/** The throttling error as the service would send it, so the SDK classifies and retries it. */
function sendThrottle(req: IncomingMessage, res: ServerResponse): void {
  const contentType = String(req.headers['content-type'] ?? '');
  if (contentType.startsWith('application/x-amz-json')) {
    res.writeHead(400, { 'content-type': contentType, 'x-amzn-requestid': 'fault-proxy' });
    res.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded (fault proxy)' }));
    return;
  }
  res.writeHead(400, { 'content-type': 'text/xml', 'x-amzn-requestid': 'fault-proxy' });
  res.end(
    '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded (fault proxy)</Message></Error>' +
      '<RequestId>fault-proxy</RequestId></ErrorResponse>',
  );
}

interface RecordedAnswer {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** Who asked (the signing key id tells accounts apart), what and with which body. */
function recordingKey(req: IncomingMessage, body: Buffer): string {
  const keyId = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
  const digest = createHash('sha256').update(body).digest('hex');
  return [req.method, req.url, keyId, String(req.headers['x-amz-target'] ?? ''), digest].join(' ');
}

/** Sends the request on and the answer back; with `keep`, also resolves to the whole answer. */
function forward(
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
  target: URL,
  agent: Agent,
  keep: boolean,
): Promise<RecordedAnswer | undefined> {
  return new Promise((resolve, reject) => {
    const upstream = httpRequest(
      {
        host: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...withoutHopByHop(req.headers), 'content-length': String(body.length) },
        agent,
      },
      (answer) => {
        const status = answer.statusCode ?? 502;
        const headers = withoutHopByHop(answer.headers);
        res.writeHead(status, headers);
        const parts: Buffer[] = [];
        if (keep) answer.on('data', (chunk: Buffer) => parts.push(chunk));
        answer.pipe(res);
        answer.on('end', () => resolve(keep ? { status, headers, body: Buffer.concat(parts) } : undefined));
        answer.on('error', reject);
      },
    );
    upstream.on('error', reject);
    upstream.end(body);
  });
}

/**
 * Headers that describe one connection, not the message (RFC 9110 section 7.6.1): a proxy does not
 * pass them on. The body was read whole, so it goes on with a length instead of the client's
 * chunking; and the emulator's `Connection: close` must not make the client drop its kept-alive
 * connection after every answer, which real AWS endpoints do not ask for.
 */
function withoutHopByHop(headers: IncomingMessage['headers']): IncomingMessage['headers'] {
  const {
    connection: _connection,
    'keep-alive': _keepAlive,
    'proxy-connection': _proxyConnection,
    'transfer-encoding': _transferEncoding,
    te: _te,
    trailer: _trailer,
    upgrade: _upgrade,
    ...rest
  } = headers;
  return rest;
}

/** A small seeded PRNG: the same seed gives the same faults. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
