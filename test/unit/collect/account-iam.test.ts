import { ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { Readable } from 'node:stream';
import { AwsClients } from '../../../src/aws/clients';
import { accountIam } from '../../../src/collect/account-iam';

/** An HTTP handler that holds every request until `answer()`, counting what is in flight. */
function heldTransport() {
  const waiting: Array<() => void> = [];
  let inFlight = 0;
  let most = 0;
  const body = '<ListAccessKeysResponse><ListAccessKeysResult><AccessKeyMetadata/><IsTruncated>false</IsTruncated></ListAccessKeysResult></ListAccessKeysResponse>';
  const handler = {
    metadata: { handlerProtocol: 'http/1.1' },
    handle: () =>
      new Promise<{ response: { statusCode: number; headers: Record<string, string>; body: Readable } }>((resolve) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        waiting.push(() => {
          inFlight -= 1;
          resolve({ response: { statusCode: 200, headers: {}, body: Readable.from([Buffer.from(body)]) } });
        });
      }),
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
    destroy: () => undefined,
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  const answer = async () => {
    for (const respond of waiting.splice(0)) respond();
    await settle();
  };
  return { handler, answer, settle, most: () => most, pending: () => waiting.length };
}

describe("an account's IAM client in collect", () => {
  it('counts the operations sent through it and keeps at most its cap in flight', async () => {
    const transport = heldTransport();
    const aws = new AwsClients({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }, { handler: transport.handler as never });
    const account = accountIam(aws, 3);

    const calls = Array.from({ length: 7 }, (_, i) => account.iam.send(new ListAccessKeysCommand({ UserName: `user-${i}` })));
    while (transport.pending() < 3) await transport.settle();
    await transport.settle();
    expect(transport.pending()).toBe(3);
    while (transport.pending() > 0) await transport.answer();
    await Promise.all(calls);

    expect(transport.most()).toBe(3);
    expect(account.calls()).toBe(7);
  });

  it('leaves the clients it was made from uncounted and uncapped', async () => {
    const transport = heldTransport();
    const aws = new AwsClients({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }, { handler: transport.handler as never });
    const account = accountIam(aws, 1);

    const calls = Array.from({ length: 3 }, (_, i) => aws.iam.send(new ListAccessKeysCommand({ UserName: `user-${i}` })));
    while (transport.pending() < 3) await transport.settle();
    await transport.answer();
    await Promise.all(calls);

    expect(account.calls()).toBe(0);
  });
});
