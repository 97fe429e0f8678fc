/**
 * Who owns a key, and so who is told about it (issue 18 item 1): the first of the user's owner
 * tags that holds an e-mail address, else the contact set for its account, else the central
 * address. Pure: the tags and the account come from the inventory, the settings from fix.worker.
 */
export interface OwnerSettings {
  /** User tag keys to read, in order; matched without regard to case (`Owner` is `owner`). */
  owner_tags: readonly string[];
  /** Account id or name -> the address that answers for its keys when the user names no owner. */
  account_contacts: Readonly<Record<string, string>>;
  /** The last resort; empty when there is none. */
  central_contact: string;
}

export const DEFAULT_OWNER_TAGS: readonly string[] = ['owner', 'email', 'contact'];

export interface OwnerFacts {
  /** The IAM user's tags (the user of a key, or the user itself). */
  tags?: Readonly<Record<string, unknown>> | undefined;
  accountId?: string | undefined;
  accountName?: string | undefined;
}

export type Owner =
  | { address: string; source: 'tag'; tag: string }
  | { address: string; source: 'account'; account: string }
  | { address: string; source: 'central' }
  | { address: undefined; source: 'none' };

const EMAIL = /[^\s<>"',;:()[\]@]+@[^\s<>"',;:()[\]@]+\.[^\s<>"',;:()[\]@]+/;

/** The e-mail address a text holds (`Jane <jane@example.com>` holds `jane@example.com`), or undefined. */
export function emailIn(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return EMAIL.exec(value)?.[0];
}

export function ownerOf(facts: OwnerFacts, settings: OwnerSettings): Owner {
  const tags = facts.tags ?? {};
  const keys = Object.keys(tags);
  for (const wanted of settings.owner_tags) {
    const key = keys.find((k) => k.toLowerCase() === wanted.toLowerCase());
    if (key === undefined) continue;
    const address = emailIn(tags[key]);
    if (address !== undefined) return { address, source: 'tag', tag: key };
  }
  for (const account of [facts.accountId, facts.accountName]) {
    if (account === undefined) continue;
    const address = Object.prototype.hasOwnProperty.call(settings.account_contacts, account) ? settings.account_contacts[account] : undefined;
    if (address !== undefined) return { address, source: 'account', account };
  }
  if (settings.central_contact !== '') return { address: settings.central_contact, source: 'central' };
  return { address: undefined, source: 'none' };
}
