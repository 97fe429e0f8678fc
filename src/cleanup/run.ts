import type { IAMClient } from '@aws-sdk/client-iam';
import { meteringCapacity, roundUnits } from '../aws/capacity';
import type { AwsClients } from '../aws/clients';
import { awsErrorText } from '../aws/errors';
import { CleanupSettings, cleanupEnabledAnywhere, effectiveSettings } from '../config/account-overrides';
import type { FixWorkerConfig } from '../config/fix-worker';
import { RuntimeError } from '../errors';
import { CLEANUP_REFUSED, KeyStageDetail, KeyStageEvent, PublishedEvent } from '../events/contracts';
import { addOwnerMessages, deliverToOwners, MAX_NOTICE_LINES, NoticeLine, noticeLines, OwnerMessagesSummary } from '../owners/delivery';
import type { OwnerItem } from '../owners/digest';
import { listExemptions } from '../owners/exemptions';
import type { Mailer } from '../owners/mailer';
import { durationSetting, noticedMetadata, noticeOfThisFlag } from '../owners/notices';
import { ownerOf } from '../owners/owner';
import { formatDuration } from '../query/durations';
import type { InventoryGraph } from '../inventory/graph';
import type { InventoryStore, NodeUpdate } from '../inventory/store';
import { mapPool } from '../pool';
import type { CleanupSummary, PlanSummary, RunRef } from '../workflow/step-payloads';
import { AuditAction, AuditEntry, AuditResult, AuditStore, IntentExistsError } from './audit';
import {
  accountBreaker,
  CleanupSelection,
  decide,
  Decision,
  describeFlag,
  FlaggedKey,
  graceMs,
  intendedAction,
  minimumIdleMs,
  noticeMs,
  onlyEnabledAccounts,
  protectionOf,
  protectTags,
  SafetySettings,
  selectCandidates,
} from './policy';
import { reconcileIntents } from './reconcile';
import {
  AccountSessions,
  applyLocally,
  CLEANUP_RETRY,
  deactivateAccessKey,
  deleteAccessKey,
  inspectKey,
  markCleaned,
  markDeactivated,
  sessionNameFor,
  unflag,
} from './verify-and-act';

// --- the cleanup run -------------------------------------------------------------------------

export interface CleanupProgress {
  done: number;
  total: number;
  access_key_id: string;
  result: AuditResult;
}

/**
 * The cleanup step (SPEC section 7), in order: select candidates from the inventory; with
 * `cleanup: false` stop there; settle intents an interrupted run left; apply the circuit breaker
 * (refusal: audited, published, CleanupRefusedError thrown, nothing written to IAM); then per key,
 * at most `cleanup_pool_size` at a time: enter its account, verify it in IAM, decide, record the
 * intent, write to IAM, mark the inventory, resolve the intent. Every decision is in the audit
 * table before this resolves. Failures of one key or account are counted, not thrown; an audit or
 * inventory write that fails stops the run (CleanupStoppedError) so no write goes unrecorded.
 */
export async function runCleanup(
  deps: CleanupDeps,
  config: FixWorkerConfig,
  ref: RunRef,
  onProgress?: (progress: CleanupProgress) => void,
  previous?: Partial<CleanupSummary>,
): Promise<CleanupRunSummary> {
  const started = deps.clock.now().getTime();
  const earlier = isEarlierInvocation(previous) ? previous : undefined;
  const { result: summary, units } = await meteringCapacity(async () => {
    const { graph } = await deps.store.loadGraph();
    const run = new CleanupRun(deps, config, ref, graph, earlier !== undefined, onProgress);
    try {
      return await run.execute();
    } finally {
      run.summary.duration_ms = deps.clock.now().getTime() - started;
    }
  });
  Object.assign(summary, units);
  return earlier ? mergeSummaries(earlier, summary) : summary;
}

/**
 * Stop taking new keys once the invocation has less than this left: the keys in flight still
 * finish (each takes seconds, a few calls with the SDK's retries), and the summary is returned
 * before Lambda ends the invocation. A key cut off anyway leaves its intent, settled by the next run.
 */
export const TIME_MARGIN_MS = 60_000;

/** The summary of an earlier invocation of this run (the state machine passes `{}` before the first). */
function isEarlierInvocation(previous: Partial<CleanupSummary> | undefined): previous is CleanupSummary {
  return typeof previous?.invocations === 'number';
}

class CleanupRun {
  readonly summary: CleanupRunSummary;
  private readonly context: RunContext;
  /** Every account cleanup may act in is in dry run (fixworker's setting and the accounts overrides). */
  private readonly allDryRun: boolean;
  private readonly protectTags: readonly string[];
  private fatal: unknown;
  /** What this invocation tells owners, delivered once it is done. */
  private readonly items: OwnerItem[] = [];
  private taken = 0;
  private writes = 0;
  private done = 0;
  private total = 0;

