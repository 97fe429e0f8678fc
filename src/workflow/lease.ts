import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { despiteAbort } from '../aws/abort';
import { isConditionalCheckFailed } from '../aws/errors';
import type { AwsClients } from '../aws/clients';
import { RuntimeError } from '../errors';

/**
 * Two workflow runs must not interleave (one flagging while another cleans up). A run holds the
 * lease, one item in the runs table (`pk = "lease"`, `sk = "workflow"`), while it runs: taken with
 * a conditional write that succeeds only when the item is absent, expired or already ours; renewed
 * while the run goes on; released at the end. A crashed holder's lease simply expires.
 */
export interface LeaseHolder {
  /** Who holds it: the run id. */
  holder: string;
  workflow: string;
  /** `host:pid` or the Step Functions execution: where to look for the holder. */
  where: string;
  acquired_at: string;
}

export interface HeldLease extends LeaseHolder {
  /** Epoch seconds. */
  expires_at: number;
}

export interface Lease {
  /** Takes the lease for `ttlSeconds`; resolves to the current holder when someone else has it. */
  tryAcquire(holder: LeaseHolder, ttlSeconds: number): Promise<{ acquired: true } | { acquired: false; heldBy?: HeldLease }>;
  /** Extends our lease; false when it is no longer ours (it expired and someone took it). */
  renew(holder: string, ttlSeconds: number): Promise<boolean>;
  /** Gives our lease up; false (and nothing changed) when it is not ours or there is none. */
  release(holder: string): Promise<boolean>;
}

export class LeaseBusyError extends RuntimeError {
  /** `advice` ends the message: what the refused run can do (the CLI's `--lease-wait` by default). */
  constructor(
    readonly heldBy: HeldLease | undefined,
    advice = heldBy ? `Wait for it to finish (workflow show ${heldBy.holder}) or run with --lease-wait to wait for it.` : 'Try again shortly.',
  ) {
    super(
      heldBy
        ? `another workflow run holds the lease: run ${heldBy.holder} (${heldBy.workflow}, started ${heldBy.acquired_at} on ${heldBy.where}), ` +
            `until ${new Date(heldBy.expires_at * 1000).toISOString()} unless it renews. ${advice}`
        : `another workflow run holds the lease. ${advice}`,
    );
    // The state machine's Retry matches this name: spelled out so renaming the class cannot break it.
    this.name = 'LeaseBusyError';
  }
}

const KEY = { pk: 'lease', sk: 'workflow' };

