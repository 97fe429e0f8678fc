import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The AbortSignal of the command running now (the shell makes one per line, Ctrl-C aborts it),
 * held in async context so that it reaches every SDK call the command makes, however deep,
 * without a signal parameter on each function between the CLI and the SDK.
 */
const current = new AsyncLocalStorage<AbortSignal>();

/** Runs `work` with `signal` as the current signal of every SDK call it makes. */
export function withAbortSignal<T>(signal: AbortSignal, work: () => T): T {
  return current.run(signal, work);
}

/** The current command's signal; undefined outside a command that can be aborted (a one-off CLI run). */
export function currentAbortSignal(): AbortSignal | undefined {
  return current.getStore();
}

/**
 * Runs `work` outside the current signal: what must still happen once a command is aborted,
 * such as giving the workflow lease back.
 */
export function despiteAbort<T>(work: () => T): T {
  return current.exit(work);
}

interface Sends {
  send(command: unknown, options?: unknown, callback?: unknown): unknown;
}

/**
 * Makes `client.send(command)` pass the current signal as `{ abortSignal }`, unless the caller
 * gave options of its own. Done on `send` rather than in a middleware: the HTTP handler takes the
 * signal only from send's options, and only there does an abort close the request's connection
 * (the retry middleware reads the same options and stops waiting between attempts).
 */
export function passCurrentAbortSignal<Client extends Sends>(client: Client): Client {
  const sends: Sends = client;
  const send = client.send.bind(client);
  sends.send = (command: unknown, options?: unknown, callback?: unknown) => {
    const signal = current.getStore();
    if (signal === undefined || options !== undefined) return send(command, options, callback);
    return send(command, { abortSignal: signal });
  };
  return client;
}
