import type { AwsCredentialIdentity } from '@aws-sdk/types';
import type { Command } from 'commander';
import { AwsClients } from '../src/aws/clients';
import { RuntimeError } from '../src/errors';
import { DEFAULT_RESOURCE_NAMES, ResourceNames, resourceNamesFromEnv, resourceNamesFromOutputs } from '../src/resources';
import type { CliContext, GlobalOptions } from './context';

/** What a command that talks to AWS works with: the clients and the resolved resource names. */
export interface Runtime {
  aws: AwsClients;
  names: ResourceNames;
  /** The stack the names came from, when one was found. */
  stack?: string;
}

/**
 * Resolves where to work (SPEC section 9): `CLOUDSWEEP_*` variables win, else the outputs of the
 * `--stack` stack when it exists, else the default names (in-process use after `cloudsweep init`).
 */
export async function resolveRuntime(command: Command, context: CliContext): Promise<Runtime> {
  // Where to work only: the output format is each command's to check (export takes a file there).
  const options = command.optsWithGlobals<GlobalOptions>();
  const endpoint = options.endpointUrl ?? context.env.AWS_ENDPOINT_URL;
  const region = options.region ?? context.env.AWS_REGION ?? context.env.AWS_DEFAULT_REGION;
  const credentials = credentialsFromEnv(context.env);
  const aws = new AwsClients({
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(credentials ? { credentials } : {}),
  });
  const outputs = await stackOutputs(aws, options.stack);
  const base = outputs ? resourceNamesFromOutputs(outputs) : DEFAULT_RESOURCE_NAMES;
  return { aws, names: resourceNamesFromEnv(context.env, base), ...(outputs ? { stack: options.stack } : {}) };
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

async function stackOutputs(aws: AwsClients, stack: string): Promise<Record<string, string> | undefined> {
  const { DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  try {
    const answer = await aws.cloudformation.send(new DescribeStacksCommand({ StackName: stack }));
    const outputs: Record<string, string> = {};
    for (const output of answer.Stacks?.[0]?.Outputs ?? []) {
      if (output.OutputKey && output.OutputValue) outputs[output.OutputKey] = output.OutputValue;
    }
    return outputs;
  } catch (error) {
    const name = (error as { name?: string }).name;
    const message = (error as Error).message ?? '';
    if (name === 'ValidationError' && /does not exist/.test(message)) return undefined;
    throw explainAwsError(error, `looking up stack ${stack}`);
  }
}

/** Turns the AWS errors a user meets into what to do about them. */
export function explainAwsError(error: unknown, doing: string): Error {
  const name = (error as { name?: string }).name ?? '';
  const message = (error as Error).message ?? String(error);
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new RuntimeError(`${doing}: no AWS credentials found. Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run against the emulator (cloudsweep demo).`);
  }
  if (/ECONNREFUSED|connect ECONN|fetch failed/i.test(message) || (error as { code?: string }).code === 'ECONNREFUSED') {
    return new RuntimeError(`${doing}: cannot reach AWS at the configured endpoint (${message}). Is the emulator running?`);
  }
  if (name === 'AccessDenied' || name === 'AccessDeniedException' || /not authorized to perform/i.test(message)) {
    return new RuntimeError(`${doing}: access denied: ${message}`);
  }
  if (name === 'ResourceNotFoundException' && /table|event bus/i.test(message)) {
    return new RuntimeError(`${doing}: ${message}. Create the tables and bus with \`cloudsweep init\`, or point --stack at a deployed stack.`);
  }
  if (name === 'UnrecognizedClientException' || name === 'InvalidClientTokenId') {
    return new RuntimeError(`${doing}: AWS does not recognise these credentials (${message}); check the region and profile.`);
  }
  return error instanceof Error ? error : new Error(message);
}
