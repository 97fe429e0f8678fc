import type { FixWorkerConfig } from '../config/fix-worker';
import { breakerRefusal } from './breaker';
import { selectCandidates } from './candidates';
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
  const selection = selectCandidates(graph, protectTags(deps.safety, fixworker.protect_tag), graceMs(fixworker), deps.clock.now());
  const refusal = fixworker.cleanup ? breakerRefusal(selection.candidates.length, selection.keysInScope, fixworker) : undefined;
  return {
    flagged: selection.flagged.length,
    protected: selection.protected.length,
    waiting: selection.waiting.length,
    candidates: selection.candidates.length,
    keys_in_scope: selection.keysInScope,
    cleanup_enabled: fixworker.cleanup,
    dry_run: fixworker.cleanup && fixworker.cleanup_dry_run,
    ...(refusal ? { refusal } : {}),
  };
}
