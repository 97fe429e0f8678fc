/**
 * The one module of src/ that reads the process environment: the fallbacks for what a caller did
 * not pass (the CLI resolves its settings from its context, a Lambda from lambdas/shared/runtime.ts).
 * Everything else in src/ is given its configuration.
 */

/** The region of an AwsClients built without one: the SDK's variables, else us-east-1. */
export function defaultRegion(env: NodeJS.ProcessEnv = process.env): string {
  return env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

/** `CLOUDSWEEP_PYTHON`: an interpreter that has moto, tried first by the demo's emulator. */
export function motoPythonOverride(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.CLOUDSWEEP_PYTHON;
}
