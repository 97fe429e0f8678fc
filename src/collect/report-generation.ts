import { GenerateCredentialReportCommand, GetCredentialReportCommand, IAMClient } from '@aws-sdk/client-iam';
import { RuntimeError } from '../errors';
import { CredentialReport, parseCredentialReport } from './credential-report';

export interface ReportWait {
  sleep: (ms: number) => Promise<void>;
  /** Gives up after this long (IAM usually needs seconds; very large accounts a minute or two). */
  timeoutMs?: number;
  now?: () => number;
}

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 8_000;
const DEFAULT_TIMEOUT_MS = 300_000;

/** IAM keeps a report this long; GenerateCredentialReport does not make a new one before. */
export const REPORT_MAX_AGE_MS = 4 * 3_600_000;

/**
 * Gets a current credential report with the fewest calls and round trips. GenerateCredentialReport
 * and GetCredentialReport go out together: IAM answers COMPLETE without generating anew while its
 * last report is under 4 hours old, so on hourly collects the report costs two calls and one round
 * trip. Otherwise (STARTED/INPROGRESS, ReportInProgress, ReportNotPresent) we wait with exponential
 * backoff for the new one; LimitExceeded (the account's generation quota) is waited out the same
 * way, and an expired or vanished report is generated again.
 */
export async function fetchCredentialReport(iam: IAMClient, wait: ReportWait): Promise<CredentialReport> {
  const now = wait.now ?? Date.now;
  const timeoutMs = wait.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = now() + timeoutMs;
  let delay = FIRST_DELAY_MS;
  const backOff = async (why: string): Promise<void> => {
    if (now() + delay > deadline) throw new RuntimeError(`credential report not ready after ${Math.round(timeoutMs / 1000)} s (${why})`);
    await wait.sleep(delay);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  };
  const generate = async () => (await iam.send(new GenerateCredentialReportCommand({}))).State;
  const get = async (): Promise<CredentialReport> => {
    const answer = await iam.send(new GetCredentialReportCommand({}));
    const content = answer.Content ? Buffer.from(answer.Content).toString('utf8') : '';
    return parseCredentialReport(content, answer.GeneratedTime?.toISOString());
  };

  const [generated, first] = await Promise.allSettled([generate(), get()]);
  let needsGenerate = false;
  let why = 'generation in progress';
  if (generated.status === 'rejected') {
    if (!isNamed(generated.reason, 'LimitExceededException', 'LimitExceeded')) throw generated.reason;
    needsGenerate = true;
    why = 'generation limit exceeded';
  }
  const complete = generated.status === 'fulfilled' && generated.value === 'COMPLETE';
  if (first.status === 'fulfilled') {
    // With COMPLETE there is no newer report; otherwise take it only if IAM would still serve it.
    const age = first.value.generatedAt ? now() - Date.parse(first.value.generatedAt) : Infinity;
    if (complete || age <= REPORT_MAX_AGE_MS) return first.value;
  } else if (!isPending(first.reason)) throw first.reason;

  // After COMPLETE the report should be there at once; every later attempt waits first.
  let pause = !complete || needsGenerate;
  for (;;) {
    if (pause) await backOff(why);
    pause = true;
    if (needsGenerate) {
      try {
        await generate();
        needsGenerate = false;
      } catch (error) {
        if (!isNamed(error, 'LimitExceededException', 'LimitExceeded')) throw error;
        why = 'generation limit exceeded';
        continue;
      }
    }
    try {
      return await get();
    } catch (error) {
      if (isNamed(error, 'CredentialReportNotReadyException', 'ReportInProgress')) {
        why = 'generation in progress';
      } else if (isNamed(error, 'CredentialReportNotPresentException', 'ReportNotPresent') || isNamed(error, 'CredentialReportExpiredException', 'ReportExpired')) {
        // Generation was asked for, so IAM dropped it: ask again (after the backoff above).
        needsGenerate = true;
        why = 'report missing after generation';
      } else throw error;
    }
  }
}

/** Get's answers while a report is being made, or before one was asked for. */
function isPending(error: unknown): boolean {
  return (
    isNamed(error, 'CredentialReportNotReadyException', 'ReportInProgress') ||
    isNamed(error, 'CredentialReportNotPresentException', 'ReportNotPresent') ||
    isNamed(error, 'CredentialReportExpiredException', 'ReportExpired')
  );
}

function isNamed(error: unknown, name: string, code: string): boolean {
  const e = error as { name?: string; Code?: string };
  return e.name === name || e.name === code || e.Code === code;
}