  constructor(
    private readonly deps: CleanupDeps,
    private readonly config: FixWorkerConfig,
    private readonly ref: RunRef,
    graph: InventoryGraph,
    /** A later invocation of the same run: keys an earlier one decided are left alone. */
    private readonly continuing: boolean,
    private readonly onProgress?: (progress: CleanupProgress) => void,
  ) {
    const fixworker = config.fixworker;
    const enabled = [fixworker, ...Object.keys(config.accounts).map((account) => effectiveSettings(config, account, account))].filter((settings) => settings.cleanup);
    // Checked here, once: a grace that cannot be read fails the run before anything is selected.
    for (const settings of [fixworker, ...enabled]) graceMs(settings);
    this.allDryRun = enabled.every((settings) => settings.cleanup_dry_run);
    this.protectTags = protectTags(deps.safety, fixworker.protect_tag);
    this.summary = emptyRunSummary(ref.run_id, enabled.length > 0, enabled.length > 0 && this.allDryRun);
    const log = deps.logger ?? SILENT_LOGGER;
    this.context = {
      deps,
      ref,
      graph,
      sessions: new AccountSessions(deps.aws.withRetry(CLEANUP_RETRY), deps.homeAccountId, config.collector.member_role, sessionNameFor(ref.run_id)),
      log,
      now: () => deps.clock.now().toISOString(),
      updateInventory: (updates) => this.updateInventory(updates),
    };
  }

  async execute(): Promise<CleanupRunSummary> {
    const { deps, ref, config, context } = this;
    const fixworker = config.fixworker;
    const log = context.log;
    if (!cleanupEnabledAnywhere(config)) {
      const selection = this.select(false);
      log.info('cleanup is disabled (fixworker.cleanup: false): nothing touched', { run_id: ref.run_id, flagged: selection.flagged.length });
      this.count(selection);
      return this.summary;
    }
    let selection = this.select();

    let unsettled = new Set<string>();
    let unreachable = new Map<string, string>();
    // A later invocation: intents were settled by the first; the keys earlier ones decided are done.
    const decided = this.continuing ? new Set((await deps.audit.query({ runId: ref.run_id })).map((entry) => entry.access_key_id)) : new Set<string>();
    if (decided.size > 0) selection = withoutKeys(selection, decided);
    if (this.continuing) {
      // nothing to settle: the run's first invocation did
    } else if (!this.allDryRun) {
      const reconciliation = await reconcileIntents(context, fixworker.cleanup_pool_size);
      this.summary.reconciled = reconciliation.reconciled;
      unsettled = reconciliation.unsettled;
      unreachable = reconciliation.unreachable;
      if (reconciliation.reconciled > 0) selection = this.select();
      if (reconciliation.reconciled > 0 && decided.size > 0) selection = withoutKeys(selection, decided);
    } else {
      const pending = await deps.audit.pendingIntents();
      if (pending.length > 0) log.warn('intents of an interrupted run are pending; the next real run settles them', { pending: pending.length });
    }
    const candidates = selection.candidates.filter((key) => !unsettled.has(key.accessKeyId));
    this.count(selection, candidates.length);

    // Protected keys are audited as skips but counted under `protected`, not `skipped`.
    for (const { key, reason } of selection.protected) await this.record(key, 'skip', 'skipped', `protected: ${reason}`, false, undefined, false);
    for (const key of selection.candidates.filter((candidate) => unsettled.has(candidate.accessKeyId))) {
      const cannotEnter = key.accountId === undefined ? undefined : unreachable.get(key.accountId);
      if (key.accountId !== undefined && cannotEnter !== undefined) noteAccountFailure(this.summary, key.accountId, key.accountName ?? key.accountId, cannotEnter);
      await this.record(key, intendedAction(key, this.graceFor(key)), 'failed', 'not acted on: an earlier run\'s intent for this key could not be settled', false);
    }
    for (const { key, until } of selection.waiting) {
      log.info('waiting for the grace period', { access_key_id: key.accessKeyId, account: key.accountId, delete_after: until });
    }

    const breaker = accountBreaker(candidates, selection.keysInScope, selection.keysInScopeByAccount, config);
    if (breaker) return this.refuse(breaker.refusal, breaker.raise, candidates);

    this.total = candidates.length;
    log.info('cleanup starting', { run_id: ref.run_id, candidates: candidates.length, dry_run: this.allDryRun, pool: fixworker.cleanup_pool_size });
    // At least one key per invocation, so a run that keeps being invoked always gets through.
    const stop = () => this.fatal !== undefined || (this.taken > 0 && this.outOfTime());
    await mapPool(candidates, fixworker.cleanup_pool_size, (key) => this.process(key), stop);
    this.summary.remaining = candidates.length - this.taken;
    if (this.fatal !== undefined) {
      const left = candidates.length - this.done;
      throw new CleanupStoppedError(
        `cleanup stopped: ${awsErrorText(this.fatal)}. ${left} keys were not processed; nothing was written to IAM without an audit intent, and the next run settles and resumes.`,
        this.summary,
      );
    }
    if (this.summary.remaining > 0) log.warn('cleanup out of time: keys left for the next invocation', { run_id: ref.run_id, remaining: this.summary.remaining });
    const incomplete = incompleteText(this.summary);
    if (incomplete !== undefined) {
      this.summary.incomplete = incomplete;
      log.error('cleanup incomplete', { run_id: ref.run_id, failed_accounts: this.summary.failed_accounts, remaining: this.summary.remaining });
    }
    await this.tellOwners();
    log.info('cleanup finished', { ...this.summary });
    return this.summary;
  }

