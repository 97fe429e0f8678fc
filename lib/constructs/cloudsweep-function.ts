import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { join } from 'node:path';

export const PROJECT_ROOT = join(__dirname, '..', '..');

/** The three handlers under lambdas/: one folder each, `index.ts` exporting `handler`. */
export type FunctionName = 'collect' | 'plan' | 'cleanup';

export const METRICS_NAMESPACE = 'CloudSweep';

export interface CloudSweepFunctionProps {
  name: FunctionName;
  description: string;
  /** Fixed so member accounts can trust this role by ARN. */
  roleName: string;
  timeout: Duration;
  memorySize?: number;
  /** Caps concurrent invocations (cleanup: 1). */
  reservedConcurrentExecutions?: number;
  environment: Record<string, string>;
  logRetention: logs.RetentionDays;
}

/**
 * What every cloudsweep Lambda shares, fixed once: Node.js 22 on arm64, an esbuild bundle
 * (minified, source maps on), its own log group with retention, the powertools environment,
 * active X-Ray tracing and a role of its own. Each function then differs only in entry,
 * environment and grants.
 */
export class CloudSweepFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: CloudSweepFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An explicit role instead of AWSLambdaBasicExecutionRole: it may write to its own log group only.
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `cloudsweep ${props.name} function`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: join(PROJECT_ROOT, 'lambdas', props.name, 'index.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      ...(props.reservedConcurrentExecutions !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions } : {}),
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      // Invoked by the traced state machine, an invocation joins the execution's trace (X-Ray bills
      // per trace, so it adds nothing there); a scheduled job run is a trace of its own (docs/deploy.md).
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: `cloudsweep-${props.name}`,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...props.environment,
      },
      bundling: bundlingOptions(),
    });
  }
}

/** Shared with bench/bundles.bench.mjs, which builds the bundles the same way. */
export function bundlingOptions(): nodejs.BundlingOptions {
  return {
    minify: true,
    // Error class names are what the state machine's Retry/Catch and workflow_failed report.
    keepNames: true,
    sourceMap: true,
    target: 'node22',
    format: nodejs.OutputFormat.CJS,
    // The Node.js 22 runtime ships the AWS SDK v3: leaving it out keeps each bundle small.
    externalModules: ['@aws-sdk/*'],
  };
}
