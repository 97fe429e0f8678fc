import { GenerateCredentialReportCommand, GetCredentialReportCommand } from '@aws-sdk/client-iam';
import { RuntimeError } from '../errors';
import type { CountedIam } from './counted-iam';
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

/**
 * Gets a current credential report with the fewest calls. GenerateCredentialReport comes first:
 * IAM answers COMPLETE without generating anew while its last report is under 4 hours old, so a
 * recent report costs two calls. While one is being generated (STARTED/INPROGRESS, ReportInProgress)
 * or the account's generation quota is spent (LimitExceeded) we wait with exponential backoff;
 * an expired or missing report is generated again.
 */
export async function fetchCredentialReport(iam: CountedIam, wait: ReportWait): Promise<CredentialReport> {
  const now = wait.now ?? Date.now;
  const deadline = now() + (wait.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  let delay = FIRST_DELAY_MS;
  const backOff = async (why: string): Promise<void> => {
    if (now() + delay > deadline) throw new RuntimeError(`credential report not ready after ${Math.round((wait.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s (${why})`);
    await wait.sleep(delay);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  };

  let needsGenerate = true;
  for (;;) {
    if (needsGenerate) {
      try {
        await iam.send(new GenerateCredentialReportCommand({}));
        needsGenerate = false;
      } catch (error) {
        if (!isNamed(error, 'LimitExceededException', 'LimitExceeded')) throw error;
        await backOff('generation limit exceeded');
        continue;
      }
    }
    try {
      const answer = await iam.send(new GetCredentialReportCommand({}));
      const content = answer.Content ? Buffer.from(answer.Content).toString('utf8') : '';
      return parseCredentialReport(content, answer.GeneratedTime?.toISOString());
    } catch (error) {
      if (isNamed(error, 'CredentialReportNotReadyException', 'ReportInProgress')) {
        await backOff('generation in progress');
      } else if (isNamed(error, 'CredentialReportNotPresentException', 'ReportNotPresent') || isNamed(error, 'CredentialReportExpiredException', 'ReportExpired')) {
        // We just generated one, so this is IAM dropping it: try again, but never in a tight loop.
        needsGenerate = true;
        await backOff('report missing after generation');
      } else throw error;
    }
  }
}

function isNamed(error: unknown, name: string, code: string): boolean {
  const e = error as { name?: string; Code?: string };
  return e.name === name || e.name === code || e.Code === code;
}