  /**
   * One digest per owner for what this invocation did (notices, deactivations, deletions, kept keys)
   * and for their exemptions that end within `notify.exemption_warning`; a stage event per key.
   * Dry-run accounts' items are listed in the summary, never sent.
   */
  private async tellOwners(): Promise<void> {
    await this.warnOfEndingExemptions();
    if (this.items.length === 0) return;
    const owners = this.deps.owners;
    this.summary.owner_messages = await deliverToOwners(
      this.items,
      { mailer: owners?.mailer, ...(owners?.publishKeyStage ? { publishKeyStage: owners.publishKeyStage } : {}), log: this.context.log },
      this.ref,
    );
    this.summary.notices = noticeLines(this.items);
  }

  /** Exemptions ending within `notify.exemption_warning` in accounts where cleanup is on: each warned of once per end. */
  private async warnOfEndingExemptions(): Promise<void> {
    const { graph } = this.context;
    const now = this.deps.clock.now();
    const rows = listExemptions(graph, {
      protectTags: this.protectTags,
      owners: this.config.notify,
      now,
      expiringWithinMs: durationSetting(this.config.notify.exemption_warning, 'notify.exemption_warning'),
    });
    for (const row of rows) {
      if (row.state !== 'active' || row.until === null) continue;
      const node = graph.node(row.id);
      const account = graph.accountOf(row.id);
      if (!node || !account) continue;
      const accountName = typeof account.reported.name === 'string' ? account.reported.name : account.id;
      const settings = effectiveSettings(this.config, account.id, accountName);
      if (!settings.cleanup) continue;
      const warned = `${row.source}|${row.until}`;
      if (node.metadata.exemption_warned === warned) continue;
      const dryRun = settings.cleanup_dry_run;
      if (!dryRun) await this.updateInventory([{ id: node.id, accountId: account.id, metadata: { ...node.metadata, exemption_warned: warned, exemption_warned_at: now.toISOString() } }]);
      this.items.push({
        stage: 'exemption_ending',
        owner: row.owner ?? undefined,
        account: account.id,
        accountName,
        userName: row.user_name,
        accessKeyId: row.kind === 'aws_iam_access_key' ? row.id : undefined,
        until: row.until,
        reason: row.reason,
        source: row.source,
        dryRun,
      });
    }
  }

  /** What an owner is told about a key, the stage aside. */
  private itemFacts(key: FlaggedKey, dryRun: boolean, noticedAt: string | null) {
    const owner = ownerOf({ tags: key.user?.reported.tags as Record<string, unknown> | undefined, accountId: key.accountId, accountName: key.accountName }, this.config.notify);
    const flaggedAt = key.node.metadata.flagged_at;
    return {
      owner: owner.address,
      account: key.accountId ?? '',
      accountName: key.accountName ?? key.accountId ?? '',
      userName: key.userName,
      accessKeyId: key.accessKeyId,
      reason: describeFlag(key),
      flaggedAt: typeof flaggedAt === 'string' ? flaggedAt : null,
      noticedAt,
      dryRun,
    };
  }

  /** The invocation's time, less the margin, is spent (never, without a deadline). */
  private outOfTime(): boolean {
    const remaining = this.deps.remainingMs?.();
    return remaining !== undefined && remaining < TIME_MARGIN_MS;
  }

  /**
   * The inventory's selection, less the candidates of accounts where cleanup is off (fix.worker
   * `accounts`): those are left alone, counted as `not_enabled`, like every key under `cleanup: false`.
   */
  private select(leaveOutDisabled = true): CleanupSelection {
    const selection = selectCandidates(this.context.graph, this.protectTags, (key) => this.graceFor(key), this.deps.clock.now(), (key) => noticeMs(this.settingsFor(key)));
    if (!leaveOutDisabled) return selection;
    const { kept, notEnabled } = onlyEnabledAccounts(selection, this.config);
    if (notEnabled > 0) this.summary.not_enabled = notEnabled;
    else delete this.summary.not_enabled;
    return kept;
  }

  /** fixworker with the overrides of the key's account. */
  private settingsFor(key: FlaggedKey): CleanupSettings {
    return effectiveSettings(this.config, key.accountId, key.accountName);
  }

  private graceFor(key: FlaggedKey): number {
    return graceMs(this.settingsFor(key));
  }

