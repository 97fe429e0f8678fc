import { Metrics } from '@aws-lambda-powertools/metrics';
import { addRunMetrics, cleanupMetrics, collectMetrics, publishedMetrics } from '../../../lambdas/shared/metrics';
import { DETAILED_METRICS } from '../../../lambdas/shared/metric-names';

/** What a flush would send: the EMF record's metric names and dimensions. */
function flushed(add: (metrics: Metrics) => void): { names: string[]; dimensions: string[][] } {
  const metrics = new Metrics({ namespace: 'CloudSweep', serviceName: 'cloudsweep-test' });
  add(metrics);
  const record = metrics.serializeMetrics() as { _aws: { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string }>; Dimensions: string[][] }> } };
  const directives = record._aws.CloudWatchMetrics;
  return { names: directives.flatMap((d) => d.Metrics.map((m) => m.Name)).sort(), dimensions: directives.flatMap((d) => d.Dimensions) };
}

describe('run metrics', () => {
  const collect = { keys: 20_000, users: 20_000, failed_accounts: ['222222222222'] };
  const cleanup = { flagged: 3, protected: 1, skipped: 0, deleted: 2, deactivated: 1, already_absent: 0, failed: 0, dry_run: false, cleanup_enabled: true, failed_accounts: [], account_failures: [], remaining: 0, invocations: 1 };

  it('publishes none by default: a custom metric costs more than the rest of a run', () => {
    const published = publishedMetrics(false);
    const metrics = new Metrics({ namespace: 'CloudSweep', serviceName: 'cloudsweep-test' });
    addRunMetrics(metrics, published, collectMetrics(collect));
    addRunMetrics(metrics, published, cleanupMetrics(cleanup));

    expect(published.size).toBe(0);
    expect(metrics.hasStoredMetrics()).toBe(false);
  });

  it('publishes the run-level ones, with no account dimension, when the deployment asks for them', () => {
    const published = publishedMetrics(true);
    const { names, dimensions } = flushed((metrics) => {
      addRunMetrics(metrics, published, collectMetrics(collect));
      addRunMetrics(metrics, published, cleanupMetrics(cleanup));
    });

    expect(names).toEqual(['AccountsFailed', 'KeysAlreadyAbsent', 'KeysCollected', 'KeysDeactivated', 'KeysDeleted', 'KeysFailed', 'KeysSkipped', 'UsersCollected']);
    expect(dimensions).toEqual([['service']]);
    expect(DETAILED_METRICS).toEqual(expect.arrayContaining(names));
  });
});
