import { awsErrorText } from '../aws/errors';
import type { AuditEntry } from './audit';
import { flaggedKey } from './policy';
import { mapPool } from '../pool';
import type { RunContext } from './run';
import { applyLocally, listedStatus, markCleaned, markDeactivated } from './verify-and-act';

export interface Reconciliation {
  /** Intents settled. */
  reconciled: number;
  /** Keys whose intent could not be settled now: not acted on in this run. */
  unsettled: Set<string>;
  /** Accounts that could not be entered to settle, with why. */
  unreachable: Map<string, string>;
}

/**
 * Settles the intents an interrupted run left (recorded before an IAM write, never resolved):
 * the key's state in IAM says whether the write happened. A deleted key's entry becomes `deleted`
 * (so the audit shows it once, as deleted, and no second DeleteAccessKey is sent); a key still
 * there gets its entry marked `failed` and is acted on again by this run if it is still a candidate.
 * Reads only: no IAM write here.
 */
export async function reconcileIntents(context: RunContext, poolSize: number): Promise<Reconciliation> {
  const intents = (await context.deps.audit.pendingIntents()).filter((intent) => intent.run_id !== context.ref.run_id);
  const result: Reconciliation = { reconciled: 0, unsettled: new Set(), unreachable: new Map() };
  if (intents.length === 0) return result;
  context.log.warn('settling cleanup intents left by an interrupted run', { run_id: context.ref.run_id, intents: intents.length });
  // After a failure no new intent starts, and it is rethrown once the started ones settle.
  await mapPool(intents, poolSize, async (intent) => {
    if (await settle(context, intent, result.unreachable)) result.reconciled += 1;
    else result.unsettled.add(intent.access_key_id);
  });
  return result;
}

async function settle(context: RunContext, intent: AuditEntry, unreachable: Map<string, string>): Promise<boolean> {
  const { deps, ref, graph, log } = context;
  const accountName = graph.node(intent.account)?.reported.name;
  let status;
  try {
    let clients;
    try {
      clients = await context.sessions.clientsFor(intent.account, typeof accountName === 'string' ? accountName : intent.account);
    } catch (error) {
      unreachable.set(intent.account, awsErrorText(error));
      throw error;
    }
    status = await listedStatus(clients.iam, intent.user_name, intent.access_key_id);
  } catch (error) {
    log.error('cannot settle a cleanup intent now; the key is left alone this run', {
      access_key_id: intent.access_key_id,
      account: intent.account,
      intent_run_id: intent.run_id,
      error: awsErrorText(error),
    });
    return false;
  }
  const now = context.now();
  const node = graph.node(intent.access_key_id);
  const key = node?.kind === 'aws_iam_access_key' ? flaggedKey(graph, node) : undefined;
  const settledBy = `settled by run ${ref.run_id} at ${now}`;
  let final: AuditEntry;
  if (status === undefined) {
    const result = intent.action === 'delete' ? 'deleted' : 'already_absent';
    final = { ...intent, result, reason: `${intent.reason}; key absent after the interrupted ${intent.action} (${settledBy})` };
    if (key && key.node.metadata.cleaned !== true) {
      const update = markCleaned(key, intent.account, intent.run_id, intent.at, result);
      await context.updateInventory([update]);
      applyLocally(key, update);
    }
  } else if (intent.action === 'deactivate' && status === 'Inactive') {
    final = { ...intent, result: 'deactivated', reason: `${intent.reason}; key inactive after the interrupted deactivate (${settledBy})` };
    if (key && typeof key.node.metadata.deactivated_at !== 'string') {
      // When IAM applied it is unknown (between the intent and now): the grace starts when this
      // settle saw the key inactive, so the key is never deleted before a whole grace has passed.
      const update = markDeactivated(key, intent.account, intent.run_id, now);
      await context.updateInventory([update]);
      applyLocally(key, update);
    }
  } else {
    final = { ...intent, result: 'failed', reason: `${intent.reason}; interrupted before the ${intent.action} took effect (${settledBy}, which acts on the key again)` };
  }
  await deps.audit.resolveIntent(final);
  log.info('cleanup intent settled', { access_key_id: intent.access_key_id, intent_run_id: intent.run_id, result: final.result });
  return true;
}