  private dryRunFor(key: FlaggedKey): boolean {
    return this.settingsFor(key).cleanup_dry_run;
  }

  private count(selection: CleanupSelection, candidates = selection.candidates.length): void {
    this.summary.flagged = selection.flagged.length;
    this.summary.protected = selection.protected.length;
    this.summary.waiting = selection.waiting.length;
    this.summary.candidates = candidates;
  }

  private async refuse(refusal: string, raise: string, candidates: FlaggedKey[]): Promise<never> {
    const { log } = this.context;
    log.error('cleanup refused by the circuit breaker: nothing written', { run_id: this.ref.run_id, refusal });
    for (const key of candidates) await this.record(key, 'skip', 'skipped', `refused by the circuit breaker: ${refusal}`, false);
    this.summary.refused = refusal;
    try {
      await this.deps.publish(CLEANUP_REFUSED, { ...this.summary });
    } catch (error) {
      log.error('could not publish cleanup_refused', { error: awsErrorText(error) });
    }
    throw new CleanupRefusedError(refusal, this.summary, raise);
  }

  /** One key, start to end. Never throws: failures are recorded; a recording failure sets `fatal`. */
  private async process(key: FlaggedKey): Promise<void> {
    this.taken += 1;
    try {
      const outcome = await this.handle(key);
      this.done += 1;
      this.onProgress?.({ done: this.done, total: this.total, access_key_id: key.accessKeyId, result: outcome });
    } catch (error) {
      this.fatal ??= error;
      this.context.log.error('cleanup stopping: a decision could not be recorded', { access_key_id: key.accessKeyId, error: awsErrorText(error) });
    }
  }

  private async handle(key: FlaggedKey): Promise<AuditResult> {
    const intended = intendedAction(key, this.graceFor(key));
    if (key.accountId === undefined) {
      return this.record(key, intended, 'failed', 'the inventory places the key in no account', false);
    }
    let clients;
    try {
      clients = await this.context.sessions.clientsFor(key.accountId, key.accountName);
    } catch (error) {
      noteAccountFailure(this.summary, key.accountId, key.accountName ?? key.accountId, awsErrorText(error));
      return this.record(key, intended, 'failed', `cannot enter account ${key.accountId}: ${awsErrorText(error)}`, false);
    }
    let decision: Decision;
    let lastUsed: Date | null;
    try {
      const facts = await inspectKey(clients.iam, key.userName, key.accessKeyId);
      lastUsed = facts.lastUsed;
      decision = decide(key, facts, {
        protectTags: this.protectTags,
        graceMs: this.graceFor(key),
        now: this.deps.clock.now(),
        minimumIdleMs: minimumIdleMs(this.deps.safety),
        noticeMs: noticeMs(this.settingsFor(key)),
      });
    } catch (error) {
      return this.record(key, intended, 'failed', `verification failed: ${awsErrorText(error)}`, false);
    }
    return this.act(key, key.accountId, decision, clients.iam, lastUsed);
  }

