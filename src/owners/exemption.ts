import { parseDatetime } from '../query/durations';

/**
 * An exemption keeps a key (or every key of a user) out of cleanup, for a stated reason and, if
 * it says so, until a stated end (issue 18 item 4). Set by `| protect --until DATE --reason TEXT`
 * (`metadata.protected_until`, `protect_reason`) or by the protect tag with a value such as
 * `until=2027-03-31; reason=vendor migration`. Without an end it holds until it is lifted.
 */
export interface ExemptionTerms {
  /** A date (`2027-03-31`: through that day, UTC) or an ISO 8601 instant. */
  until?: string;
  reason?: string;
}

const DAY_MS = 86_400_000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** The terms a protect tag's value states: `until=2027-03-31; reason=vendor migration`. Any other value states none. */
export function protectTagTerms(value: string): ExemptionTerms {
  const terms: ExemptionTerms = {};
  for (const part of value.split(';')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const name = part.slice(0, at).trim().toLowerCase();
    const text = part.slice(at + 1).trim();
    if (name === 'until' && text !== '') terms.until = text;
    if (name === 'reason' && text !== '') terms.reason = text;
  }
  return terms;
}

/**
 * When an exemption with this end stops protecting (epoch ms): a date protects through that day
 * (UTC), an instant up to itself. Undefined for an end that cannot be read: such an exemption keeps
 * protecting, as a protection that cannot be read must.
 */
export function exemptionEnd(until: string): number | undefined {
  const at = parseDatetime(until);
  if (at === undefined) return undefined;
  return DATE_ONLY.test(until.trim()) ? at + DAY_MS : at;
}

/** True when the exemption's end is readable and has come. */
export function exemptionEnded(until: unknown, now: Date): boolean {
  if (typeof until !== 'string') return false;
  const end = exemptionEnd(until);
  return end !== undefined && now.getTime() >= end;
}

/** The end as the user gave it, normalised: a date stays a date, an instant becomes ISO 8601 UTC; undefined when unreadable. */
export function normaliseUntil(text: string): string | undefined {
  const at = parseDatetime(text);
  if (at === undefined) return undefined;
  return DATE_ONLY.test(text.trim()) ? text.trim() : new Date(at).toISOString();
}

/** ` until 2027-03-31 (vendor migration)`: what an exemption states, for messages. */
export function describeTerms(terms: ExemptionTerms): string {
  return `${terms.until !== undefined ? ` until ${terms.until}` : ''}${terms.reason !== undefined ? ` (${terms.reason})` : ''}`;
}
