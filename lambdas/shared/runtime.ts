import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { AwsClients } from '../../src/aws/clients';
import { safetySettingsFromEnv } from '../../src/cleanup';
import type { CleanupLogger, SafetySettings } from '../../src/cleanup';
import { RuntimeError } from '../../src/errors';
import { DEFAULT_RESOURCE_NAMES, RESOURCE_BINDINGS, ResourceNames, ResourceRole, resourceNamesFromEnv } from '../../src/resources';
import { DETAILED_METRICS_ENV, MetricName } from './metric-names';
import { publishedMetrics } from './metrics';

/**
 * What a handler works with, built once per Lambda container (module scope) and passed to the
 * domain: SDK clients, the resource names from the environment the stack sets, logger, metrics.
 */
export interface LambdaRuntime {
  aws: AwsClients;
  names: ResourceNames;
  logger: Logger;
  metrics: Metrics;
  /** The metrics this deployment pays for (DETAILED_METRICS when asked for, else none). */
  publishedMetrics: ReadonlySet<MetricName>;
  clock: () => Date;
  /** The deploy-time guards the stack passes (CDK context minimumIdleDays, protectTag). */
  safety: SafetySettings;
}

/** The resources every function is given (lib/cloudsweep-stack.ts sets them all). */
const REQUIRED: ResourceRole[] = (Object.keys(DEFAULT_RESOURCE_NAMES) as ResourceRole[]).filter((role) => role in RESOURCE_BINDINGS);

export function lambdaRuntime(env: NodeJS.ProcessEnv = process.env): LambdaRuntime {
  // Fail at cold start, naming the variable, rather than work on a default table by mistake.
  const missing = REQUIRED.map((role) => RESOURCE_BINDINGS[role].env).filter((name) => !env[name]);
  if (missing.length > 0) throw new RuntimeError(`the function's environment lacks ${missing.join(', ')}: deploy it with the CloudSweep stack`);
  return {
    aws: new AwsClients(),
    names: resourceNamesFromEnv(env),
    logger: new Logger(),
    metrics: new Metrics(),
    publishedMetrics: publishedMetrics(env[DETAILED_METRICS_ENV] === 'true'),
    clock: () => new Date(),
    safety: safetySettingsFromEnv(env),
  };
}

/**
 * Runs one invocation: logs the request, the outcome or the error (then rethrows it, so Step
 * Functions sees the failure and takes its catch path), and flushes the metrics it stored either way.
 */
export async function invoke<T>(runtime: LambdaRuntime, request: { action: string }, work: () => Promise<T>): Promise<T> {
  runtime.logger.appendKeys({ action: request.action, ...('run_id' in request ? { run_id: String(request.run_id) } : {}) });
  try {
    const result = await work();
    runtime.logger.info('done', { result });
    return result;
  } catch (error) {
    runtime.logger.error('failed', error as Error);
    throw error;
  } finally {
    // Most invocations publish none: flushing nothing would only log a warning.
    if (runtime.metrics.hasStoredMetrics()) runtime.metrics.publishStoredMetrics();
    runtime.logger.resetKeys();
  }
}

/** The powertools logger in the shape the domain logs decisions through (message, attributes). */
export function decisionLogger(logger: Logger): CleanupLogger {
  return {
    info: (message, attributes) => logger.info(message, attributes ?? {}),
    warn: (message, attributes) => logger.warn(message, attributes ?? {}),
    error: (message, attributes) => logger.error(message, attributes ?? {}),
  };
}