  private async act(key: FlaggedKey, accountId: string, decision: Decision, iam: IAMClient, lastUsed: Date | null): Promise<AuditResult> {
    const at = this.context.now();
    const dryRun = this.dryRunFor(key);
    const notice = noticeOfThisFlag(key.node.metadata);
    const noticedAt = notice === undefined ? null : new Date(notice).toISOString();
    if (decision.kind === 'absent') {
      if (!dryRun) await this.mark(key, markCleaned(key, accountId, this.ref.run_id, at, 'already_absent'));
      if (noticedAt !== null || typeof key.node.metadata.deactivated_at === 'string') this.items.push({ ...this.itemFacts(key, dryRun, noticedAt), stage: 'deleted', deletedAt: at });
      return this.record(key, decision.action, 'already_absent', decision.reason, false, at);
    }
    if (decision.kind === 'skip') {
      // A noticed key used since: kept, and its owner, who was told it would go, is told it stays.
      if (decision.unflag && noticedAt !== null) {
        if (!dryRun) await this.mark(key, unflag(key, accountId, at, decision.reason));
        this.items.push({ ...this.itemFacts(key, dryRun, noticedAt), noticedAt, stage: 'kept', lastUsedAt: lastUsed?.toISOString() ?? at });
        return this.record(key, 'skip', 'kept', `kept: ${decision.reason}; noticed at ${noticedAt}`, true, at);
      }
      if (!dryRun && decision.unflag) await this.mark(key, unflag(key, accountId, at, decision.reason));
      if (!dryRun && decision.startGrace) await this.mark(key, markDeactivated(key, accountId, this.ref.run_id, at));
      return this.record(key, 'skip', 'skipped', decision.reason, decision.unflag, at);
    }
    // A protect or unclean issued while this run went on takes effect for every key not yet written.
    let changed: string | undefined;
    try {
      changed = await this.changedSinceSelected(key, accountId);
    } catch (error) {
      return this.record(key, decision.kind, 'failed', `could not re-read the stored flags: ${awsErrorText(error)}`, false, at);
    }
    if (changed) return this.record(key, 'skip', 'skipped', changed, false, at);
    if (decision.kind === 'notice') {
      const graceText = decision.then === 'deactivate' ? formatDuration(this.graceFor(key)) : undefined;
      this.items.push({ ...this.itemFacts(key, dryRun, dryRun ? null : at), stage: 'noticed', actsAfter: decision.actsAfter, action: decision.then, graceText });
      if (dryRun) return this.record(key, 'notice', 'dry_run', `dry run: would notice the owner and act after ${decision.actsAfter}; ${decision.reason}`, false, at);
      const owner = this.items[this.items.length - 1]?.owner;
      await this.mark(key, { id: key.accessKeyId, accountId, metadata: noticedMetadata(key.node.metadata, at, decision.actsAfter, this.ref.run_id, owner) });
      return this.record(key, 'notice', 'noticed', decision.reason, false, at);
    }
    if (dryRun) {
      this.items.push(this.actedItem(key, decision.kind, true, noticedAt, at));
      return this.record(key, decision.kind, 'dry_run', `dry run: would ${decision.kind}; ${decision.reason}`, false, at);
    }

    const intent = this.entry(key, decision.kind, 'pending', decision.reason, at);
    try {
      await this.deps.audit.recordIntent(intent);
    } catch (error) {
      if (!(error instanceof IntentExistsError)) throw error;
      return this.record(key, decision.kind, 'failed', `not acted on: ${error.message}`, false, at);
    }
    let outcome: 'deleted' | 'deactivated' | 'already_absent';
    try {
      outcome =
        decision.kind === 'delete'
          ? await deleteAccessKey(iam, key.userName, key.accessKeyId)
          : await deactivateAccessKey(iam, key.userName, key.accessKeyId);
    } catch (error) {
      const failed: AuditEntry = { ...intent, result: 'failed', reason: `${decision.reason}; ${decision.kind} failed: ${awsErrorText(error)}` };
      await this.deps.audit.resolveIntent(failed);
      return this.counted(failed, false);
    }
    if (outcome !== 'already_absent') {
      this.writes += 1;
      this.deps.afterIamWrite?.(this.writes);
    }
    // The grace runs from when IAM applied the deactivation, not from the decision: a throttled
    // write can take minutes, and the key must stay inactive for the whole grace before its delete.
    // Inventory first, then the audit: a crash in between leaves the intent, which the next run settles.
    const update =
      outcome === 'deactivated'
        ? markDeactivated(key, accountId, this.ref.run_id, this.context.now())
        : markCleaned(key, accountId, this.ref.run_id, at, outcome);
    await this.mark(key, update);
    this.items.push(this.actedItem(key, outcome === 'deactivated' ? 'deactivate' : 'delete', false, noticedAt, typeof key.node.metadata.deactivated_at === 'string' && outcome === 'deactivated' ? key.node.metadata.deactivated_at : at));
    const final: AuditEntry = { ...intent, result: outcome, reason: outcome === 'already_absent' ? `${decision.reason}; IAM answered NoSuchEntity` : decision.reason };
    await this.deps.audit.resolveIntent(final);
    return this.counted(final, false);
  }

  /** The owner's item for a deactivation or a deletion (done, or in a dry run what would be). */
  private actedItem(key: FlaggedKey, kind: 'deactivate' | 'delete', dryRun: boolean, noticedAt: string | null, at: string): OwnerItem {
    const facts = this.itemFacts(key, dryRun, noticedAt);
    if (kind === 'delete') return { ...facts, stage: 'deleted', deletedAt: at };
    const grace = this.graceFor(key);
    return { ...facts, stage: 'deactivated', deactivatedAt: at, deleteAfter: grace > 0 ? new Date(Date.parse(at) + grace).toISOString() : undefined };
  }

  /** Why the stored flags of the key or its user, read now, no longer allow the write; undefined when they do. */
  private async changedSinceSelected(key: FlaggedKey, accountId: string): Promise<string | undefined> {
    const refs = [{ id: key.accessKeyId, accountId }, ...(key.user ? [{ id: key.user.id, accountId }] : [])];
    const flags = await this.deps.store.readFlags(refs);
    const stored = flags.get(key.accessKeyId) ?? {};
    if (stored.desired?.clean !== true) return 'unflagged while this run went on: desired.clean is no longer set';
    if (stored.metadata?.cleaned === true) return 'marked cleaned by another run meanwhile';
    const user = key.user ? { ...key.user, metadata: flags.get(key.user.id)?.metadata ?? {} } : undefined;
    const protection = protectionOf({ ...key.node, metadata: stored.metadata ?? {} }, user, this.protectTags, this.deps.clock.now());
    return protection ? `protected while this run went on: ${protection}` : undefined;
  }

  private async mark(key: FlaggedKey, update: NodeUpdate): Promise<void> {
    await this.updateInventory([update]);
    applyLocally(key, update);
  }

