import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AccountCollectResult, CleanupSummary, CollectSummary, PlanSummary } from '../../src/workflow/contracts';

/**
 * What each step tells CloudWatch (namespace from POWERTOOLS_METRICS_NAMESPACE); the names match
 * KEY_METRICS on the dashboard (lib/constructs/monitoring.ts). Counts of keys, per account where
 * the step knows accounts.
 */
export interface KeyMetric {
  name: string;
  value: number;
  account?: string;
}

export function accountCollectMetrics(result: AccountCollectResult): KeyMetric[] {
  const account = result.account_id;
  return [
    { name: 'KeysCollected', value: result.keys, account },
    { name: 'UsersCollected', value: result.users, account },
    { name: 'AccountCollectFailed', value: result.error === undefined ? 0 : 1, account },
  ];
}

export function collectSummaryMetrics(summary: CollectSummary): KeyMetric[] {
  return [
    { name: 'KeysCollected', value: summary.keys },
    { name: 'UsersCollected', value: summary.users },
    { name: 'AccountsFailed', value: summary.failed_accounts.length },
  ];
}

export function planMetrics(plan: PlanSummary): KeyMetric[] {
  return [
    { name: 'KeysFlagged', value: plan.flagged },
    { name: 'KeysProtected', value: plan.protected },
    { name: 'CleanupCandidates', value: plan.candidates },
  ];
}

export function cleanupMetrics(summary: CleanupSummary): KeyMetric[] {
  return [
    { name: 'KeysDeleted', value: summary.deleted },
    { name: 'KeysDeactivated', value: summary.deactivated },
    { name: 'KeysSkipped', value: summary.skipped },
    { name: 'KeysFailed', value: summary.failed },
    { name: 'KeysAlreadyAbsent', value: summary.already_absent },
  ];
}

/** Stores the metrics for the invocation's flush; per-account ones go out with their own dimension. */
export function addKeyMetrics(metrics: Metrics, list: KeyMetric[]): void {
  for (const metric of list) {
    if (metric.account === undefined) {
      metrics.addMetric(metric.name, MetricUnit.Count, metric.value);
    } else {
      const single = metrics.singleMetric();
      single.addDimension('account', metric.account);
      single.addMetric(metric.name, MetricUnit.Count, metric.value);
    }
  }
}
