import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import type { Command } from 'commander';
import { AwsClients } from '../src/aws/clients';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CloudsweepError, RuntimeError, ValidationError } from '../src/errors';
import { DEFAULT_RESOURCE_NAMES, ResourceNames, resourceNamesFromEnv, resourceNamesFromOutputs } from '../src/resources';
import type { CliContext, GlobalOptions } from './context';

/** What a command that talks to AWS works with: the clients and the resolved resource names. */
export interface Runtime {
  aws: AwsClients;
  names: ResourceNames;
  /** The stack the names came from, when one was found. */
  stack?: string;
  /** The region the clients call. */
  region: string;
}

/**
 * Resolves where to work (SPEC section 9): `CLOUDSWEEP_*` variables win, else the outputs of the
 * `--stack` stack when it exists, else the default names (in-process use after `cloudsweep init`).
 * In the shell (`context.runtimes`) a line reuses what an earlier one resolved for the same place.
 */
export async function resolveRuntime(command: Command, context: CliContext): Promise<Runtime> {
  // Where to work only: the output format is each command's to check (export takes a file there).
  const options = command.optsWithGlobals<GlobalOptions>();
  const endpoint = options.endpointUrl ?? context.env.AWS_ENDPOINT_URL;
  const region = options.region ?? context.env.AWS_REGION ?? context.env.AWS_DEFAULT_REGION;
  const credentials = credentialsFromEnv(context.env);
  if (endpoint !== undefined) checkEndpoint(endpoint, options.endpointUrl !== undefined ? '--endpoint-url' : 'AWS_ENDPOINT_URL');
  if (!credentials) checkProfile(context.env);
  // A stack the user named must be there; only the default name falls back to the default tables.
  const stackNamed = command.getOptionValueSourceWithGlobals('stack') === 'cli';
  const resolve = async (): Promise<Runtime> => {
    const aws = new AwsClients({
      ...(region ? { region } : {}),
      ...(endpoint ? { endpoint } : {}),
      ...(credentials ? { credentials } : {}),
    });
    const where = { region: aws.settings.region ?? process.env.AWS_REGION ?? 'us-east-1', ...(endpoint ? { endpoint } : {}) };
    const outputs = await stackOutputs(aws, options.stack, where, context);
    if (!outputs && stackNamed) throw await stackNotDeployed(aws, options.stack, where.region);
    const base = outputs ? resourceNamesFromOutputs(outputs) : DEFAULT_RESOURCE_NAMES;
    return { aws, names: resourceNamesFromEnv(context.env, base), region: where.region, ...(outputs ? { stack: options.stack } : {}) };
  };
  if (!context.runtimes) return resolve();
  return context.runtimes.get(JSON.stringify([options.stack, stackNamed, region, endpoint, credentials?.accessKeyId]), resolve);
}

/** The error for a named stack that is not there, naming where it was looked for. */
async function stackNotDeployed(aws: AwsClients, stack: string, region: string): Promise<RuntimeError> {
  const account = await callerAccount(aws);
  return new RuntimeError(
    `stack ${stack} is not deployed in region ${region}, account ${account}. ` +
      `Check --stack, --region (or AWS_REGION) and the credentials (AWS_PROFILE); leave --stack out to use the tables of cloudsweep init.`,
  );
}

/** The account the credentials belong to, for messages; a word saying so when STS cannot tell. */
export async function callerAccount(aws: AwsClients): Promise<string> {
  const { homeAccountId } = await import('../src/aws/accounts');
  return homeAccountId(aws).catch(() => '(unknown: STS GetCallerIdentity failed)');
}

/**
 * What the shell's lines resolved, by place (stack, region, endpoint, credentials): the clients,
 * with their open connections, and the stack's outputs, so a line does not look the stack up again
 * nor open new connections. Kept for `ttlMs` (a stack deployed meanwhile is seen after that); a
 * lookup that failed is not kept.
 */
export class RuntimeCache {
  private readonly resolved = new Map<string, { runtime: Promise<Runtime>; at: number }>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(place: string, resolve: () => Promise<Runtime>): Promise<Runtime> {
    const kept = this.resolved.get(place);
    if (kept && this.now() - kept.at < this.ttlMs) return kept.runtime;
    const runtime = resolve();
    this.resolved.set(place, { runtime, at: this.now() });
    runtime.catch(() => {
      if (this.resolved.get(place)?.runtime === runtime) this.resolved.delete(place);
    });
    return runtime;
  }
}

/**
 * Static credentials from the context's environment. The SDK reads process.env on its own; this
 * lets a command run in-process with another environment (the demo, the shell's tests) reach the
 * same account. Environment credentials come first in the SDK's chain anyway.
 */
function credentialsFromEnv(env: NodeJS.ProcessEnv): AwsCredentialIdentity | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
}