  private async updateInventory(updates: NodeUpdate[]): Promise<void> {
    try {
      await this.deps.store.updateNodes(updates);
    } catch (error) {
      throw new Error(`inventory update failed: ${awsErrorText(error)}`);
    }
  }

  private entry(key: FlaggedKey, action: AuditAction, result: AuditEntry['result'], reason: string, at: string): AuditEntry {
    return {
      run_id: this.ref.run_id,
      at,
      account: key.accountId ?? '',
      user_name: key.userName,
      access_key_id: key.accessKeyId,
      action,
      result,
      dry_run: this.dryRunFor(key),
      job_id: key.jobId,
      reason,
    };
  }

  private async record(
    key: FlaggedKey,
    action: AuditAction,
    result: AuditResult,
    reason: string,
    unflagged: boolean,
    at = this.context.now(),
    tally = true,
  ): Promise<AuditResult> {
    const entry = this.entry(key, action, result, reason, at);
    await this.deps.audit.record(entry);
    return this.counted(entry, unflagged, tally);
  }

  /** Logs the decision and, unless told not to, counts it in the summary. */
  private counted(entry: AuditEntry, unflagged: boolean, tally = true): AuditResult {
    const result = entry.result as AuditResult;
    const log = this.context.log;
    const attributes = {
      run_id: entry.run_id,
      account: entry.account,
      user_name: entry.user_name,
      access_key_id: entry.access_key_id,
      action: entry.action,
      result,
      dry_run: entry.dry_run,
      job_id: entry.job_id,
      reason: entry.reason,
    };
    if (result === 'failed') log.error('cleanup decision', attributes);
    else log.info('cleanup decision', attributes);
    if (!tally) return result;
    const summary = this.summary;
    switch (result) {
      case 'deleted':
        summary.deleted += 1;
        break;
      case 'deactivated':
        summary.deactivated += 1;
        break;
      case 'already_absent':
        summary.already_absent += 1;
        break;
      case 'skipped':
        summary.skipped += 1;
        if (unflagged) summary.unflagged += 1;
        break;
      case 'kept':
        summary.skipped += 1;
        summary.unflagged += 1;
        summary.kept += 1;
        break;
      case 'noticed':
        summary.noticed += 1;
        break;
      case 'failed':
        summary.failed += 1;
        break;
      case 'dry_run':
        if (entry.action === 'notice') summary.would_notice += 1;
        else if (entry.action === 'delete') summary.would_delete += 1;
        else summary.would_deactivate += 1;
        break;
    }
    return result;
  }
}

/** The selection without the given keys (decided by an earlier invocation of the run). */
function withoutKeys(selection: CleanupSelection, keys: Set<string>): CleanupSelection {
  const keep = (key: FlaggedKey) => !keys.has(key.accessKeyId);
  return {
    ...selection,
    protected: selection.protected.filter(({ key }) => keep(key)),
    candidates: selection.candidates.filter(keep),
  };
}

// --- the plan: what the next run will do -----------------------------------------------------

/**
 * What the next cleanup will do, from the inventory alone (published with `post_cleanup_plan`):
 * how many keys are flagged, protected, waiting out the grace, and whether the breaker would refuse.
 * The run itself verifies each key in IAM, so its counts may differ where IAM changed since the collect.
 */
export async function drawCleanupPlan(deps: Pick<CleanupDeps, 'store' | 'clock' | 'safety'>, config: FixWorkerConfig): Promise<CleanupPlan> {
  const fixworker = config.fixworker;
  const { graph } = await deps.store.loadGraph();
  const settingsOf = (key: FlaggedKey) => effectiveSettings(config, key.accountId, key.accountName);
  const all = selectCandidates(graph, protectTags(deps.safety, fixworker.protect_tag), (key) => graceMs(settingsOf(key)), deps.clock.now(), (key) => noticeMs(settingsOf(key)));
  const enabled = cleanupEnabledAnywhere(config);
  // With accounts overrides, the keys of accounts where cleanup is off are left out, as the run leaves them.
  const { kept, notEnabled } = enabled ? onlyEnabledAccounts(all, config) : { kept: all, notEnabled: 0 };
  const selection = kept;
  const refusal = enabled ? accountBreaker(selection.candidates, selection.keysInScope, selection.keysInScopeByAccount, config)?.refusal : undefined;
  const enabledSettings = [fixworker, ...Object.keys(config.accounts).map((account) => effectiveSettings(config, account, account))].filter((settings) => settings.cleanup);
  return {
    flagged: selection.flagged.length,
    protected: selection.protected.length,
    waiting: selection.waiting.length,
    candidates: selection.candidates.length,
    keys_in_scope: selection.keysInScope,
    cleanup_enabled: enabled,
    dry_run: enabled && enabledSettings.every((settings) => settings.cleanup_dry_run),
    ...(notEnabled > 0 ? { not_enabled: notEnabled } : {}),
    ...(refusal ? { refusal } : {}),
  };
}

