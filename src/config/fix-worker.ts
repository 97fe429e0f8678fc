import { DEFAULT_OWNER_TAGS } from '../owners/owner';
import type { AccountOverrides } from './account-overrides';

/**
 * The `fix.worker` configuration (SPEC section 4): its shape and its safe defaults. Validation,
 * parsing of `config set` values and the DynamoDB store build on these.
 */
export interface FixWorkerConfig {
  fixworker: {
    /** Delete nothing unless enabled. */
    cleanup: boolean;
    /** When enabled: only log and audit what would be done. */
    cleanup_dry_run: boolean;
    /** Parallel IAM writes during cleanup. */
    cleanup_pool_size: number;
    /** Keys of a user tagged so (value not "false") are never cleaned. */
    protect_tag: string;
    /** Circuit breaker: refuse the whole run above this many keys ... */
    max_cleanup_per_run: number;
    /** ... or above this share (percent) of all keys in scope. */
    max_cleanup_percent: number;
    /** A duration such as `0d` or `7d`: above zero, deactivate first and delete once inactive this long. */
    deactivate_grace: string;
    /** How long a key brought back by `cloudsweep restore` is protected from cleanup. */
    restore_protection: string;
  };
  collector: {
    /** Account ids to collect besides the home account, or "organization" for every ACTIVE account. */
    accounts: string[] | 'organization';
    member_role: string;
    /** Accounts collected in parallel. */
    pool_size: number;
  };
  /** Account id or name -> `fixworker` settings that apply to that account's keys instead (docs/owners.md). */
  accounts: Record<string, AccountOverrides>;
  /** Who is told about a key (docs/owners.md). */
  notify: {
    /** User tag keys read for the owner's address, in order. */
    owner_tags: string[];
    /** Account id or name -> the address for keys whose user names no owner. */
    account_contacts: Record<string, string>;
    /** The address for keys with neither; empty for none. */
    central_contact: string;
    /** A duration: above zero, a newly flagged key's owner gets a notice and cleanup acts only this long after it. */
    notice_period: string;
    /** Owners are warned once an exemption of theirs ends within this duration. */
    exemption_warning: string;
  };
}

export const FIX_WORKER = 'fix.worker';

export function defaultFixWorkerConfig(): FixWorkerConfig {
  return {
    fixworker: {
      cleanup: false,
      cleanup_dry_run: true,
      cleanup_pool_size: 16,
      protect_tag: 'cloudsweep:protect',
      max_cleanup_per_run: 100,
      max_cleanup_percent: 25,
      deactivate_grace: '0d',
      restore_protection: '30d',
    },
    collector: {
      accounts: [],
      member_role: 'CloudSweepMemberRole',
      pool_size: 8,
    },
    accounts: {},
    notify: {
      owner_tags: [...DEFAULT_OWNER_TAGS],
      account_contacts: {},
      central_contact: '',
      notice_period: '0d',
      exemption_warning: '14d',
    },
  };
}
