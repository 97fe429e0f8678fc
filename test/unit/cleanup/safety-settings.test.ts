import { DEFAULT_SAFETY_SETTINGS, protectTags, safetySettingsFromEnv } from '../../../src/cleanup/policy';
import { ValidationError } from '../../../src/errors';

describe('the deploy-time safety settings', () => {
  it('defaults to a 30-day floor and the cloudsweep:protect tag', () => {
    expect(safetySettingsFromEnv({})).toEqual({ minimumIdleDays: 30, protectTag: 'cloudsweep:protect' });
    expect(DEFAULT_SAFETY_SETTINGS).toEqual({ minimumIdleDays: 30, protectTag: 'cloudsweep:protect' });
  });

  it('reads the environment, and a flag wins over it', () => {
    const env = { CLOUDSWEEP_MINIMUM_IDLE_DAYS: '45', CLOUDSWEEP_PROTECT_TAG: 'security:keep' };
    expect(safetySettingsFromEnv(env)).toEqual({ minimumIdleDays: 45, protectTag: 'security:keep' });
    expect(safetySettingsFromEnv(env, { minimumIdleDays: '60' })).toEqual({ minimumIdleDays: 60, protectTag: 'security:keep' });
  });

  it.each([['0'], ['-1'], ['30d'], ['1.5'], ['99999']])('refuses a floor of %s, naming where it came from', (days) => {
    expect(() => safetySettingsFromEnv({ CLOUDSWEEP_MINIMUM_IDLE_DAYS: days })).toThrow(ValidationError);
    expect(() => safetySettingsFromEnv({ CLOUDSWEEP_MINIMUM_IDLE_DAYS: days })).toThrow(/CLOUDSWEEP_MINIMUM_IDLE_DAYS/);
    expect(() => safetySettingsFromEnv({}, { minimumIdleDays: days })).toThrow(/--minimum-idle-days/);
  });

  it('refuses a protect tag IAM would not accept', () => {
    expect(() => safetySettingsFromEnv({ CLOUDSWEEP_PROTECT_TAG: 'aws:reserved' })).toThrow(/CLOUDSWEEP_PROTECT_TAG/);
    expect(() => safetySettingsFromEnv({}, { protectTag: 'no*stars' })).toThrow(/--protect-tag/);
  });

  it('lets fix.worker add a protect tag but never replace the deployed one', () => {
    expect(protectTags(DEFAULT_SAFETY_SETTINGS, 'cloudsweep:protect')).toEqual(['cloudsweep:protect']);
    expect(protectTags(DEFAULT_SAFETY_SETTINGS, 'team:keep')).toEqual(['cloudsweep:protect', 'team:keep']);
  });
});