// --- what the run works with -----------------------------------------------------------------

/** What cleanup works with, injected so that tests swap any of it. */
export interface CleanupDeps {
  /** The home account's clients; member accounts are entered from them with AssumeRole. */
  aws: AwsClients;
  store: InventoryStore;
  audit: AuditStore;
  clock: Clock;
  /** Publishes a cloudsweep event (`cleanup_refused`) with its summary; the workflow owns the bus. */
  publish: (event: PublishedEvent, summary: Record<string, unknown>) => Promise<void>;
  homeAccountId: string;
  /** The deploy-time guards (act-time floor, deployed protect tag): never from fix.worker. */
  safety: SafetySettings;
  logger?: CleanupLogger;
  /**
   * The time this invocation has left, in ms: Lambda's getRemainingTimeInMillis, or a deadline
   * injected in-process. Cleanup stops taking new keys TIME_MARGIN_MS before it. Absent: no limit.
   */
  remainingMs?: () => number;
  /**
   * Telling owners (docs/owners.md): the mailer (SES from CDK context `notifySender`; absent: digests
   * are recorded, not mailed) and the bus for the key stage events. Absent: neither.
   */
  owners?: {
    mailer?: Mailer;
    publishKeyStage?: (event: KeyStageEvent, detail: KeyStageDetail) => Promise<void>;
  };
  /** Called after each IAM write that changed a key (deleted or deactivated): tests use it to simulate a crash. */
  afterIamWrite?: (count: number) => void;
}

export interface Clock {
  now(): Date;
}

