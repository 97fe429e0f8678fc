/**
 * The CloudWatch metrics the functions publish, one series each (no account dimension): a custom
 * metric costs $0.30 a month, so a run publishes few. Per-account detail goes to the logs
 * (Logs Insights) and the runs table instead. Shared with the dashboard (lib/constructs/monitoring.ts).
 */

/** Always published: what an operator cannot see in Step Functions' own (free) metrics. */
export const RUN_METRICS = ['AccountsFailed', 'KeysDeleted'] as const;

/** Published with the `detailedMetrics` context flag. */
export const DETAILED_METRICS = [
  'KeysCollected',
  'UsersCollected',
  'KeysFlagged',
  'KeysProtected',
  'CleanupCandidates',
  'KeysDeactivated',
  'KeysSkipped',
  'KeysFailed',
  'KeysAlreadyAbsent',
] as const;

export type MetricName = (typeof RUN_METRICS)[number] | (typeof DETAILED_METRICS)[number];

/** The environment variable the stack sets to `true` with `detailedMetrics`. */
export const DETAILED_METRICS_ENV = 'CLOUDSWEEP_DETAILED_METRICS';
