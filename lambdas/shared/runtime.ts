import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import { AwsClients } from '../../src/aws/clients';
import { safetySettingsFromEnv } from '../../src/cleanup';
import type { CleanupLogger, SafetySettings } from '../../src/cleanup';
import { RuntimeError } from '../../src/errors';
import { NOTIFY_SENDER_ENV } from '../../src/owners/notices';
import { DEFAULT_RESOURCE_NAMES, RESOURCE_BINDINGS, ResourceNames, ResourceRole, resourceNamesFromEnv } from '../../src/resources';
import { DETAILED_METRICS_ENV, MetricName } from './metric-names';
import { publishedMetrics } from './metrics';

/**
 * What a handler works with, built once per Lambda container (module scope) and passed to the
 * domain: SDK clients (traced), the resource names from the environment the stack sets, logger,
 * metrics, tracer.
 */
export interface LambdaRuntime {
  aws: AwsClients;
  names: ResourceNames;
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
  /** The metrics this deployment pays for (DETAILED_METRICS when asked for, else none). */
  publishedMetrics: ReadonlySet<MetricName>;
  /** Powertools' ColdStart metric, one series per function: only with `detailedMetrics`, like the others. */
  coldStartMetric: boolean;
  clock: () => Date;
  /** The deploy-time guards the stack passes (CDK context minimumIdleDays, protectTag). */
  safety: SafetySettings;
  /** The verified SES identity owners' digests come from (CDK context notifySender); undefined: not mailed. */
  notifySender: string | undefined;
}

/** The resources every function is given (lib/cloudsweep-stack.ts sets them all). */
const REQUIRED: ResourceRole[] = (Object.keys(DEFAULT_RESOURCE_NAMES) as ResourceRole[]).filter((role) => role in RESOURCE_BINDINGS);

export function lambdaRuntime(env: NodeJS.ProcessEnv = process.env): LambdaRuntime {
  // Fail at cold start, naming the variable, rather than work on a default table by mistake.
  const missing = REQUIRED.map((role) => RESOURCE_BINDINGS[role].env).filter((name) => !env[name]);
  if (missing.length > 0) throw new RuntimeError(`the function's environment lacks ${missing.join(', ')}: deploy it with the CloudSweep stack`);
  const detailed = env[DETAILED_METRICS_ENV] === 'true';
  // Off outside Lambda (tests, the bench): captureAWSv3Client then returns the client unchanged.
  const tracer = new Tracer();
  return {
    aws: new AwsClients({ instrument: (client) => tracer.captureAWSv3Client(client) }),
    names: resourceNamesFromEnv(env),
    logger: new Logger(),
    metrics: new Metrics(),
    tracer,
    publishedMetrics: publishedMetrics(detailed),
    coldStartMetric: detailed,
    clock: () => new Date(),
    safety: safetySettingsFromEnv(env),
    notifySender: env[NOTIFY_SENDER_ENV] || undefined,
  };
}

/**
 * Runs one invocation as powertools' `injectLambdaContext`, `logMetrics` and `captureLambdaHandler`
 * decorators would (this is their documented manual form, for handlers that are plain functions):
 * every log line carries the request id and cold start, the ColdStart metric is captured when the
 * deployment publishes metrics, the invocation is a `## handler` subsegment with its response or
 * error. It logs the request, the outcome or the error (then rethrows it, so Step Functions sees
 * the failure and takes its catch path), and flushes the metrics it stored either way.
 */
export async function invoke<T>(runtime: LambdaRuntime, request: { action: string }, context: Context | undefined, work: () => Promise<T>): Promise<T> {
  const { logger, metrics } = runtime;
  if (context) logger.addContext(context);
  logger.appendKeys({ action: request.action, ...('run_id' in request ? { run_id: String(request.run_id) } : {}) });
  if (runtime.coldStartMetric) metrics.captureColdStartMetric(context?.functionName);
  try {
    const result = await traced(runtime, work);
    logger.info('done', { result });
    return result;
  } catch (error) {
    logger.error('failed', error as Error);
    throw error;
  } finally {
    // Most invocations publish none: flushing nothing would only log a warning.
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    logger.resetKeys();
  }
}

/** The handler's work in a `## <handler>` subsegment, annotated with cold start and service (a no-op without tracing). */
async function traced<T>({ tracer, logger }: LambdaRuntime, work: () => Promise<T>): Promise<T> {
  if (!tracer.isTracingEnabled()) return work();
  const name = `## ${process.env._HANDLER ?? 'handler'}`;
  return (await tracer.provider.captureAsyncFunc(name, async (subsegment) => {
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    try {
      const result = await work();
      tracer.addResponseAsMetadata(result, process.env._HANDLER);
      return result;
    } catch (error) {
      tracer.addErrorAsMetadata(error as Error);
      throw error;
    } finally {
      try {
        subsegment?.close();
      } catch (error) {
        // The invocation's outcome stands; only its trace data is lost.
        logger.warn('could not close the handler subsegment', error as Error);
      }
    }
  })) as T;
}

/** The powertools logger in the shape the domain logs decisions through (message, attributes). */
export function decisionLogger(logger: Logger): CleanupLogger {
  return {
    info: (message, attributes) => logger.info(message, attributes ?? {}),
    warn: (message, attributes) => logger.warn(message, attributes ?? {}),
    error: (message, attributes) => logger.error(message, attributes ?? {}),
  };
}
