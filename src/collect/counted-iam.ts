import type { IAMClient } from '@aws-sdk/client-iam';

/**
 * An account's IAM client that counts the calls made through it, so each account's summary can
 * say what its inventory cost. Counts operations asked for; the SDK's retries of one operation
 * are not counted again (the fault proxy's statistics see those).
 */
export class CountedIam {
  calls = 0;

  constructor(private readonly client: IAMClient) {}

  readonly send = ((command: Parameters<IAMClient['send']>[0]) => {
    this.calls += 1;
    return this.client.send(command);
  }) as IAMClient['send'];
}
