import type { AwsClients } from '../aws/clients';
import { clientsForAccount, MEMBER_SESSIONS, memberRoleArn } from '../aws/accounts';

/**
 * Clients per account for one run: the home account's own, member accounts entered once through
 * the member role (as collect does). A failure to enter is remembered, so each of that account's
 * keys fails at once with the same reason while the other accounts go on.
 */
export class AccountSessions {
  private readonly sessions = new Map<string, Promise<AwsClients>>();

  constructor(
    private readonly aws: AwsClients,
    private readonly homeAccountId: string,
    private readonly memberRole: string,
    private readonly sessionName: string,
  ) {}

  clientsFor(accountId: string, accountName: string = accountId): Promise<AwsClients> {
    let session = this.sessions.get(accountId);
    if (!session) {
      session =
        accountId === this.homeAccountId
          ? Promise.resolve(this.aws)
          : clientsForAccount(this.aws, { id: accountId, name: accountName, role_arn: memberRoleArn(accountId, this.memberRole) }, this.sessionName);
      // Keep the rejection handled here; each caller still sees it when it awaits.
      session.catch(() => undefined);
      this.sessions.set(accountId, session);
    }
    return session;
  }
}

/**
 * An STS session name from a run id: at most 64 characters of `[\w+=,.@-]`, starting with the
 * cleanup prefix, the only sessions the member role lets write access keys.
 */
export function sessionNameFor(runId: string): string {
  return `${MEMBER_SESSIONS.cleanup}-${runId}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}