/** An endpoint is a URL: `localhost:5055` alone would be read as a scheme `localhost:` and fail obscurely. */
function checkEndpoint(endpoint: string, source: string): void {
  if (/^https?:\/\/[^/\s]+/i.test(endpoint)) return;
  const bare = endpoint.replace(/^[a-z][\w+.-]*:\/\//i, '');
  throw new ValidationError(`${source} ${endpoint} is not an http:// or https:// URL: write it with its scheme, as in http://${bare}`);
}

/**
 * `AWS_PROFILE` naming a profile in neither shared file: said with its name, where the SDK would
 * only say that no credentials could be loaded from any provider.
 */
function checkProfile(env: NodeJS.ProcessEnv): void {
  const profile = env.AWS_PROFILE;
  if (!profile || profile === 'default') return;
  const home = env.HOME ?? env.USERPROFILE ?? homedir();
  const files = [env.AWS_CONFIG_FILE ?? join(home, '.aws', 'config'), env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, '.aws', 'credentials')];
  const escaped = profile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const section = new RegExp(`^\\s*\\[\\s*(profile\\s+)?${escaped}\\s*\\]`, 'm');
  if (files.some((file) => existsSync(file) && section.test(readFileSync(file, 'utf8')))) return;
  throw new ValidationError(`AWS_PROFILE names the profile ${JSON.stringify(profile)}, which is in neither ${files.join(' nor ')}: check its spelling (aws configure list-profiles), or unset AWS_PROFILE`);
}

/** After this long without an answer the first call says what it is waiting for. */
const WAITING_NOTICE_MS = 1500;

/**
 * The command's first AWS call: when it has not answered within 1.5 s of going out (loading the SDK
 * and signing do not count), one line says what it waits for; the call itself gives up within
 * seconds (see `AwsClients.forFirstCall`).
 */
async function firstCall<T>(context: CliContext, where: AwsWhere, client: CloudFormationClient, call: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const notice = () => context.err(`waiting for ${where.endpoint ? `the endpoint ${where.endpoint}` : `AWS in region ${where.region ?? 'us-east-1'}`} to answer (CloudFormation DescribeStacks) ...`);
  client.middlewareStack.add(
    (next) => (args) => {
      timer ??= setTimeout(notice, WAITING_NOTICE_MS);
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'cloudsweepWaitingNotice' },
  );
  try {
    return await call();
  } finally {
    clearTimeout(timer);
  }
}

/** Timeouts of the first call: a reachable endpoint answers DescribeStacks well within them. */
const FIRST_CALL_TIMEOUTS = { connectionMs: 2000, requestMs: 3000 };

