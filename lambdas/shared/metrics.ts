import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { CleanupSummary, CollectSummary, PlanSummary } from '../../src/workflow/step-payloads';
import { DETAILED_METRICS, MetricName } from './metric-names';

/** What a step tells CloudWatch about the run (namespace from POWERTOOLS_METRICS_NAMESPACE). */
export type RunMetrics = Partial<Record<MetricName, number>>;

export function collectMetrics(summary: Pick<CollectSummary, 'keys' | 'users' | 'failed_accounts'>): RunMetrics {
  return { AccountsFailed: summary.failed_accounts.length, KeysCollected: summary.keys, UsersCollected: summary.users };
}

export function planMetrics(plan: PlanSummary): RunMetrics {
  return { KeysFlagged: plan.flagged, KeysProtected: plan.protected, CleanupCandidates: plan.candidates };
}

export function cleanupMetrics(summary: CleanupSummary): RunMetrics {
  return {
    KeysDeleted: summary.deleted,
    KeysDeactivated: summary.deactivated,
    KeysSkipped: summary.skipped,
    KeysFailed: summary.failed,
    KeysAlreadyAbsent: summary.already_absent,
  };
}

/** The metrics this deployment publishes: DETAILED_METRICS when it asked for them, else none. */
export function publishedMetrics(detailed: boolean): ReadonlySet<MetricName> {
  return new Set<MetricName>(detailed ? DETAILED_METRICS : []);
}

/** Stores the published ones among `values` for the invocation's flush; the others are left out. */
export function addRunMetrics(metrics: Metrics, published: ReadonlySet<MetricName>, values: RunMetrics): void {
  for (const [name, value] of Object.entries(values) as Array<[MetricName, number]>) {
    if (published.has(name)) metrics.addMetric(name, MetricUnit.Count, value);
  }
}
