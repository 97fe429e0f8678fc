/**
 * The CloudWatch metrics the functions can publish, one series each (no account dimension), only
 * with the `detailedMetrics` context flag: a custom metric costs $0.30 a month, more than the rest
 * of a run's bill. Without it, what a run did is in the logs (Logs Insights), the runs table and the
 * audit, and a failure is a failed execution: an account collect or cleanup could not enter fails
 * the run (CleanupIncomplete), which the alarm on Step Functions' own (free) metrics sees.
 * Shared with the dashboard (lib/constructs/monitoring.ts).
 */
export const DETAILED_METRICS = [
  'AccountsFailed',
  'KeysCollected',
  'UsersCollected',
  'KeysFlagged',
  'KeysProtected',
  'CleanupCandidates',
  'KeysDeactivated',
  'KeysDeleted',
  'KeysSkipped',
  'KeysFailed',
  'KeysAlreadyAbsent',
] as const;

export type MetricName = (typeof DETAILED_METRICS)[number];

/** The environment variable the stack sets to `true` with `detailedMetrics`. */
export const DETAILED_METRICS_ENV = 'CLOUDSWEEP_DETAILED_METRICS';
