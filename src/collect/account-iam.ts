import type { IAMClient } from '@aws-sdk/client-iam';
import type { AwsClients } from '../aws/clients';
import { inFlightLimit } from '../pool';

/**
 * IAM calls one account has in flight at most. IAM limits the request rate per account: the cap
 * keeps a large account's fan-out over its users from bursting, and the SDK's adaptive retry slows
 * a throttled account down rather than failing it.
 */
export const IAM_CALLS_IN_FLIGHT_PER_ACCOUNT = 8;

/** One account's IAM client for one collect, and the IAM operations sent through it so far. */
export interface AccountIam {
  iam: IAMClient;
  calls(): number;
}

/**
 * An IAM client of the account's own (same settings and connections) that counts the operations
 * sent through it, so each account's result can say what its inventory cost, and keeps at most
 * `inFlight` of them going at once. Counted where an operation starts, so the SDK's retries of one
 * operation are not counted again (the fault proxy's statistics see those).
 */
export function accountIam(aws: AwsClients, inFlight = IAM_CALLS_IN_FLIGHT_PER_ACCOUNT): AccountIam {
  const iam = aws.separate().iam;
  const limit = inFlightLimit(inFlight);
  let calls = 0;
  iam.middlewareStack.add(
    (next) => (args) => {
      calls += 1;
      return limit(() => next(args));
    },
    { step: 'initialize', name: 'countAndCapAccountCalls' },
  );
  return { iam, calls: () => calls };
}
