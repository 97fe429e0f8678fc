import { ValidationError } from '../errors';

/**
 * The guards a deployment fixes and no stored data can change (SPEC 12): CDK context for the
 * stack, passed to the cleanup Lambda by environment; the in-process runner reads the same
 * variables (or its flags). Never part of fix.worker: whoever can write the config table must
 * not be able to lower them.
 */
export interface SafetySettings {
  /** Cleanup never writes to a key that IAM shows used, or created, within this many days. */
  minimumIdleDays: number;
  /** A user carrying this tag (value not "false") is protected: by IAM on the key writes and by the code. */
  protectTag: string;
}

export const DEFAULT_SAFETY_SETTINGS: SafetySettings = { minimumIdleDays: 30, protectTag: 'cloudsweep:protect' };

export const SAFETY_ENV: Record<keyof SafetySettings, string> = {
  minimumIdleDays: 'CLOUDSWEEP_MINIMUM_IDLE_DAYS',
  protectTag: 'CLOUDSWEEP_PROTECT_TAG',
};

const DAY_MS = 86_400_000;
const MAX_IDLE_DAYS = 3650;

export function minimumIdleMs(settings: SafetySettings): number {
  return settings.minimumIdleDays * DAY_MS;
}

/**
 * A whole number of days from 1 to 3650. Zero is refused: a floor that can be set to nothing is
 * not a floor. `where` names the setting in the message (a context key, a variable, a flag).
 */
export function checkMinimumIdleDays(value: unknown, where: string): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > MAX_IDLE_DAYS) {
    throw new ValidationError(`${where} is ${JSON.stringify(value)}: expected a whole number of days from 1 to ${MAX_IDLE_DAYS}`);
  }
  return number;
}

/** An IAM tag key: 1 to 128 letters, digits, spaces and `_ . : / = + - @`, not starting with `aws:`. */
export function checkProtectTag(value: unknown, where: string): string {
  if (typeof value !== 'string' || !/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u.test(value) || value.toLowerCase().startsWith('aws:')) {
    throw new ValidationError(`${where} is ${JSON.stringify(value)}: expected an IAM tag key (1-128 letters, digits, spaces, _ . : / = + - @)`);
  }
  return value;
}

/** A flag the in-process runner was given: it wins over the environment. */
export interface SafetyFlags {
  minimumIdleDays?: string;
  protectTag?: string;
}

/** The settings from the flags, else `CLOUDSWEEP_MINIMUM_IDLE_DAYS` / `CLOUDSWEEP_PROTECT_TAG`, else the defaults. */
export function safetySettingsFromEnv(env: NodeJS.ProcessEnv, flags: SafetyFlags = {}): SafetySettings {
  const source = (key: keyof SafetySettings, flag: string): { value: string; where: string } | undefined => {
    if (flags[key] !== undefined) return { value: flags[key], where: flag };
    const value = env[SAFETY_ENV[key]];
    return value === undefined || value === '' ? undefined : { value, where: SAFETY_ENV[key] };
  };
  const days = source('minimumIdleDays', '--minimum-idle-days');
  const tag = source('protectTag', '--protect-tag');
  return {
    minimumIdleDays: days ? checkMinimumIdleDays(days.value, days.where) : DEFAULT_SAFETY_SETTINGS.minimumIdleDays,
    protectTag: tag ? checkProtectTag(tag.value, tag.where) : DEFAULT_SAFETY_SETTINGS.protectTag,
  };
}

/** The tags that protect a user: always the deployed one, and fix.worker's `protect_tag` when it names another. */
export function protectTags(settings: SafetySettings, configured: string): string[] {
  return configured === settings.protectTag || configured === '' ? [settings.protectTag] : [settings.protectTag, configured];
}
