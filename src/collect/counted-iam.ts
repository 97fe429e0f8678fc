import type { IAMClient } from '@aws-sdk/client-iam';
import type { CallBudget, CallPriority } from './pool';

type Send = IAMClient['send'];

/**
 * An account's IAM client that counts the calls made through it, so each account's summary can
 * say what its inventory cost, and sends each within the collect's call budget: `send` for the
 * calls that open the account up, `fanOut.send` for the calls made per user or key. Counts
 * operations asked for; the SDK's retries of one operation are not counted again (the fault
 * proxy's statistics see those).
 */
export class CountedIam {
  calls = 0;

  constructor(
    private readonly client: IAMClient,
    private readonly budget: CallBudget,
  ) {}

  readonly send = this.sender('opening');

  readonly fanOut: { send: Send } = { send: this.sender('fan-out') };

  private sender(priority: CallPriority): Send {
    return ((command: Parameters<Send>[0]) => {
      this.calls += 1;
      return this.budget.run(() => this.client.send(command), priority);
    }) as Send;
  }
}