/** The slice of the powertools Logger cleanup uses: every decision is logged with the key's id. */
export interface CleanupLogger {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export const SILENT_LOGGER: CleanupLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

// --- what the parts of one run share ---------------------------------------------------------

/** What the parts of one cleanup run share. */
export interface RunContext {
  deps: CleanupDeps;
  ref: RunRef;
  graph: InventoryGraph;
  sessions: AccountSessions;
  log: CleanupLogger;
  now(): string;
  /** Writes node updates; a failure here stops the run (the intent stays for the next run). */
  updateInventory(updates: NodeUpdate[]): Promise<void>;
}

// --- the summary -----------------------------------------------------------------------------

/**
 * The cleanup step's summary: the contract's fields plus what explains them. Every candidate ends
 * in exactly one of deleted, deactivated, already_absent, skipped, failed, would_delete or
 * would_deactivate; flagged = protected + waiting + candidates.
 */
export interface CleanupRunSummary extends CleanupSummary {
  run_id: string;
  candidates: number;
  /** Deactivated and inside `deactivate_grace`: nothing done this run. */
  waiting: number;
  /** Of the skipped: used or reactivated since flagged, so the flag was withdrawn. */
  unflagged: number;
  /** Dry run: what a real run would have done. */
  would_delete: number;
  would_deactivate: number;
  /** Intents of an interrupted earlier run settled by this one. */
  reconciled: number;
  /** Flagged, unprotected keys in accounts where cleanup is off (fix.worker `accounts`): left alone. */
  not_enabled?: number;
  /** Keys whose owner got a notice this run (notify.notice_period); nothing was written to IAM for them. */
  noticed: number;
  /** Dry run: keys whose owner would have got a notice. */
  would_notice: number;
  /** Of the unflagged: noticed keys used since their notice (audit result `kept`). */
  kept: number;
  /** What owners were sent, or would have been; present when there was anything to tell. */
  owner_messages?: OwnerMessagesSummary;
  /** What owners were told about, key by key (dry run: what they would have been told); at most 50. */
  notices?: NoticeLine[];
  duration_ms: number;
  /** DynamoDB capacity units the run's reads and writes consumed (inventory, flags, audit), as DynamoDB reported them. */
  read_units: number;
  write_units: number;
}

/** What the next cleanup will do, drawn from the inventory (no IAM calls). */
export interface CleanupPlan extends PlanSummary {
  waiting: number;
  keys_in_scope: number;
  /** Flagged keys in accounts where cleanup is off (fix.worker `accounts`). */
  not_enabled?: number;
}

export function emptyRunSummary(runId: string, cleanupEnabled: boolean, dryRun: boolean): CleanupRunSummary {
  return {
    run_id: runId,
    flagged: 0,
    protected: 0,
    waiting: 0,
    candidates: 0,
    skipped: 0,
    unflagged: 0,
    deleted: 0,
    deactivated: 0,
    already_absent: 0,
    failed: 0,
    would_delete: 0,
    would_deactivate: 0,
    noticed: 0,
    would_notice: 0,
    kept: 0,
    reconciled: 0,
    failed_accounts: [],
    account_failures: [],
    remaining: 0,
    invocations: 1,
    dry_run: dryRun,
    cleanup_enabled: cleanupEnabled,
    duration_ms: 0,
    read_units: 0,
    write_units: 0,
  };
}

/** Counts one key of an account cleanup could not enter, naming the account and why once. */
export function noteAccountFailure(summary: CleanupRunSummary, accountId: string, accountName: string, error: string): void {
  let failure = summary.account_failures.find((known) => known.account_id === accountId);
  if (!failure) {
    failure = { account_id: accountId, account_name: accountName, error, keys: 0 };
    summary.account_failures.push(failure);
    summary.failed_accounts.push(accountId);
  }
  failure.keys += 1;
}

/**
 * What fails the run after `post_cleanup` is published: each account cleanup could not enter and
 * why, and keys the time budget left. Undefined when the step did all it was asked.
 */
export function incompleteText(summary: Pick<CleanupSummary, 'account_failures' | 'remaining' | 'invocations'>): string | undefined {
  const parts: string[] = [];
  const failures = summary.account_failures;
  if (failures.length > 0) {
    const named = failures.map((f) => `${f.account_id} (${f.account_name}): ${f.error} [${f.keys} key${f.keys === 1 ? '' : 's'} left]`);
    parts.push(`cleanup could not enter ${failures.length} account${failures.length === 1 ? '' : 's'}: ${named.join('; ')}. The other accounts' keys were cleaned.`);
  }
  if (summary.remaining > 0) {
    parts.push(
      `${summary.remaining} key${summary.remaining === 1 ? '' : 's'} left when the time of ${summary.invocations} cleanup invocation${summary.invocations === 1 ? '' : 's'} ran out; the next run goes on with them.`,
    );
  }
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/** The counts that add up over a run's cleanup invocations: each key is decided by one of them; time and capacity add up too. */
const PER_KEY_COUNTS = [
  'skipped',
  'unflagged',
  'deleted',
  'deactivated',
  'already_absent',
  'failed',
  'would_delete',
  'would_deactivate',
  'noticed',
  'would_notice',
  'kept',
  'reconciled',
  'duration_ms',
  'read_units',
  'write_units',
] as const satisfies readonly (keyof CleanupRunSummary)[];

/**
 * One run's summary over its invocations: what the first one selected (flagged, protected, waiting,
 * candidates), the sum of what each decided, what the last one left.
 */
export function mergeSummaries(previous: CleanupSummary, current: CleanupRunSummary): CleanupRunSummary {
  const merged: CleanupRunSummary = { ...current, invocations: previous.invocations + 1, failed_accounts: [...previous.failed_accounts], account_failures: [] };
  for (const field of ['flagged', 'protected', 'waiting', 'candidates'] as const) {
    const earlier = (previous as Partial<CleanupRunSummary>)[field];
    if (typeof earlier === 'number') merged[field] = earlier;
  }
  for (const field of PER_KEY_COUNTS) {
    const earlier = (previous as Partial<CleanupRunSummary>)[field];
    const sum = current[field] + (typeof earlier === 'number' ? earlier : 0);
    merged[field] = field === 'read_units' || field === 'write_units' ? roundUnits(sum) : sum;
  }
  for (const failure of [...previous.account_failures, ...current.account_failures]) {
    const known = merged.account_failures.find((f) => f.account_id === failure.account_id);
    if (known) known.keys += failure.keys;
    else merged.account_failures.push({ ...failure });
    if (!merged.failed_accounts.includes(failure.account_id)) merged.failed_accounts.push(failure.account_id);
  }
  const earlierOwners = (previous as Partial<CleanupRunSummary>).owner_messages;
  if (earlierOwners) merged.owner_messages = addOwnerMessages(earlierOwners, current.owner_messages);
  const earlierNotices = (previous as Partial<CleanupRunSummary>).notices;
  if (earlierNotices) merged.notices = [...earlierNotices, ...(current.notices ?? [])].slice(0, MAX_NOTICE_LINES);
  const incomplete = incompleteText(merged);
  if (incomplete === undefined) delete merged.incomplete;
  else merged.incomplete = incomplete;
  return merged;
}

// --- how a run ends early --------------------------------------------------------------------

/**
 * The circuit breaker refused the run before any write. Thrown (after the refusal is audited and
 * published) so that every runner marks the step failed without having to remember to check.
 */
export class CleanupRefusedError extends RuntimeError {
  constructor(
    readonly refusal: string,
    readonly summary: CleanupRunSummary,
    /** The `cloudsweep config set fix.worker ...` that raises the exceeded limits to let this run through. */
    readonly raise: string,
  ) {
    // The command ends the message so that it can be copied whole: nothing after it, not even a period.
    super(`cleanup refused by the circuit breaker: ${refusal}. Nothing was changed. Review the flagged keys (cloudsweep search 'is(access_key) and /desired.clean = true | list'); to let this run through, raise the limit: ${raise}`);
  }
}

/** The run stopped because a decision could not be recorded; no unaudited write was made. */
export class CleanupStoppedError extends RuntimeError {
  constructor(
    message: string,
    readonly summary: CleanupRunSummary,
  ) {
    super(message);
  }
}
