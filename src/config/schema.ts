import { ValidationError } from '../errors';
import { defaultFixWorkerConfig, FIX_WORKER, FixWorkerConfig } from './fix-worker';
import { parseDuration } from '../query/durations';
import { ACCOUNT_OVERRIDE_KEYS, AccountOverrideKey, OVERRIDE_SECTION } from './account-overrides';

/**
 * The rules every `fix.worker` write passes (SPEC section 4): known keys only, the right type, the
 * value in range. A config read from YAML may leave keys out; they take the safe defaults.
 */
export type ConfigPath = readonly [section: string, key: string];

interface FieldRule {
  /** What the key accepts, as shown to the user in errors. */
  allowed: string;
  /** The value to store, or a reason it is refused. */
  check(value: unknown): { value: unknown } | { problem: string };
  /** Shown above the key in the YAML that `config get` and `config edit` print. */
  comment: string;
}

const IAM_TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const IAM_ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const ACCOUNT_ID = /^\d{12}$/;

function boolean(comment: string): FieldRule {
  return {
    allowed: 'true or false',
    comment,
    check: (value) => (typeof value === 'boolean' ? { value } : { problem: `${describe(value)} is not a boolean` }),
  };
}

function integer(min: number, max: number, comment: string): FieldRule {
  return {
    allowed: `an integer from ${min} to ${max}`,
    comment,
    check: (value) => {
      if (typeof value !== 'number' || !Number.isInteger(value)) return { problem: `${describe(value)} is not an integer` };
      if (value < min || value > max) return { problem: `${value} is out of range` };
      return { value };
    },
  };
}

function percent(comment: string): FieldRule {
  return {
    allowed: 'a number from 0 to 100',
    comment,
    check: (value) => {
      if (typeof value !== 'number' || !Number.isFinite(value)) return { problem: `${describe(value)} is not a number` };
      if (value < 0 || value > 100) return { problem: `${value} is out of range` };
      return { value };
    },
  };
}

function matching(pattern: RegExp, allowed: string, comment: string): FieldRule {
  return {
    allowed,
    comment,
    check: (value) => {
      if (typeof value !== 'string') return { problem: `${describe(value)} is not a string` };
      return pattern.test(value) ? { value } : { problem: `${JSON.stringify(value)} is not valid` };
    },
  };
}

function durationRule(comment: string): FieldRule {
  return { ...duration, comment };
}

const duration: FieldRule = {
  allowed: 'a duration of zero or more, such as 0d, 7d, 36h or P7D',
  comment: '>0: deactivate first, delete once inactive this long',
  check: (value) => {
    if (typeof value === 'number' && value === 0) return { value: '0d' };
    if (typeof value !== 'string') return { problem: `${describe(value)} is not a duration` };
    const ms = parseDuration(value);
    if (ms === undefined) return { problem: `${JSON.stringify(value)} is not a duration` };
    if (ms < 0) return { problem: `${JSON.stringify(value)} is negative` };
    return { value };
  },
};

const accounts: FieldRule = {
  allowed: '"organization" or a list of 12-digit account ids (quote ids that start with 0)',
  comment: 'account ids to collect besides the home account, or "organization"',
  check: (value) => {
    if (value === 'organization') return { value };
    if (!Array.isArray(value)) return { problem: `${describe(value)} is neither "organization" nor a list` };
    const ids: string[] = [];
    for (const [index, item] of value.entries()) {
      // YAML reads an unquoted id as a number; twelve digits survive that, a leading zero does not.
      const id: unknown = typeof item === 'number' && Number.isInteger(item) ? String(item) : item;
      if (typeof id !== 'string' || !ACCOUNT_ID.test(id)) {
        return { problem: `item ${index + 1} (${describe(item)}) is not a 12-digit account id` };
      }
      if (!ids.includes(id)) ids.push(id);
    }
    return { value: ids };
  },
};

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

const email: FieldRule = {
  allowed: 'an e-mail address, or "" for none',
  comment: 'the address for keys whose user names no owner and whose account has no contact; "" for none',
  check: (value) => {
    if (typeof value !== 'string') return { problem: `${describe(value)} is not a string` };
    return value === '' || EMAIL.test(value) ? { value } : { problem: `${JSON.stringify(value)} is not an e-mail address` };
  },
};

const ownerTags: FieldRule = {
  allowed: 'a list of IAM tag keys, such as [owner, email, contact]',
  comment: 'user tags read for the owner\'s e-mail address, in order; the first that holds one wins',
  check: (value) => {
    if (!Array.isArray(value)) return { problem: `${describe(value)} is not a list` };
    for (const [index, item] of value.entries()) {
      if (typeof item !== 'string' || !IAM_TAG_KEY.test(item)) return { problem: `item ${index + 1} (${describe(item)}) is not an IAM tag key` };
    }
    return { value: [...new Set(value as string[])] };
  },
};