async function stackOutputs(aws: AwsClients, stack: string, where: AwsWhere, context: CliContext): Promise<Record<string, string> | undefined> {
  const { DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const probe = aws.forFirstCall(FIRST_CALL_TIMEOUTS);
  const client = probe.cloudformation;
  try {
    const answer = await firstCall(context, where, client, () => client.send(new DescribeStacksCommand({ StackName: stack })));
    const outputs: Record<string, string> = {};
    for (const output of answer.Stacks?.[0]?.Outputs ?? []) {
      if (output.OutputKey && output.OutputValue) outputs[output.OutputKey] = output.OutputValue;
    }
    return outputs;
  } catch (error) {
    const name = (error as { name?: string }).name;
    const message = (error as Error).message ?? '';
    if (name === 'ValidationError' && /does not exist/.test(message)) return undefined;
    throw explainAwsError(error, `looking up stack ${stack}`, where);
  } finally {
    client.destroy();
  }
}

const CALLERS = new WeakMap<AwsClients, Promise<string>>();

/**
 * The audit's change log for this runtime's audit table: each record names the caller (its STS
 * ARN, asked once per set of clients) and the real time.
 */
export async function changeLog(runtime: Runtime): Promise<import('../src/cleanup/audit').ChangeLog> {
  const { ChangeLog } = await import('../src/cleanup/audit');
  const { DynamoAuditStore } = await import('../src/cleanup/dynamo-audit-store');
  return new ChangeLog(new DynamoAuditStore(runtime.aws.documents, runtime.names.auditTable), () => callerOf(runtime));
}

/** The caller's STS ARN, asked once per set of clients: who the audit and an exemption name. */
export async function callerOf(runtime: Runtime): Promise<string> {
  const { callerArn } = await import('../src/aws/caller');
  let arn = CALLERS.get(runtime.aws);
  if (!arn) {
    arn = callerArn(runtime.aws.sts);
    CALLERS.set(runtime.aws, arn);
  }
  return arn;
}

/** Where the CLI sent its calls, for messages that depend on it. */
export interface AwsWhere {
  region?: string;
  endpoint?: string;
  /** The cloudsweep table the call works on: when it is missing, the message names it and how to create it. */
  table?: string;
}

/**
 * Turns the AWS errors a user meets into what to do about them: no credentials, expired or
 * unrecognised ones, a region that holds nothing, access denied (naming the permission AWS names),
 * an endpoint where nothing answers (the emulator not running), a missing table. Others pass
 * through unchanged; what code records rather than shows uses `awsErrorText` (src/aws/errors.ts).
 */
export function explainAwsError(error: unknown, doing: string, where: AwsWhere = {}): Error {
  const name = (error as { name?: string }).name ?? '';
  const code = (error as { code?: string }).code ?? '';
  const message = (error as Error).message ?? String(error);
  const region = where.region ? ` in region ${where.region}` : '';
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new RuntimeError(`${doing}: no AWS credentials found. Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run against the emulator (cloudsweep demo).`);
  }
  if (answeredHtml(error)) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const answered = `answered with a web page${status ? ` (HTTP ${status})` : ''}, not as AWS does`;
    return new RuntimeError(
      where.endpoint
        ? `${doing}: the endpoint ${where.endpoint} ${answered}. Check --endpoint-url (or AWS_ENDPOINT_URL): is it the emulator's address and port?`
        : `${doing}: AWS${region} ${answered}. Check --region (or AWS_REGION): is it a region's name, such as us-east-1?`,
    );
  }
  if (/ECONNREFUSED|connect ECONN|fetch failed|getaddrinfo ENOTFOUND|ETIMEDOUT|without establishing a connection|exceeded the configured \d+ ms requestTimeout/i.test(message) || ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT'].includes(code) || name === 'TimeoutError') {
    const endpoint = where.endpoint ?? 'the configured endpoint';
    const hint = where.endpoint
      ? 'Is the emulator running? (cloudsweep demo starts one; unset AWS_ENDPOINT_URL and --endpoint-url to use AWS itself.)'
      : 'Check the network and the region.';
    return new RuntimeError(`${doing}: nothing answers at ${endpoint} (${message}). ${hint}`);
  }
  if (name === 'ExpiredToken' || name === 'ExpiredTokenException' || /security token .* expired/i.test(message)) {
    return new RuntimeError(`${doing}: the AWS credentials have expired; refresh them (aws sso login, or new session credentials).`);
  }
  if (name === 'AccessDenied' || name === 'AccessDeniedException' || /not authorized to perform/i.test(message)) {
    const permission = /not authorized to perform:?\s*([\w-]+:[\w*]+)/i.exec(message)?.[1];
    const resource = /on resource:?\s*(\S+)/i.exec(message)?.[1];
    if (permission && /explicit deny in a resource-based policy/i.test(message)) {
      return new RuntimeError(
        `${doing}: access denied: ${permission}${resource ? ` on ${resource.replace(/[.,]$/, '')}` : ''} is denied by the table's resource policy, ` +
          `which lets only cloudsweep's functions and the deploy-time adminPrincipals write the jobs, config and audit tables. ` +
          `Run as one of those principals, or redeploy naming yours (cdk deploy -c adminPrincipals=ARN; docs/security.md).`,
      );
    }
    if (permission) {
      return new RuntimeError(
        `${doing}: access denied: the caller lacks ${permission}${resource ? ` on ${resource.replace(/[.,]$/, '')}` : ''}. ` +
          `Grant it to the role or user you run as (or use the deployed stack's roles).`,
      );
    }
    return new RuntimeError(`${doing}: access denied: ${message}`);
  }
  if (name === 'ResourceNotFoundException' && where.table !== undefined) {
    return new RuntimeError(`${doing}: table ${where.table} does not exist${region}: deploy the stack (cdk deploy) or run cloudsweep init`);
  }
  if (name === 'ResourceNotFoundException' && /table|event bus|requested resource/i.test(message)) {
    return new RuntimeError(
      `${doing}: ${message}${region}. Create the tables and bus with \`cloudsweep init\`, point --stack at a deployed stack, or check --region/AWS_REGION.`,
    );
  }
  if (name === 'StateMachineDoesNotExist' || name === 'ResourceNotFoundException' || name === 'StackNotFound') {
    return new RuntimeError(`${doing}: ${message}${region}. Is the stack deployed in this region? Check --stack, --region and AWS_REGION.`);
  }
  if (name === 'UnrecognizedClientException' || name === 'InvalidClientTokenId') {
    return new RuntimeError(`${doing}: AWS does not recognise these credentials${region} (${message}); check the profile, and that the region is enabled for the account.`);
  }
  if (name === 'InvalidSignatureException' || name === 'SignatureDoesNotMatch') {
    return new RuntimeError(`${doing}: AWS rejected the request signature (${message}); the secret access key does not match the access key id.`);
  }
  return error instanceof Error ? error : new Error(message);
}

/** The answer was HTML (a web server, a captive portal, a wrong port), which no AWS API speaks. */
function answeredHtml(error: unknown): boolean {
  const response = (error as { $response?: { headers?: Record<string, string> } }).$response;
  const type = response?.headers?.['content-type'] ?? response?.headers?.['Content-Type'] ?? '';
  return /text\/html/i.test(type) || /Unexpected token '<'|char '<'/.test((error as Error).message ?? '');
}

/** Runs AWS work; AWS errors become what to do about them, our own errors pass through. */
export async function withAws<T>(work: () => Promise<T>, doing: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof CloudsweepError) throw error;
    throw explainAwsError(error, doing);
  }
}
