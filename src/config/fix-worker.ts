import * as z from 'zod/mini';
import { DEFAULT_OWNER_TAGS } from '../owners/owner';
import { parseDuration } from '../query/durations';

/**
 * The `fix.worker` configuration (SPEC section 4), declared once: each key's schema (type and
 * range), its safe default, what it allows in the user's words and the comment shown above it in
 * the YAML. The FixWorkerConfig type follows from the schema; validation (./schema.ts) turns the
 * schema's issues into messages. The words an issue carries (`is not a duration`) complete the
 * sentence `<value> <words>` that ./schema.ts builds; where a schema says none, its type's apply.
 */
export const FIX_WORKER = 'fix.worker';

export interface Field<S extends z.ZodMiniType = z.ZodMiniType> {
  /** The type, range and format of the value; its output is what is stored. */
  schema: S;
  /** The safe value of a key left out. */
  default: z.output<S> | (() => z.output<S>);
  /** What the key accepts, as shown to the user in errors. */
  allowed: string;
  /** Shown above the key in the YAML that `config get` and `config edit` print. */
  comment: string;
}

/** Checks at compile time that a field's default is a value of its schema. */
function field<S extends z.ZodMiniType>(declared: Field<S>): Field<S> {
  return declared;
}

const IAM_TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const IAM_ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const ACCOUNT_ID = /^\d{12}$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

const boolean = () => ({ schema: z.boolean(), allowed: 'true or false' });

const integer = (min: number, max: number) => ({
  schema: z.int({ error: 'is not an integer' }).check(z.minimum(min), z.maximum(max)),
  allowed: `an integer from ${min} to ${max}`,
});

const percent = () => ({ schema: z.number().check(z.minimum(0), z.maximum(100)), allowed: 'a number from 0 to 100' });

const matching = (pattern: RegExp, allowed: string) => ({ schema: z.string().check(z.regex(pattern)), allowed });

const duration = () => ({
  // YAML reads a bare `0` as a number; it means no time at all.
  schema: z.pipe(
    z.transform((value: unknown) => (value === 0 ? '0d' : value)),
    z.string({ error: 'is not a duration' }).check(
      z.refine((text) => parseDuration(text) !== undefined, { error: 'is not a duration', abort: true }),
      z.refine((text) => (parseDuration(text) ?? 0) >= 0, { error: 'is negative' }),
    ),
  ),
  allowed: 'a duration of zero or more, such as 0d, 7d, 36h or P7D',
});

const unique = <T>(items: T[]): T[] => [...new Set(items)];

const accountIds = () => {
  const error = 'is not a 12-digit account id';
  // YAML reads an unquoted id as a number; twelve digits survive that, a leading zero does not.
  const accountId = z.pipe(
    z.transform((value: unknown) => (typeof value === 'number' && Number.isInteger(value) ? String(value) : value)),
    z.string({ error }).check(z.regex(ACCOUNT_ID, { error })),
  );
  return {
    schema: z.union([z.literal('organization'), z.array(accountId).check(z.overwrite(unique))], { error: 'is neither "organization" nor a list' }),
    allowed: '"organization" or a list of 12-digit account ids (quote ids that start with 0)',
  };
};

const emailAddress = (error = 'is not an e-mail address') => z.string({ error }).check(z.regex(EMAIL, { error }));

const FIXWORKER = {
  cleanup: field({ ...boolean(), default: false, comment: 'Enable cleanup of resources' }),
  cleanup_dry_run: field({ ...boolean(), default: true, comment: 'Do not actually cleanup resources, just create log messages' }),
  cleanup_pool_size: field({ ...integer(1, 256), default: 16, comment: 'How many cleanup threads to run in parallel' }),
  protect_tag: field({
    ...matching(IAM_TAG_KEY, 'an IAM tag key (1-128 letters, digits, spaces and _.:/=+-@)'),
    default: 'cloudsweep:protect',
    comment: 'keys of a user tagged so (value not "false") are never cleaned',
  }),
  max_cleanup_per_run: field({ ...integer(0, 1_000_000), default: 100, comment: 'circuit breaker: refuse the whole run above this many keys' }),
  max_cleanup_percent: field({ ...percent(), default: 25, comment: '... or above this share (percent) of all keys in scope' }),
  deactivate_grace: field({ ...duration(), default: '0d', comment: '>0: deactivate first, delete once inactive this long' }),
  restore_protection: field({ ...duration(), default: '30d', comment: 'how long a key brought back with cloudsweep restore is protected from cleanup' }),
};

const COLLECTOR = {
  accounts: field({ ...accountIds(), default: () => [], comment: 'account ids to collect besides the home account, or "organization"' }),
  member_role: field({
    ...matching(IAM_ROLE_NAME, 'an IAM role name (1-64 letters, digits and +=,.@_-)'),
    default: 'CloudSweepMemberRole',
    comment: 'the role collect and cleanup assume in member accounts',
  }),
  pool_size: field({ ...integer(1, 256), default: 8, comment: 'accounts collected in parallel' }),
};

