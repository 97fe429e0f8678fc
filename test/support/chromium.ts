import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/**
 * A headless Chromium driven over the DevTools protocol through a pipe (`--remote-debugging-pipe`:
 * JSON messages ended by a NUL byte on fds 3 and 4), so a test can load a page, read what the
 * browser laid out, see every request it made, and take a screenshot, with no npm dependency.
 */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing: install it (apt-get install -y chromium; .ci/run does) or set CHROMIUM`;
}

interface Pending {
  resolve: (value: Record<string, unknown>) => void;
  reject: (error: Error) => void;
}

export class HeadlessPage {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners: ((method: string, params: Record<string, unknown>) => void)[] = [];
  private buffer = '';
  /** Every URL the page asked for, in order. */
  readonly requests: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    private readonly input: Writable,
    private readonly profile: string,
    private sessionId = '',
  ) {}

  static async open(width = 1280, height = 900): Promise<HeadlessPage> {
    const missing = chromiumMissing();
    if (missing) throw new Error(missing);
    const profile = mkdtempSync(join(tmpdir(), 'cloudsweep-chromium-'));
    const child = spawn(
      CHROMIUM,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--hide-scrollbars', `--user-data-dir=${profile}`, `--window-size=${width},${height}`, '--remote-debugging-pipe', 'about:blank'],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
    );
    const page = new HeadlessPage(child, child.stdio[3] as Writable, profile);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    (child.stdio[4] as Readable).on('data', (chunk: Buffer) => page.receive(chunk.toString('utf8')));
    child.on('exit', (code) => {
      for (const { reject } of page.pending.values()) reject(new Error(`chromium exited (${code}): ${stderr.slice(-2000)}`));
      page.pending.clear();
    });
    const { targetInfos } = (await page.send('Target.getTargets', {}, false)) as { targetInfos: { targetId: string; type: string }[] };
    const target = targetInfos.find((info) => info.type === 'page');
    if (!target) throw new Error('chromium opened no page');
    const attached = (await page.send('Target.attachToTarget', { targetId: target.targetId, flatten: true }, false)) as { sessionId: string };
    page.sessionId = attached.sessionId;
    page.on((method, params) => {
      if (method === 'Network.requestWillBeSent') page.requests.push(String((params.request as { url: string }).url));
    });
    await page.send('Page.enable');
    await page.send('Network.enable');
    await page.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    return page;
  }

  /** Loads the URL and resolves once its load event fired. */
  async load(url: string): Promise<void> {
    const loaded = new Promise<void>((resolve) => this.on((method) => method === 'Page.loadEventFired' && resolve()));
    const { errorText } = (await this.send('Page.navigate', { url })) as { errorText?: string };
    if (errorText) throw new Error(`loading ${url}: ${errorText}`);
    await loaded;
  }

  /** Evaluates an expression in the page; its value comes back as JSON. */
  async evaluate<T>(expression: string): Promise<T> {
    const { result, exceptionDetails } = (await this.send('Runtime.evaluate', { expression, returnByValue: true })) as {
      result: { value: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (exceptionDetails) throw new Error(`in the page: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
    return result.value;
  }

  /** A PNG of the whole page, not only the viewport. */
  async screenshot(): Promise<Buffer> {
    const { data } = (await this.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true })) as { data: string };
    return Buffer.from(data, 'base64');
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
    await this.send('Browser.close', {}, false).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    rmSync(this.profile, { recursive: true, force: true });
  }

  private on(listener: (method: string, params: Record<string, unknown>) => void): void {
    this.listeners.push(listener);
  }

  private send(method: string, params: Record<string, unknown> = {}, inSession = true): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const message = { id, method, params, ...(inSession ? { sessionId: this.sessionId } : {}) };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.input.write(`${JSON.stringify(message)}\0`);
    });
  }

  private receive(text: string): void {
    this.buffer += text;
    let end = this.buffer.indexOf('\0');
    while (end >= 0) {
      const message = JSON.parse(this.buffer.slice(0, end)) as { id?: number; result?: Record<string, unknown>; error?: { message: string }; method?: string; params?: Record<string, unknown> };
      this.buffer = this.buffer.slice(end + 1);
      if (message.id !== undefined) {
        const waiting = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.error) waiting?.reject(new Error(message.error.message));
        else waiting?.resolve(message.result ?? {});
      } else if (message.method) {
        for (const listener of this.listeners) listener(message.method, message.params ?? {});
      }
      end = this.buffer.indexOf('\0');
    }
  }
}