export class DynamoLease implements Lease {
  constructor(
    private readonly aws: AwsClients,
    private readonly tableName: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async tryAcquire(holder: LeaseHolder, ttlSeconds: number) {
    const now = epochSeconds(this.clock());
    try {
      await this.aws.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...KEY, ...holder, expires_at: now + ttlSeconds },
          ConditionExpression: 'attribute_not_exists(pk) OR expires_at < :now OR holder = :holder',
          ExpressionAttributeValues: { ':now': now, ':holder': holder.holder },
        }),
      );
      return { acquired: true as const };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const current = await this.aws.documents.send(new GetCommand({ TableName: this.tableName, Key: KEY, ConsistentRead: true }));
      const item = current.Item as HeldLease | undefined;
      return { acquired: false as const, ...(item ? { heldBy: item } : {}) };
    }
  }

  async renew(holder: string, ttlSeconds: number): Promise<boolean> {
    try {
      await this.aws.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: KEY,
          UpdateExpression: 'SET expires_at = :expires',
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':expires': epochSeconds(this.clock()) + ttlSeconds, ':holder': holder },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async release(holder: string): Promise<boolean> {
    try {
      await this.aws.documents.send(
        new DeleteCommand({ TableName: this.tableName, Key: KEY, ConditionExpression: 'holder = :holder', ExpressionAttributeValues: { ':holder': holder } }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}
export interface LeaseTiming {
  ttlSeconds: number;
  /** How long to wait for a busy lease before refusing (0: refuse at once). */
  waitMs: number;
  pollMs: number;
  sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_LEASE_TIMING: LeaseTiming = {
  ttlSeconds: 120,
  waitMs: 0,
  pollMs: 2000,
  sleep,
};

/** A lease being held: renewed in the background until released. */
export interface LeaseHandle {
  /** Set when a renewal found the lease taken by another run: stop before the next step. */
  readonly lost: boolean;
  release(): Promise<void>;
}

/**
 * Takes the lease, waiting up to `waitMs` for a busy one, then keeps renewing it. `advice` ends the
 * refusal: what the refused caller can do (by default the CLI's `--lease-wait`).
 */
export async function holdLease(lease: Lease, holder: LeaseHolder, timing: LeaseTiming = DEFAULT_LEASE_TIMING, advice?: string): Promise<LeaseHandle> {
  const deadline = Date.now() + timing.waitMs;
  for (;;) {
    const attempt = await lease.tryAcquire(holder, timing.ttlSeconds);
    if (attempt.acquired) break;
    if (Date.now() + timing.pollMs > deadline) throw new LeaseBusyError(attempt.heldBy, ...(advice === undefined ? [] : [advice]));
    await timing.sleep(timing.pollMs);
  }
  let lost = false;
  let renewing: Promise<void> = Promise.resolve();
  // Renew at a third of the lifetime: two renewals can fail before the lease runs out.
  const timer = setInterval(() => {
    renewing = lease.renew(holder.holder, timing.ttlSeconds).then(
      (ok) => void (lost ||= !ok),
      () => undefined, // a failed renewal is retried at the next tick; the lease has time left
    );
  }, Math.max(1000, (timing.ttlSeconds * 1000) / 3));
  timer.unref();
  return {
    get lost() {
      return lost;
    },
    async release() {
      clearInterval(timer);
      await renewing;
      // Given back even when Ctrl-C aborted the command in the shell: the next run need not wait for it to expire.
      await despiteAbort(() => lease.release(holder.holder));
    },
  };
}

/** Who does a change outside a workflow run (a search's `clean`, a job run by id), and how long it waits for the lease. */
export interface ChangeUnderLease {
  lease: Lease;
  /** `search`, `job:<id>`: what the lease record names as the holder's workflow. */
  what: string;
  /** `host:pid`, `lambda:plan`: where to find it. */
  where: string;
  waitMs: number;
  /** Ends the refusal: what the refused caller can do. Left out, the CLI's advice (`--lease-wait`). */
  advice?: string;
  clock?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

/** A scheduled job refused the lease: nobody is at a prompt to wait, and its schedule brings it back. */
export const SCHEDULED_JOB_LEASE_ADVICE = 'The job did not run; its schedule runs it again next time.';

/** `jobs run ID` refused the lease: it has no --lease-wait; run it again once that run is done. */
export const MANUAL_JOB_LEASE_ADVICE = 'The job did not run; run it again once that run has finished.';

/**
 * Runs `work` holding the workflow lease, so it cannot interleave with a run (one that is flagging
 * or cleaning up). Waits up to `waitMs` for a run that holds it, then refuses with LeaseBusyError
 * naming the run. The holder id is fresh, so it never takes over a run's lease.
 */
export async function underLease<T>(change: ChangeUnderLease, work: () => Promise<T>): Promise<T> {
  const now = (change.clock ?? (() => new Date()))();
  const holder = { holder: `${change.what}-${now.getTime().toString(36)}-${Math.random().toString(36).slice(2, 8)}`, workflow: change.what, where: change.where, acquired_at: now.toISOString() };
  const handle = await holdLease(change.lease, holder, { ...DEFAULT_LEASE_TIMING, waitMs: change.waitMs, ...(change.sleep ? { sleep: change.sleep } : {}) }, change.advice);
  try {
    return await work();
  } finally {
    await handle.release();
  }
}

/**
 * Takes the lease once, for a run that cannot renew it (a Step Functions execution): `ttlSeconds`
 * covers the whole run, and the run releases it at its end. Taking it again for the same run
 * succeeds (a retried invocation). Throws LeaseBusyError, naming the holder, when another run has it.
 */
export async function acquireRunLease(lease: Lease, holder: LeaseHolder, ttlSeconds: number, advice?: string): Promise<HeldLease> {
  const attempt = await lease.tryAcquire(holder, ttlSeconds);
  if (!attempt.acquired) throw new LeaseBusyError(attempt.heldBy, advice);
  return { ...holder, expires_at: epochSeconds(new Date(holder.acquired_at)) + ttlSeconds };
}

/**
 * How a Step Functions execution waits for a busy lease: the Retry on LeaseBusyError of its
 * `Acquire lease` state (lib/constructs/workflow-state-machine.ts). No jitter: the conditional
 * write already settles who wins, and the wait stays predictable.
 */
export const EXECUTION_LEASE_RETRY = { intervalSeconds: 30, backoffRate: 1.5, maxDelaySeconds: 120, maxAttempts: 7 } as const;

/** The longest an execution waits for the lease: the sum of its retry delays (about 10 minutes). */
export function executionLeaseWaitSeconds(retry: typeof EXECUTION_LEASE_RETRY = EXECUTION_LEASE_RETRY): number {
  let total = 0;
  for (let attempt = 0; attempt < retry.maxAttempts; attempt++) total += Math.min(retry.maxDelaySeconds, retry.intervalSeconds * retry.backoffRate ** attempt);
  return Math.round(total);
}

/** Ends the LeaseBusyError of an execution: what its failure tells the operator. */
export const EXECUTION_LEASE_ADVICE =
  `An execution waits up to about ${Math.round(executionLeaseWaitSeconds() / 60)} minutes for it before failing; ` +
  'start the workflow again once that run has finished.';

export interface LeaseRelease {
  holder: string;
  /** False when the lease was not this run's (never taken, already released, or expired and taken over). */
  released: boolean;
}

/** Releases the run's lease if it still holds it; safe to repeat, and it never takes another run's. */
export async function releaseRunLease(lease: Lease, holder: string): Promise<LeaseRelease> {
  return { holder, released: await lease.release(holder) };
}

export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