const accountContacts: FieldRule = {
  allowed: 'a mapping of account id or name to an e-mail address, such as {"111111111111": team@example.com}',
  comment: 'account id or name -> the address for its keys when the user names no owner',
  check: (value) => {
    if (!isPlainObject(value)) return { problem: `${describe(value)} is not a mapping` };
    const contacts: Record<string, string> = {};
    for (const [account, address] of Object.entries(value)) {
      if (typeof address !== 'string' || !EMAIL.test(address)) return { problem: `${account}: ${describe(address)} is not an e-mail address` };
      contacts[account] = address;
    }
    return { value: contacts };
  },
};

/** The sections whose keys are fixed; `accounts` is keyed by account (ACCOUNTS_SECTION). */
export type FixedSection = Exclude<keyof FixWorkerConfig, 'accounts'>;

/** Every key of `fix.worker`, in the order the YAML shows them. */
export const FIX_WORKER_SCHEMA: Record<FixedSection, Record<string, FieldRule>> = {
  fixworker: {
    cleanup: boolean('Enable cleanup of resources'),
    cleanup_dry_run: boolean('Do not actually cleanup resources, just create log messages'),
    cleanup_pool_size: integer(1, 256, 'How many cleanup threads to run in parallel'),
    protect_tag: matching(IAM_TAG_KEY, 'an IAM tag key (1-128 letters, digits, spaces and _.:/=+-@)', 'keys of a user tagged so (value not "false") are never cleaned'),
    max_cleanup_per_run: integer(0, 1_000_000, 'circuit breaker: refuse the whole run above this many keys'),
    max_cleanup_percent: percent('... or above this share (percent) of all keys in scope'),
    deactivate_grace: duration,
    restore_protection: durationRule('how long a key brought back with cloudsweep restore is protected from cleanup'),
  },
  collector: {
    accounts,
    member_role: matching(IAM_ROLE_NAME, 'an IAM role name (1-64 letters, digits and +=,.@_-)', 'the role collect and cleanup assume in member accounts'),
    pool_size: integer(1, 256, 'accounts collected in parallel'),
  },
  notify: {
    owner_tags: ownerTags,
    account_contacts: accountContacts,
    central_contact: email,
    notice_period: durationRule('>0: a newly flagged key\'s owner gets a notice first; cleanup acts on it only this long after (0d: at once)'),
    exemption_warning: durationRule('owners are warned once an exemption of theirs ends within this'),
  },
};

export const ACCOUNTS_SECTION = 'accounts';
export const ACCOUNTS_COMMENT = 'per account id or name: fixworker settings for its keys instead (rollout account by account)';

/**
 * `accounts: {ID_OR_NAME: {cleanup: true, ...}}`: each account's overrides, each key one of
 * ACCOUNT_OVERRIDE_KEYS checked by the same rule as in its own section (fixworker, or notify). Whether the account exists
 * is not known here (a warning at the CLI, see unknownAccounts).
 */
function checkAccounts(body: unknown, problems: ConfigProblem[]): Record<string, Record<string, unknown>> {
  const accounts: Record<string, Record<string, unknown>> = {};
  if (body === null || body === undefined) return accounts;
  if (!isPlainObject(body)) {
    problems.push({ path: [ACCOUNTS_SECTION], message: `${ACCOUNTS_SECTION}: expected a mapping of account id or name to settings, got ${describe(body)}` });
    return accounts;
  }
  for (const [account, overrides] of Object.entries(body)) {
    if (account.trim() === '' || account === '__proto__') {
      problems.push({ path: [ACCOUNTS_SECTION, account], message: `${ACCOUNTS_SECTION}: ${JSON.stringify(account)} is not an account id or name` });
      continue;
    }
    if (overrides === null || overrides === undefined) continue;
    if (!isPlainObject(overrides)) {
      problems.push({ path: [ACCOUNTS_SECTION, account], message: `${ACCOUNTS_SECTION}.${account}: expected a mapping of ${ACCOUNT_OVERRIDE_KEYS.join(', ')}, got ${describe(overrides)}` });
      continue;
    }
    const checked: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(overrides)) {
      const rule = (ACCOUNT_OVERRIDE_KEYS as readonly string[]).includes(key) ? FIX_WORKER_SCHEMA[OVERRIDE_SECTION[key as AccountOverrideKey]][key] : undefined;
      if (!rule) {
        problems.push({ path: [ACCOUNTS_SECTION, account, key], message: `unknown key ${ACCOUNTS_SECTION}.${account}.${key}; allowed keys per account: ${ACCOUNT_OVERRIDE_KEYS.join(', ')}` });
        continue;
      }
      const result = rule.check(value);
      if ('problem' in result) problems.push({ path: [ACCOUNTS_SECTION, account, key], message: `${ACCOUNTS_SECTION}.${account}.${key}: ${result.problem}; allowed: ${rule.allowed}` });
      else checked[key] = result.value;
    }
    if (Object.keys(checked).length > 0) accounts[account] = checked;
  }
  return accounts;
}

