/**
 * One message per owner per run (issue 18 items 2-4): everything that happened, or is about to
 * happen, to that owner's keys, grouped by stage. Pure: the run's items in, the messages out; the
 * mailer and the bus are elsewhere (delivery.ts).
 */

/** What an owner is told about, per key (or per exemption). */
export type OwnerItem =
  | (KeyFacts & { stage: 'noticed'; actsAfter: string; action: 'deactivate' | 'delete'; graceText: string | undefined })
  | (KeyFacts & { stage: 'deactivated'; deactivatedAt: string; deleteAfter: string | undefined })
  | (KeyFacts & { stage: 'deleted'; deletedAt: string })
  | (KeyFacts & { stage: 'kept'; lastUsedAt: string; noticedAt: string })
  | {
      stage: 'exemption_ending';
      owner: string | undefined;
      account: string;
      accountName: string;
      userName: string;
      /** The key's id, or undefined for every key of a user. */
      accessKeyId: string | undefined;
      until: string;
      reason: string | null;
      /** `metadata.protected` or `tag NAME`. */
      source: string;
      dryRun: boolean;
    };

interface KeyFacts {
  owner: string | undefined;
  account: string;
  accountName: string;
  userName: string;
  accessKeyId: string;
  /** Why the key was flagged: the job (or search) and its reason. */
  reason: string;
  flaggedAt: string | null;
  /** The notice of the key's current flag, if it had one. */
  noticedAt: string | null;
  /** Dry run: what a real run would have sent. */
  dryRun: boolean;
}

export type OwnerStage = OwnerItem['stage'];

export interface OwnerDigest {
  to: string;
  subject: string;
  text: string;
  items: OwnerItem[];
}

const ORDER: readonly OwnerStage[] = ['noticed', 'deactivated', 'deleted', 'kept', 'exemption_ending'];

const HEADINGS: Record<OwnerStage, string> = {
  noticed: 'Notice: these keys will be cleaned up unless you keep them',
  deactivated: 'Deactivated: these keys no longer work and will be deleted',
  deleted: 'Deleted: these keys are gone',
  kept: 'Kept: these keys were used after the notice, so they stay',
  exemption_ending: 'Exemptions ending: these keys lose their protection soon',
};

/**
 * The digests of one run: one per owner with an address, items ordered by stage, then account,
 * user and key. Items without an owner get no message (the run summary counts them).
 */
export function composeDigests(items: readonly OwnerItem[]): OwnerDigest[] {
  const byOwner = new Map<string, OwnerItem[]>();
  for (const item of items) {
    if (item.owner === undefined) continue;
    const list = byOwner.get(item.owner) ?? [];
    list.push(item);
    byOwner.set(item.owner, list);
  }
  return [...byOwner.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([to, list]) => {
      const sorted = [...list].sort(compareItems);
      return { to, subject: subjectOf(sorted), text: textOf(to, sorted), items: sorted };
    });
}

function compareItems(a: OwnerItem, b: OwnerItem): number {
  return ORDER.indexOf(a.stage) - ORDER.indexOf(b.stage) || a.account.localeCompare(b.account) || a.userName.localeCompare(b.userName) || (a.accessKeyId ?? '').localeCompare(b.accessKeyId ?? '');
}

function subjectOf(items: readonly OwnerItem[]): string {
  const counts = ORDER.map((stage) => [stage, items.filter((item) => item.stage === stage).length] as const).filter(([, n]) => n > 0);
  const words: Record<OwnerStage, string> = { noticed: 'to be cleaned up', deactivated: 'deactivated', deleted: 'deleted', kept: 'kept', exemption_ending: 'exemption ending' };
  return `cloudsweep: your AWS access keys: ${counts.map(([stage, n]) => `${n} ${words[stage]}`).join(', ')}`;
}

function textOf(to: string, items: readonly OwnerItem[]): string {
  const lines: string[] = [
    `Hello ${to},`,
    '',
    'cloudsweep removes AWS IAM access keys that nobody uses. You are listed as the owner of the keys below',
    '(by the IAM user\'s owner tag, or as the contact of the account).',
  ];
  for (const stage of ORDER) {
    const ofStage = items.filter((item) => item.stage === stage);
    if (ofStage.length === 0) continue;
    lines.push('', `== ${HEADINGS[stage]} ==`);
    for (const item of ofStage) lines.push('', ...describeItem(item));
  }
  lines.push('', 'Every decision is recorded in cloudsweep\'s audit (cloudsweep audit --since 30d).');
  return lines.join('\n');
}

/** The lines about one item: what, why, when, how to keep it, how to undo. */
export function describeItem(item: OwnerItem): string[] {
  const where = `user ${item.userName} in account ${item.accountName === item.account ? item.account : `${item.accountName} (${item.account})`}`;
  const keep = (id: string) => `cloudsweep search 'id(${id})' | protect --until YYYY-MM-DD --reason "why it is still needed"`;
  switch (item.stage) {
    case 'noticed':
      return [
        `- ${item.accessKeyId} of ${where}`,
        `  Why: ${item.reason}`,
        `  When: not before ${item.actsAfter}, cleanup will ${item.action === 'delete' ? 'delete it' : `deactivate it, then delete it ${item.graceText !== undefined ? `after ${item.graceText} inactive` : 'after the grace period'}`}.`,
        `  To keep it: use it (a key used after this notice is kept), or protect it: ${keep(item.accessKeyId)}`,
      ];
    case 'deactivated':
      return [
        `- ${item.accessKeyId} of ${where}: Inactive since ${item.deactivatedAt}`,
        `  Why: ${item.reason}`,
        `  When: ${item.deleteAfter !== undefined ? `deleted after ${item.deleteAfter}` : 'deleted by the next run'}.`,
        `  To undo: cloudsweep restore ${item.accessKeyId} --reason "why it is still needed" (Active again, protected for a while)`,
      ];
    case 'deleted':
      return [
        `- ${item.accessKeyId} of ${where}: deleted at ${item.deletedAt}`,
        `  Why: ${item.reason}`,
        '  A deleted key cannot be restored (AWS cannot bring back its secret): create a new key for the user if it is needed.',
      ];
    case 'kept':
      return [
        `- ${item.accessKeyId} of ${where}: used at ${item.lastUsedAt}, after the notice of ${item.noticedAt}`,
        '  It is no longer flagged for cleanup; nothing more happens to it.',
      ];
    case 'exemption_ending': {
      const what = item.accessKeyId !== undefined ? item.accessKeyId : 'every key';
      const keepIt =
        item.accessKeyId !== undefined
          ? keep(item.accessKeyId)
          : item.source.startsWith('tag ')
            ? `set the user's tag ${item.source.slice(4)} to until=YYYY-MM-DD; reason=...`
            : `cloudsweep search 'is(user) and name = ${item.userName}' | protect --until YYYY-MM-DD --reason "why"`;
      return [
        `- ${what} of ${where}: exempt${item.reason !== null ? ` (${item.reason})` : ''} until ${item.until} (${item.source})`,
        '  After that the exemption no longer protects: flagged keys are cleaned up as usual.',
        `  To extend it: ${keepIt}`,
      ];
    }
  }
}
