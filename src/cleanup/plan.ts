import type { FixWorkerConfig } from '../config/fix-worker';
import { cleanupEnabledAnywhere, effectiveSettings } from '../config/account-overrides';
import { accountBreaker } from './breaker';
import { onlyEnabledAccounts, selectCandidates } from './candidates';
import type { CleanupDeps } from './deps';
import { graceMs } from './grace';
import { protectTags } from './safety-settings';
import type { CleanupPlan } from './summary';

/**
 * What the next cleanup will do, from the inventory alone (published with `post_cleanup_plan`):
 * how many keys are flagged, protected, waiting out the grace, and whether the breaker would refuse.
 * The run itself verifies each key in IAM, so its counts may differ where IAM changed since the collect.
 */
export async function drawCleanupPlan(deps: Pick<CleanupDeps, 'store' | 'clock' | 'safety'>, config: FixWorkerConfig): Promise<CleanupPlan> {
  const fixworker = config.fixworker;
  const { graph } = await deps.store.loadGraph();
  const all = selectCandidates(graph, protectTags(deps.safety, fixworker.protect_tag), (key) => graceMs(effectiveSettings(config, key.accountId, key.accountName)), deps.clock.now());
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
