import { formatDuration, parseDatetime, parseDuration, timestampOf } from '../../../src/query/durations';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('durations', () => {
  it.each([
    ['1y', 365 * DAY], ['2yr', 730 * DAY], ['1year', 365 * DAY], ['3years', 3 * 365 * DAY],
    ['1mo', 31 * DAY], ['2month', 62 * DAY], ['2months', 62 * DAY], ['1M', 31 * DAY],
    ['1w', 7 * DAY], ['2week', 14 * DAY], ['3weeks', 21 * DAY],
    ['90d', 90 * DAY], ['1day', DAY], ['90days', 90 * DAY],
    ['5h', 5 * HOUR], ['1hour', HOUR], ['2hours', 2 * HOUR],
    ['10min', 10 * MINUTE], ['1minute', MINUTE], ['2minutes', 2 * MINUTE], ['15m', 15 * MINUTE],
    ['30s', 30 * SECOND], ['1second', SECOND], ['2seconds', 2 * SECOND],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('adds up combined units', () => {
    expect(parseDuration('1h30m')).toBe(HOUR + 30 * MINUTE);
    expect(parseDuration('3d4h')).toBe(3 * DAY + 4 * HOUR);
    expect(parseDuration('1yr2mo3d')).toBe(365 * DAY + 62 * DAY + 3 * DAY);
  });

  it('reads a sign: -90d is 90 days ago', () => {
    expect(parseDuration('-90d')).toBe(-90 * DAY);
    expect(parseDuration('+2h')).toBe(2 * HOUR);
  });

  it('reads ISO 8601 durations', () => {
    expect(parseDuration('P90D')).toBe(90 * DAY);
    expect(parseDuration('PT1H30M')).toBe(HOUR + 30 * MINUTE);
    expect(parseDuration('P1Y2M3DT4H5M6S')).toBe(365 * DAY + 62 * DAY + 3 * DAY + 4 * HOUR + 5 * MINUTE + 6 * SECOND);
    expect(parseDuration('P2W')).toBe(14 * DAY);
    expect(parseDuration('-P1D')).toBe(-DAY);
  });

  it.each(['90', 'days', '90x', 'P', 'PT', '1h30', 'jenkins', '2026-01-01', ''])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('reads dates and date-times as UTC unless a zone is given', () => {
    expect(parseDatetime('2026-01-01')).toBe(Date.UTC(2026, 0, 1));
    expect(parseDatetime('2026-01-01T10:30:00Z')).toBe(Date.UTC(2026, 0, 1, 10, 30));
    expect(parseDatetime('2026-01-01T10:30')).toBe(Date.UTC(2026, 0, 1, 10, 30));
    expect(parseDatetime('2026-01-01T10:30:00.250Z')).toBe(Date.UTC(2026, 0, 1, 10, 30, 0, 250));
    expect(parseDatetime('2026-01-01T10:30:00+02:00')).toBe(Date.UTC(2026, 0, 1, 8, 30));
    expect(parseDatetime('2026-13-01')).toBeUndefined();
    expect(parseDatetime('yesterday')).toBeUndefined();
  });

  it('prints durations compactly with the two largest units', () => {
    expect(formatDuration(90 * DAY)).toBe('90d');
    expect(formatDuration(400 * DAY + 5 * HOUR)).toBe('1yr35d');
    expect(formatDuration(5 * HOUR + 12 * MINUTE + 3 * SECOND)).toBe('5h12min');
    expect(formatDuration(365 * DAY + 5 * HOUR)).toBe('1yr');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(-2 * DAY)).toBe('-2d');
  });
});

describe('timestampOf', () => {
  it('agrees with Date.parse on the forms AWS writes, and on others', () => {
    for (const text of [
      '2026-01-01T10:30:00Z', '2026-11-23T23:59:59Z', '2024-02-29T12:00:00Z', '2026-01-31T00:00:00Z', '1999-12-31T23:59:59.5Z',
      '2026-01-01T10:30:00.123Z', '2026-01-01T10:30:00.123456Z', '2026-01-01T10:30:00+02:00', '2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', 'nonsense', '2026-01-01',
    ]) {
      expect([text, timestampOf(text)]).toEqual([text, Date.parse(text)]);
    }
  });
});