/** Override keys naming no account of the inventory (by id or name): a warning, since an account may be collected later. */
export function unknownAccounts(config: Pick<FixWorkerConfig, 'accounts'>, known: readonly { id: string; name: string }[]): string[] {
  const names = new Set(known.flatMap((account) => [account.id, account.name]));
  return Object.keys(config.accounts).filter((account) => !names.has(account));
}

export interface ConfigProblem {
  path: string[];
  message: string;
}

/** Locates a key in the source text (a line number), when the config came from a file. */
export type Locate = (path: readonly string[]) => string | undefined;

/**
 * Checks a whole config as read from YAML or JSON: every problem is listed, each naming the key
 * and what it allows. Keys left out take the defaults. Throws ValidationError; returns a fresh value.
 */
export function validateFixWorkerConfig(raw: unknown, source = FIX_WORKER, locate: Locate = () => undefined): FixWorkerConfig {
  const problems: ConfigProblem[] = [];
  const config = defaultFixWorkerConfig() as unknown as Record<string, Record<string, unknown>>;
  const sections = [...Object.keys(FIX_WORKER_SCHEMA), ACCOUNTS_SECTION];
  if (raw === null || raw === undefined) return defaultFixWorkerConfig();
  if (!isPlainObject(raw)) {
    throw new ValidationError(`${source}: expected a mapping with the sections ${sections.join(', ')}, got ${describe(raw)}`);
  }
  for (const [section, body] of Object.entries(raw)) {
    if (section === ACCOUNTS_SECTION) {
      config[section] = checkAccounts(body, problems);
      continue;
    }
    const rules = own(FIX_WORKER_SCHEMA, section);
    if (!rules) {
      problems.push({ path: [section], message: unknownKeyMessage(section, undefined, sections) });
      continue;
    }
    if (body === null || body === undefined) continue;
    if (!isPlainObject(body)) {
      problems.push({ path: [section], message: `${section}: expected a mapping of ${Object.keys(rules).join(', ')}, got ${describe(body)}` });
      continue;
    }
    for (const [key, value] of Object.entries(body)) {
      const rule = own(rules, key);
      if (!rule) {
        problems.push({ path: [section, key], message: unknownKeyMessage(key, section, Object.keys(rules)) });
        continue;
      }
      const checked = rule.check(value);
      if ('problem' in checked) {
        problems.push({ path: [section, key], message: `${section}.${key}: ${checked.problem}; allowed: ${rule.allowed}` });
      } else {
        const target = config[section];
        if (target) target[key] = checked.value;
      }
    }
  }
  if (problems.length > 0) {
    const lines = problems.map((p) => {
      const at = locate(p.path);
      return at ? `  ${at}: ${p.message}` : `  ${p.message}`;
    });
    throw new ValidationError(`${source} is invalid:\n${lines.join('\n')}`);
  }
  return config as unknown as FixWorkerConfig;
}

/** The rule for a dotted key such as `fixworker.cleanup`, or a ValidationError listing the keys. */
export function ruleFor(dotted: string): { path: ConfigPath; rule: FieldRule } {
  const parts = dotted.split('.');
  const [section, key] = parts;
  const rules = section !== undefined ? own(FIX_WORKER_SCHEMA, section) : undefined;
  if (!rules || parts.length !== 2 || key === undefined) {
    throw new ValidationError(`${FIX_WORKER}: unknown key ${dotted}; keys: ${allDottedKeys().join(', ')}`);
  }
  const rule = own(rules, key);
  if (!rule) throw new ValidationError(`${FIX_WORKER}: ${unknownKeyMessage(key, section, Object.keys(rules))}`);
  return { path: [section as string, key], rule };
}

export function allDottedKeys(): string[] {
  return [...Object.entries(FIX_WORKER_SCHEMA).flatMap(([section, rules]) => Object.keys(rules).map((key) => `${section}.${key}`)), `${ACCOUNTS_SECTION}.ID_OR_NAME[.KEY]`];
}

function unknownKeyMessage(key: string, section: string | undefined, known: string[]): string {
  const where = section ? `${section}.${key}` : key;
  const hint = section === undefined && Object.values(FIX_WORKER_SCHEMA).some((rules) => own(rules, key) !== undefined)
    ? ` (indent it under its section)`
    : '';
  return `unknown key ${where}${hint}; allowed ${section ? `keys in ${section}` : 'sections'}: ${known.join(', ')}`;
}

/**
 * The schema's own entry for a key a user wrote: `constructor`, `toString` or `__proto__` must be
 * unknown keys, not Object.prototype's members reached through a plain lookup.
 */
function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}