const NOTIFY = {
  owner_tags: field({
    schema: z.array(z.string({ error: 'is not an IAM tag key' }).check(z.regex(IAM_TAG_KEY, { error: 'is not an IAM tag key' }))).check(z.overwrite(unique)),
    allowed: 'a list of IAM tag keys, such as [owner, email, contact]',
    default: () => [...DEFAULT_OWNER_TAGS],
    comment: "user tags read for the owner's e-mail address, in order; the first that holds one wins",
  }),
  account_contacts: field({
    schema: z.record(z.string(), emailAddress()),
    allowed: 'a mapping of account id or name to an e-mail address, such as {"111111111111": team@example.com}',
    default: () => ({}),
    comment: 'account id or name -> the address for its keys when the user names no owner',
  }),
  central_contact: field({
    schema: z.string().check(z.refine((text) => text === '' || EMAIL.test(text), { error: 'is not an e-mail address' })),
    allowed: 'an e-mail address, or "" for none',
    default: '',
    comment: 'the address for keys whose user names no owner and whose account has no contact; "" for none',
  }),
  notice_period: field({
    ...duration(),
    default: '0d',
    comment: ">0: a newly flagged key's owner gets a notice first; cleanup acts on it only this long after (0d: at once)",
  }),
  exemption_warning: field({ ...duration(), default: '14d', comment: 'owners are warned once an exemption of theirs ends within this' }),
};

/** Every fixed key of `fix.worker`, by section, in the order the YAML shows them; `accounts` is keyed by account. */
export const FIX_WORKER_FIELDS = { fixworker: FIXWORKER, collector: COLLECTOR, notify: NOTIFY };

/**
 * Account-by-account rollout (issue 18 item 6): `accounts: {ID_OR_NAME: {overrides}}` replaces
 * these settings for the keys of one account, each checked by the same field as in its own section.
 */
export const ACCOUNT_OVERRIDE_FIELDS = {
  cleanup: FIXWORKER.cleanup,
  cleanup_dry_run: FIXWORKER.cleanup_dry_run,
  deactivate_grace: FIXWORKER.deactivate_grace,
  notice_period: NOTIFY.notice_period,
  max_cleanup_per_run: FIXWORKER.max_cleanup_per_run,
  max_cleanup_percent: FIXWORKER.max_cleanup_percent,
};
export type AccountOverrideKey = keyof typeof ACCOUNT_OVERRIDE_FIELDS;
export const ACCOUNT_OVERRIDE_KEYS = Object.keys(ACCOUNT_OVERRIDE_FIELDS) as AccountOverrideKey[];

export const ACCOUNTS_SECTION = 'accounts';
export const ACCOUNTS_COMMENT = 'per account id or name: fixworker settings for its keys instead (rollout account by account)';

type Fields = Record<string, Field>;
/** A section's keys with their defaults: a key left out takes it. */
type WithDefaults<F extends Fields> = { [K in keyof F]: z.ZodMiniDefault<F[K]['schema']> };
/** An account's overrides: a key left out follows its section. */
type Optional<F extends Fields> = { [K in keyof F]: z.ZodMiniOptional<F[K]['schema']> };

function withDefaults<F extends Fields>(fields: F) {
  return z.strictObject(Object.fromEntries(Object.entries(fields).map(([key, { schema, default: value }]) => [key, z._default(schema, value)])) as WithDefaults<F>);
}

/** Left out, or written with nothing under it (`collector:`): an empty mapping, whose keys take their defaults. */
function missingAsEmpty<S extends z.ZodMiniType>(schema: S) {
  return z.prefault(
    z.pipe<z.ZodMiniTransform, S>(
      z.transform((value: unknown) => value ?? {}),
      schema,
    ),
    {},
  );
}

const AccountOverrides = z.strictObject(
  Object.fromEntries(Object.entries(ACCOUNT_OVERRIDE_FIELDS).map(([key, { schema }]) => [key, z.optional(schema)])) as Optional<typeof ACCOUNT_OVERRIDE_FIELDS>,
);
export type AccountOverrides = z.output<typeof AccountOverrides>;

/**
 * zod's records leave a `__proto__` key out without a word (assigning it would replace the
 * result's prototype): an account so named is reported as a key the accounts do not take.
 */
const noPrototypeKey = z.unknown().check(
  z.check((payload) => {
    if (typeof payload.value === 'object' && payload.value !== null && Object.hasOwn(payload.value, '__proto__')) {
      payload.issues.push({ code: 'unrecognized_keys', keys: ['__proto__'], input: payload.value as Record<string, unknown>, continue: true });
    }
  }),
);

const Accounts = z.pipe(
  noPrototypeKey,
  z.pipe(
    z.record(z.string().check(z.refine((name) => name.trim() !== '')), z.nullable(AccountOverrides)),
    // An account with no overrides follows fixworker, as if it were not named.
    z.transform((accounts) => Object.fromEntries(Object.entries(accounts).filter((entry): entry is [string, AccountOverrides] => entry[1] !== null && Object.keys(entry[1]).length > 0))),
  ),
);

/** The whole config as read from YAML, JSON or the config table: keys left out take the safe defaults. */
export const FixWorkerConfig = missingAsEmpty(
  z.strictObject({
    fixworker: missingAsEmpty(withDefaults(FIXWORKER)),
    collector: missingAsEmpty(withDefaults(COLLECTOR)),
    [ACCOUNTS_SECTION]: missingAsEmpty(Accounts),
    notify: missingAsEmpty(withDefaults(NOTIFY)),
  }),
);
export type FixWorkerConfig = z.output<typeof FixWorkerConfig>;

export function defaultFixWorkerConfig(): FixWorkerConfig {
  return FixWorkerConfig.parse({});
}
