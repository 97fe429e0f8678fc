/* eslint-disable @typescript-eslint/no-require-imports -- each client's SDK package is required when the
   client is first used, so a command loads only the clients it calls (a snapshot search loads none). */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { STSClient } from '@aws-sdk/client-sts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { passCurrentAbortSignal } from './abort';
import { defaultRegion } from '../environment';
import { meterCapacity } from './capacity';

/** An SDK client's HTTP handler: the same type for every service's client. */
type RequestHandler = NonNullable<STSClient['config']['requestHandler']>;

/**
 * Where and how to reach AWS. `endpoint` points every client at an emulator; left out, the SDK's
 * own settings apply (AWS_ENDPOINT_URL, AWS_REGION, AWS_PROFILE).
 */
export interface AwsSettings {
  region?: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Attempts per call, throttling and transient errors included. */
  maxAttempts?: number;
  /**
   * The SDK's retry mode: `adaptive` (the default) also rate-limits the client after throttling;
   * `standard` only backs off, exponentially with jitter (cleanup's choice, see docs/cleanup.md).
   */
  retryMode?: 'standard' | 'adaptive';
  /**
   * Give up on a connection not established, or a request not answered, within these times: the
   * CLI's first call, so that an endpoint where nothing answers is an error in seconds.
   */
  timeouts?: { connectionMs: number; requestMs: number };
  /**
   * Applied to every service client once it is built: the Lambdas pass the powertools Tracer's
   * `captureAWSv3Client`, so each AWS call is a subsegment of the invocation's trace.
   */
  instrument?: <T extends object>(client: T) => T;
}

export const DEFAULT_MAX_ATTEMPTS = 10;

/**
 * The SDK clients, built once on first use and shared. Each service's SDK is loaded only when its
 * client is first asked for, so a command that needs DynamoDB does not pay for IAM or CDK.
 */
export class AwsClients {
  private readonly built = new Map<string, unknown>();

  /**
   * @param transport the HTTP handler (and so the kept-alive connections) of every client built
   * from these settings, shared with the clients of other credentials made by `withCredentials`.
   */
  constructor(
    readonly settings: AwsSettings = {},
    private readonly transport: { handler?: RequestHandler } = {},
  ) {}

  /**
   * The same settings with other credentials: a member account entered through AssumeRole. Its
   * clients reuse these clients' connections (requests are signed one by one), so entering an
   * account opens no new ones.
   */
  withCredentials(credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider): AwsClients {
    return new AwsClients({ ...this.settings, credentials }, this.transport);
  }

  /** The same settings and connections, with clients of their own: middleware added to one reaches no other. */
  separate(): AwsClients {
    return new AwsClients(this.settings, this.transport);
  }

  /** The same settings and connections with another retry policy: one policy per client. */
  withRetry(retry: Required<Pick<AwsSettings, 'retryMode' | 'maxAttempts'>>): AwsClients {
    return new AwsClients({ ...this.settings, ...retry }, this.transport);
  }

  get iam(): IAMClient {
    return this.client('iam', () => new (require('@aws-sdk/client-iam') as typeof import('@aws-sdk/client-iam')).IAMClient(this.config()));
  }

  get sts(): STSClient {
    return this.client('sts', () => new (require('@aws-sdk/client-sts') as typeof import('@aws-sdk/client-sts')).STSClient(this.config()));
  }

  get organizations(): OrganizationsClient {
    return this.client('organizations', () => {
      const { OrganizationsClient } = require('@aws-sdk/client-organizations') as typeof import('@aws-sdk/client-organizations');
      return new OrganizationsClient(this.config());
    });
  }

  get dynamodb(): DynamoDBClient {
    return this.client('dynamodb', () => {
      const { DynamoDBClient } = require('@aws-sdk/client-dynamodb') as typeof import('@aws-sdk/client-dynamodb');
      const client = new DynamoDBClient(this.config());
      meterCapacity(client);
      return client;
    });
  }

  /**
   * DynamoDB with plain JavaScript values; undefined attributes are dropped. It sends through the
   * DynamoDB client's middleware, so it is not instrumented a second time.
   */
  get documents(): DynamoDBDocumentClient {
    return this.client(
      'documents',
      () => {
        const { DynamoDBDocumentClient } = require('@aws-sdk/lib-dynamodb') as typeof import('@aws-sdk/lib-dynamodb');
        return DynamoDBDocumentClient.from(this.dynamodb, { marshallOptions: { removeUndefinedValues: true } });
      },
      false,
    );
  }

  get eventbridge(): EventBridgeClient {
    return this.client('eventbridge', () => {
      const { EventBridgeClient } = require('@aws-sdk/client-eventbridge') as typeof import('@aws-sdk/client-eventbridge');
      return new EventBridgeClient(this.config());
    });
  }

  get sesv2(): SESv2Client {
    return this.client('sesv2', () => new (require('@aws-sdk/client-sesv2') as typeof import('@aws-sdk/client-sesv2')).SESv2Client(this.config()));
  }

  get sfn(): SFNClient {
    return this.client('sfn', () => new (require('@aws-sdk/client-sfn') as typeof import('@aws-sdk/client-sfn')).SFNClient(this.config()));
  }

  get cloudformation(): CloudFormationClient {
    return this.client('cloudformation', () => {
      const { CloudFormationClient } = require('@aws-sdk/client-cloudformation') as typeof import('@aws-sdk/client-cloudformation');
      return new CloudFormationClient(this.config());
    });
  }

  get scheduler(): SchedulerClient {
    return this.client('scheduler', () => {
      const { SchedulerClient } = require('@aws-sdk/client-scheduler') as typeof import('@aws-sdk/client-scheduler');
      return new SchedulerClient(this.config());
    });
  }

  get lambda(): LambdaClient {
    return this.client('lambda', () => {
      const { LambdaClient } = require('@aws-sdk/client-lambda') as typeof import('@aws-sdk/client-lambda');
      return new LambdaClient(this.config());
    });
  }

  private client<T extends { send(...args: never[]): unknown }>(name: string, build: () => T, instrumented = true): T {
    if (!this.built.has(name)) {
      const { instrument } = this.settings;
      // A command the shell runs stops its calls when Ctrl-C aborts it.
      const client = passCurrentAbortSignal(instrumented && instrument ? instrument(build()) : build());
      // The first client's handler (the SDK's default) becomes every later client's.
      this.transport.handler ??= (client as { config?: { requestHandler?: RequestHandler } }).config?.requestHandler;
      this.built.set(name, client);
    }
    return this.built.get(name) as T;
  }

  /**
   * Clients for one quick first call (the CLI's stack lookup): two attempts, each bounded by
   * `timeouts`, on connections of their own. The clients the command then uses keep their retries.
   */
  forFirstCall(timeouts: NonNullable<AwsSettings['timeouts']>): AwsClients {
    return new AwsClients({ ...this.settings, maxAttempts: 2, retryMode: 'standard', timeouts });
  }

  private config() {
    const { region, endpoint, credentials, maxAttempts, retryMode, timeouts } = this.settings;
    const handlerOptions = timeouts ? { connectionTimeout: timeouts.connectionMs, requestTimeout: timeouts.requestMs, throwOnRequestTimeout: true } : undefined;
    return {
      ...(this.transport.handler ? { requestHandler: this.transport.handler } : handlerOptions ? { requestHandler: handlerOptions } : {}),
      region: region ?? defaultRegion(),
      ...(endpoint ? { endpoint } : {}),
      ...(credentials ? { credentials } : {}),
      maxAttempts: maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      retryMode: retryMode ?? 'adaptive',
    };
  }
}
