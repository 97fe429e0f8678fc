import { currentAbortSignal, despiteAbort, passCurrentAbortSignal, withAbortSignal } from '../../../src/aws/abort';

/** A client as the SDK's are called: `send(command, options?)`; this one records the options. */
function recordingClient() {
  const options: unknown[] = [];
  const client = {
    send: (command: string, given?: unknown) => {
      options.push(given);
      return Promise.resolve(command);
    },
  };
  return { client: passCurrentAbortSignal(client), options };
}

describe('the current abort signal', () => {
  it('reaches every send of the command it was given to, and no send outside it', async () => {
    const { client, options } = recordingClient();
    const controller = new AbortController();
    await client.send('outside');
    await withAbortSignal(controller.signal, async () => {
      await client.send('inside');
      await new Promise((resolve) => setImmediate(resolve));
      await client.send('inside, later');
    });
    expect(options).toEqual([undefined, { abortSignal: controller.signal }, { abortSignal: controller.signal }]);
  });

  it('leaves options the caller gave as they are', async () => {
    const { client, options } = recordingClient();
    const own = { abortSignal: new AbortController().signal };
    await withAbortSignal(new AbortController().signal, () => client.send('own', own));
    expect(options).toEqual([own]);
  });

  it('is not passed to what must happen despite the abort', async () => {
    const { client, options } = recordingClient();
    await withAbortSignal(new AbortController().signal, () => despiteAbort(() => client.send('release the lease')));
    expect(options).toEqual([undefined]);
    expect(currentAbortSignal()).toBeUndefined();
  });
});
